// AnswerInbox: a mutex-guarded list and an eventfd written only when the list goes from drained to waiting.
#include "rest/answer_inbox.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>
#include <utility>

#include "rest/http_connection.hpp"

namespace tally::rest {

namespace {
thread_local const AnswerInbox* own_inbox = nullptr;  // the inbox this reactor thread drains
}  // namespace

AnswerInbox::AnswerInbox() : fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
  if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "eventfd for the answer inbox");
}

AnswerInbox::~AnswerInbox() { ::close(fd_); }

bool AnswerInbox::on_own_thread() const { return own_inbox == this; }

void AnswerInbox::mark_own_thread() const { own_inbox = this; }

void AnswerInbox::post(std::shared_ptr<HttpConnection> connection, std::uint64_t slot, std::string bytes,
                       bool close_after) {
  bool wake = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    items_.push_back(Item{std::move(connection), slot, std::move(bytes), close_after});
    wake = !signalled_;
    signalled_ = true;
  }
  if (!wake) return;
  const std::uint64_t one = 1;
  // Cannot fail short of a counter overflow (2^64 - 2 wakes without a drain); EAGAIN would mean the same.
  while (::write(fd_, &one, sizeof one) < 0 && errno == EINTR) {
  }
}

void AnswerInbox::drain() {
  std::uint64_t count = 0;
  while (::read(fd_, &count, sizeof count) < 0 && errno == EINTR) {
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    draining_.swap(items_);
    signalled_ = false;
  }
  for (Item& item : draining_) {
    HttpConnection& connection = *item.connection;
    connection.answer(item.slot, std::move(item.bytes), item.close_after);
    connection.server_state().in_flight.fetch_sub(1, std::memory_order_release);
  }
  draining_.clear();
}

}  // namespace tally::rest
