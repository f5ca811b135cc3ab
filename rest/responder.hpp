// One HTTP answer owed: any thread may complete the request later. Holds the request's place in its
// connection's answer order, applies the keep-alive decision, JSON content type and the in-flight count used by
// graceful shutdown.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "rest/http_response.hpp"
#include "rest/server_state.hpp"

namespace tally::rest {

class HttpConnection;

// The body of a streaming answer (Responder::start_stream), written over time from any one thread at a time.
class HttpStream {
 public:
  explicit HttpStream(std::shared_ptr<HttpConnection> connection) : connection_(std::move(connection)) {}
  ~HttpStream();  // close()
  HttpStream(const HttpStream&) = delete;
  HttpStream& operator=(const HttpStream&) = delete;
  bool write(std::string_view bytes);  // false: the client is gone (or too slow); stop
  void close();                        // ends the stream; the connection closes once its bytes are out

 private:
  std::shared_ptr<HttpConnection> connection_;
};

class Responder {
 public:
  Responder(std::shared_ptr<HttpConnection> connection, std::uint64_t slot, bool keep_alive, bool head_only,
            std::shared_ptr<ServerState> state);
  ~Responder();  // a request dropped without an answer gets a 500 rather than a hung client
  Responder(const Responder&) = delete;
  Responder& operator=(const Responder&) = delete;

  // Exactly one of these, once (a second answer is a bug: TALLY_ASSERT).
  void send(int status, const std::string& body, int retry_after_seconds = 0);
  void method_not_allowed(const std::string& allow);
  // The owning shard of what the answer is about (clustered tallyd): a "Tally-Shard: K" line on the answer.
  void set_shard(std::uint32_t shard);
  // Whether an answer was given; for a caller that must not answer twice (an endpoint that threw).
  bool answered() const { return sent_.load(std::memory_order_acquire); }
  // The route the request took (rest/request_metrics.hpp's label index), for its metrics; unset: "none".
  void set_route_label(std::size_t label) { route_label_ = label; }
  const ServerState& server_state() const { return *state_; }
  // The client's IP address (without the port), as the connection's socket names it: "" if unknown.
  const std::string& peer_address() const;
  // An answer that is not JSON (the documentation's files): its Content-Type and extra header lines, each ending
  // in "\r\n". With omit_body (a 304) the Content-Length is the body's, but the body is not sent.
  void send_content(int status, std::string_view body, std::string_view content_type, std::string_view extra_headers,
                    bool omit_body = false);
  // A 200 whose body is written over time (Server-Sent Events): its head says `content_type`, no length and
  // Connection: close. The request counts as answered (graceful shutdown does not wait for the stream).
  std::shared_ptr<HttpStream> start_stream(std::string_view content_type);

 private:
  void deliver(int status, std::string_view body, int retry_after_seconds, std::string_view allow);
  void deliver(int status, std::string_view body, ResponseOptions options);

  std::shared_ptr<HttpConnection> connection_;
  std::uint64_t slot_;
  bool keep_alive_;
  bool head_only_;  // an answer to HEAD carries no body
  std::shared_ptr<ServerState> state_;
  std::string shard_header_;  // "Tally-Shard: K\r\n" or empty; set before the answer, on the request's thread
  std::atomic<bool> sent_{false};
  std::size_t route_label_ = SIZE_MAX;
  std::int64_t started_ns_ = 0;  // 0 when not measured
};

}  // namespace tally::rest
