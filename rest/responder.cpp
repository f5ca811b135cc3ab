// Responder: Pistache 0.0.5 answers "Connection: Close" unless told otherwise, which breaks HTTP/1.1 clients'
// default keep-alive; every answer here states the connection's fate explicitly.
#include "rest/responder.hpp"

#include <sys/socket.h>

#include <cstdlib>
#include <ostream>

#include <pistache/peer.h>
#include <spdlog/spdlog.h>

namespace tally::rest {

using namespace Pistache;

namespace {
// Pistache 0.0.5 writes only typed headers into a response (raw ones are dropped), so Retry-After is typed here.
class RetryAfter : public Http::Header::Header {
 public:
  NAME("Retry-After")
  RetryAfter() = default;
  explicit RetryAfter(int seconds) : seconds_(seconds) {}
  void parse(const std::string& data) override { seconds_ = std::atoi(data.c_str()); }
  void write(std::ostream& os) const override { os << seconds_; }

 private:
  int seconds_ = 0;
};

class AllowMethods : public Http::Header::Header {
 public:
  NAME("Allow")
  AllowMethods() = default;
  explicit AllowMethods(std::string methods) : methods_(std::move(methods)) {}
  void parse(const std::string& data) override { methods_ = data; }
  void write(std::ostream& os) const override { os << methods_; }

 private:
  std::string methods_;
};
}  // namespace

Responder::Responder(Http::ResponseWriter writer, std::shared_ptr<ServerState> state, bool keep_alive)
    : writer_(std::move(writer)), state_(std::move(state)), keep_alive_(keep_alive) {
  state_->in_flight.fetch_add(1, std::memory_order_relaxed);
  writer_.headers().remove<Http::Header::Connection>();
  writer_.headers().add<Http::Header::Connection>(keep_alive ? Http::ConnectionControl::KeepAlive
                                                             : Http::ConnectionControl::Close);
}

Responder::~Responder() {
  if (!sent_) {
    spdlog::error("a request was dropped without an answer; sending 500");
    send(500, "{\"error\":{\"code\":\"internal\",\"message\":\"the request was not answered\"}}");
  }
}

void Responder::send(int status, const std::string& body, int retry_after_seconds) {
  if (sent_) return;
  sent_ = true;
  if (retry_after_seconds > 0) {
    writer_.headers().add<RetryAfter>(retry_after_seconds);
  }
  try {
    if (keep_alive_) {
      writer_.send(static_cast<Http::Code>(status), body, MIME(Application, Json));
    } else {
      // Pistache 0.0.5 keeps the socket open even after "Connection: close": shut it down once the answer is
      // written. shutdown() keeps the descriptor, so the reactor closes it as a normal disconnect.
      const int fd = writer_.peer()->fd();
      writer_.send(static_cast<Http::Code>(status), body, MIME(Application, Json))
          .then([fd](ssize_t) { ::shutdown(fd, SHUT_RDWR); }, Async::IgnoreException);
    }
  } catch (const std::exception& e) {
    // The client went away before its answer was ready; the work itself is done (or refused) regardless.
    spdlog::debug("answer not delivered: {}", e.what());
  }
  state_->in_flight.fetch_sub(1, std::memory_order_release);
}

void Responder::method_not_allowed(const std::string& allow) {
  writer_.headers().add<AllowMethods>(allow);
  send(405, "{\"error\":{\"code\":\"method_not_allowed\",\"message\":\"allowed: " + allow + "\"}}");
}

}  // namespace tally::rest
