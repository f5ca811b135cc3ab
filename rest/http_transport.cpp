// One recv per request on a keep-alive client socket (see http_transport.hpp for why a short read is enough).
#include "rest/http_transport.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <exception>

#include <pistache/os.h>
#include <spdlog/spdlog.h>

#include "rest/http_connection.hpp"

namespace tally::rest {

using namespace Pistache;

namespace {

// Aio::FdSet::Entry derives privately from Polling::Event and shows only Read, Write and Hangup; the
// explicit cast to an inaccessible base (a C-style cast, well defined) reads its Shutdown (EPOLLRDHUP) too.
const Polling::Event& event_of(const Aio::FdSet::Entry& entry) { return (const Polling::Event&)entry; }

bool plain_input(const Polling::Event& event) {
  return event.flags.hasFlag(Polling::NotifyOn::Read) && !event.flags.hasFlag(Polling::NotifyOn::Hangup) &&
         !event.flags.hasFlag(Polling::NotifyOn::Shutdown);
}

}  // namespace

ShortReadTransport::ShortReadTransport(const std::shared_ptr<ReadOnceHandler>& handler)
    : Tcp::Transport(handler), handler_(handler), buffer_(Const::MaxBuffer) {}

std::shared_ptr<Aio::Handler> ShortReadTransport::clone() const {
  return std::make_shared<ShortReadTransport>(std::static_pointer_cast<ReadOnceHandler>(handler_->clone()));
}

void ShortReadTransport::onReady(const Aio::FdSet& fds) {
  std::vector<Polling::Event> for_pistache;
  for (const Aio::FdSet::Entry& entry : fds) {
    const Polling::Event& event = event_of(entry);
    if (plain_input(event)) {
      const int fd = static_cast<int>(event.tag.value());
      HttpConnection* connection = handler_->connection_of(fd);
      if (connection != nullptr && read_handled(fd, *connection)) continue;
    }
    for_pistache.push_back(event);
  }
  if (!for_pistache.empty()) Tcp::Transport::onReady(Aio::FdSet(std::move(for_pistache)));
}

bool ShortReadTransport::read_handled(int fd, HttpConnection& connection) {
  try {
    return read_until_short(fd, connection);
  } catch (const std::exception& e) {  // nothing may escape into Pistache's reactor loop
    spdlog::error("connection {}: input failed: {}", connection.id(), e.what());
    return true;
  }
}

bool ShortReadTransport::read_until_short(int fd, HttpConnection& connection) {
  for (;;) {
    const ssize_t got = ::recv(fd, buffer_.data(), buffer_.size(), 0);
    if (got > 0) {
      connection.on_input(buffer_.data(), static_cast<std::size_t>(got));
      if (static_cast<std::size_t>(got) < buffer_.size()) return true;  // drained: the next byte is a new edge
      continue;
    }
    if (got < 0 && errno == EINTR) continue;
    // EAGAIN: drained exactly at a full read. Otherwise end of stream or an error, both sticky: Pistache's
    // read sees them again and closes the peer as it always did.
    return got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }
}

}  // namespace tally::rest
