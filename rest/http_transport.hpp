// Pistache's TCP transport with one read per readiness when that read comes back short. Pistache reads a client
// socket until EAGAIN, so every request costs a second, empty recv. For a stream socket in edge-triggered epoll a
// short read means the receive queue was drained at that moment: any later byte, FIN or reset raises a new edge.
// The one case a short read cannot see is a FIN (or reset) that came with the data before epoll reported it; then
// the event itself carries EPOLLRDHUP/EPOLLHUP (Pistache's NotifyOn::Shutdown/Hangup), and such events, end of
// stream, errors and every descriptor that is not a client socket go to Pistache's own loop unchanged.
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include <pistache/config.h>
#include <pistache/tcp.h>
#include <pistache/transport.h>

namespace tally::rest {

class HttpConnection;

// The per-reactor-thread handler, which also knows its clients' connections.
class ReadOnceHandler : public Pistache::Tcp::Handler {
 public:
  // The connection fed by this client socket, or nullptr when fd is none of this thread's clients.
  virtual HttpConnection* connection_of(int fd) = 0;
};

class ShortReadTransport final : public Pistache::Tcp::Transport {
 public:
  explicit ShortReadTransport(const std::shared_ptr<ReadOnceHandler>& handler);

  void onReady(const Pistache::Aio::FdSet& fds) override;
  std::shared_ptr<Pistache::Aio::Handler> clone() const override;

 private:
  bool read_handled(int fd, HttpConnection& connection);  // read_until_short, input failures logged
  // True when the socket was read until a short read or EAGAIN; false leaves it to Pistache (end, error).
  bool read_until_short(int fd, HttpConnection& connection);

  std::shared_ptr<ReadOnceHandler> handler_;
  std::vector<char> buffer_;  // Pistache's own read size: the connection sees the same chunks as before
};

}  // namespace tally::rest
