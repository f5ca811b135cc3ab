// HttpListener: bind/listen, the accept loop with its back-off, write-readiness waits and the timeout tick.
#include "rest/http_listener.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <netdb.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <spdlog/spdlog.h>

#include "ledger/limits.hpp"
#include "rest/api_error.hpp"
#include "rest/http_connection.hpp"
#include "rest/http_response.hpp"

namespace tally::rest {

namespace {

constexpr std::uint64_t listen_tag = 1;
constexpr std::uint64_t wake_tag = 2;
constexpr int epoll_events_max = 64;

int open_reserve() { return ::open("/dev/null", O_RDONLY | O_CLOEXEC); }

int bind_and_listen(const std::string& host, std::uint16_t port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  if (const int err = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &found); err != 0) {
    throw std::runtime_error(std::string("cannot resolve ") + host + ": " + ::gai_strerror(err));
  }
  int last_errno = 0;
  int fd = -1;
  for (addrinfo* a = found; a != nullptr && fd < 0; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) {
      last_errno = errno;
      continue;
    }
    const int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd, a->ai_addr, a->ai_addrlen) != 0 || ::listen(fd, SOMAXCONN) != 0) {
      last_errno = errno;
      ::close(fd);
      fd = -1;
    }
  }
  ::freeaddrinfo(found);
  if (fd < 0) throw std::runtime_error(std::strerror(last_errno));
  return fd;
}

}  // namespace

void refuse_connection(int fd, const char* code, const char* message) {
  // Read what the client already sent (it is not served), so that closing sends FIN, not a reset.
  std::array<char, 4096> sink;
  std::size_t drained = 0;
  while (drained < limits::http_refused_request_bytes_max) {
    const ssize_t n = ::recv(fd, sink.data(), sink.size(), MSG_DONTWAIT);
    if (n <= 0) break;
    drained += static_cast<std::size_t>(n);
  }
  ResponseOptions options;
  options.keep_alive = false;
  options.retry_after_seconds = limits::http_retry_after_seconds;
  const std::string answer = render_error(ApiError{503, code, message}, options);
  [[maybe_unused]] const ssize_t sent = ::send(fd, answer.data(), answer.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  ::close(fd);
}

HttpListener::HttpListener(ListenerEvents& events) : events_(events) {}

HttpListener::~HttpListener() { stop(); }

void HttpListener::start(const std::string& host, std::uint16_t port) {
  listen_fd_ = bind_and_listen(host, port);
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  reserve_fd_ = open_reserve();
  if (epoll_fd_ < 0 || wake_fd_ < 0) throw std::runtime_error(std::string("epoll: ") + std::strerror(errno));
  epoll_event wake{};
  wake.events = EPOLLIN;
  wake.data.u64 = wake_tag;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &wake);
  set_listening(true);
  thread_ = std::thread([this] { run(); });
}

void HttpListener::stop() {
  if (thread_.joinable()) {
    stopping_.store(true, std::memory_order_release);
    const std::uint64_t one = 1;
    [[maybe_unused]] const ssize_t written = ::write(wake_fd_, &one, sizeof one);
    thread_.join();
  }
  for (int* fd : {&listen_fd_, &epoll_fd_, &wake_fd_, &reserve_fd_}) {
    if (*fd >= 0) ::close(*fd);
    *fd = -1;
  }
}

void HttpListener::set_listening(bool on) {
  if (on == listening_) return;
  epoll_event listen{};
  listen.events = EPOLLIN;
  listen.data.u64 = listen_tag;
  ::epoll_ctl(epoll_fd_, on ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, listen_fd_, &listen);
  listening_ = on;
}

void HttpListener::wait_writable(int fd, std::uint64_t connection_id) {
  epoll_event event{};
  event.events = EPOLLOUT | EPOLLONESHOT;
  event.data.u64 = connection_id;
  // A descriptor stays registered (disarmed) after its first wait; closing it unregisters it.
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &event) != 0 && errno == ENOENT) {
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event);
  }
}

void HttpListener::run() {
  pthread_setname_np(pthread_self(), "tally-listen");
  std::array<epoll_event, epoll_events_max> events;
  std::int64_t next_tick = monotonic_ms() + limits::http_timer_tick_ms;
  while (!stopping_.load(std::memory_order_acquire)) {
    const std::int64_t wake_at = listening_ ? next_tick : std::min(next_tick, listen_again_ms_);
    const std::int64_t wait = std::max<std::int64_t>(0, wake_at - monotonic_ms());
    const int n = ::epoll_wait(epoll_fd_, events.data(), epoll_events_max, static_cast<int>(wait));
    const std::int64_t now = monotonic_ms();
    try {
      for (int i = 0; i < n; ++i) {
        const std::uint64_t tag = events[i].data.u64;
        if (tag == listen_tag) {
          accept_ready(now);
        } else if (tag >= first_connection_id) {
          events_.on_writable(tag);
        }
      }
      if (!listening_ && now >= listen_again_ms_) set_listening(true);
      if (now >= next_tick) {
        next_tick = now + limits::http_timer_tick_ms;
        events_.on_tick(now);
      }
    } catch (const std::exception& e) {  // out of memory, most likely: this thread must go on accepting
      spdlog::error("HTTP listener: {}", e.what());
    }
  }
}

void HttpListener::accept_ready(std::int64_t now_ms) {
  for (int i = 0; i < limits::http_accepts_per_wakeup_max; ++i) {
    sockaddr_storage address{};
    socklen_t length = sizeof address;
    const int fd = ::accept4(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) {
      if (events_.at_capacity()) {
        refuse_connection(fd, "too_many_connections", "the server has as many connections as it serves; retry");
        ++refused_;
      } else {
        events_.on_accept(fd, address);
      }
      continue;
    }
    if (errno == EINTR || errno == ECONNABORTED) continue;
    if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) out_of_descriptors(now_ms);
    else if (errno != EAGAIN && errno != EWOULDBLOCK) spdlog::warn("accept failed: {}", std::strerror(errno));
    return;
  }
}

void HttpListener::out_of_descriptors(std::int64_t now_ms) {
  // The waiting clients would keep the socket readable and this loop spinning: answer each of them through the
  // reserve descriptor (a few per back-off, not one, so a queue of them is told in a fraction of a second rather than
  // one client per pause; not all at once either, so a flood cannot keep this thread busy refusing), then stop
  // listening for a while; the kernel keeps queueing new clients in the backlog meanwhile.
  int answered = 0;
  while (reserve_fd_ >= 0 && answered < limits::http_refusals_per_backoff_max) {
    ::close(reserve_fd_);
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) refuse_connection(fd, "too_many_connections", "the server is out of file descriptors; retry");
    // Another thread may take the freed descriptor first: then the reserve stays empty until a later back-off.
    reserve_fd_ = open_reserve();
    if (fd < 0) break;  // the backlog is empty (or the descriptor went elsewhere)
    ++answered;
  }
  refused_ += static_cast<std::uint64_t>(answered);
  if (pauses_++ % 100 == 0) spdlog::warn("out of file descriptors: accepting paused ({} refused so far)", refused_);
  set_listening(false);
  listen_again_ms_ = now_ms + limits::http_accept_backoff_ms;
}

}  // namespace tally::rest
