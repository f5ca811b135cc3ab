// The edge's own thread, one epoll: accepts connections and hands them to Pistache's reactor, waits for full
// sockets to take bytes again, and ticks the timeouts. Pistache 0.0.5's Tcp::Listener spins at ~80% CPU once the
// process is out of descriptors (the listening socket stays readable and every accept fails with EMFILE); this
// accept loop instead answers one waiting client 503 through a reserved descriptor and stops listening for
// limits::http_accept_backoff_ms. Beyond the connection cap, new clients get 503 and are closed at once.
#pragma once

#include <sys/socket.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

namespace tally::rest {

class ListenerEvents {
 public:
  virtual ~ListenerEvents() = default;
  virtual bool at_capacity() = 0;                                      // refuse the next connection?
  virtual void on_accept(int fd, const sockaddr_storage& address) = 0;  // owns fd from now on
  virtual void on_writable(std::uint64_t connection_id) = 0;
  virtual void on_tick(std::int64_t now_ms) = 0;
};

class HttpListener {
 public:
  explicit HttpListener(ListenerEvents& events);
  ~HttpListener();
  HttpListener(const HttpListener&) = delete;
  HttpListener& operator=(const HttpListener&) = delete;

  // Binds and listens (throws std::runtime_error, e.g. address in use), then starts the thread.
  void start(const std::string& host, std::uint16_t port);
  void stop();  // joins the thread and closes the listening socket

  // Any thread: call events.on_writable(connection_id) once fd can take bytes (fd must stay open until then or
  // be closed, which cancels the wait).
  void wait_writable(int fd, std::uint64_t connection_id);

  // Connection ids below this are the listener's own epoll tags.
  static constexpr std::uint64_t first_connection_id = 16;

 private:
  void run();
  void accept_ready(std::int64_t now_ms);
  void out_of_descriptors(std::int64_t now_ms);
  void set_listening(bool on);

  ListenerEvents& events_;
  int listen_fd_ = -1;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;     // eventfd: stop
  int reserve_fd_ = -1;  // kept open to accept (and refuse) clients one by one when descriptors run out
  bool listening_ = false;
  std::int64_t listen_again_ms_ = 0;
  std::uint64_t refused_ = 0;
  std::uint64_t pauses_ = 0;  // back-offs for want of descriptors, for the log
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

// Answers a client this server will not serve 503 (JSON) and closes it; for descriptors never given to Pistache.
void refuse_connection(int fd, const char* code, const char* message);

}  // namespace tally::rest
