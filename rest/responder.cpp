// Responder: renders the whole answer into one buffer here, on the completing thread, and hands it to the
// connection, which writes it once every earlier answer on the connection is out.
#include "rest/responder.hpp"

#include <spdlog/spdlog.h>

#include "ledger/assert.hpp"
#include "rest/http_connection.hpp"
#include "rest/http_response.hpp"
#include "rest/request_metrics.hpp"

namespace tally::rest {

Responder::Responder(std::shared_ptr<HttpConnection> connection, std::uint64_t slot, bool keep_alive, bool head_only,
                     std::shared_ptr<ServerState> state)
    : connection_(std::move(connection)),
      slot_(slot),
      keep_alive_(keep_alive),
      head_only_(head_only),
      state_(std::move(state)) {
  state_->in_flight.fetch_add(1, std::memory_order_relaxed);
  if (state_->metrics) started_ns_ = state_->metrics->http.start();
}

Responder::~Responder() {
  if (!answered()) {
    spdlog::error("a request was dropped without an answer; sending 500");
    send(500, "{\"error\":{\"code\":\"internal\",\"message\":\"the request was not answered\"}}");
  }
}

const std::string& Responder::peer_address() const { return connection_->peer_address(); }

void Responder::send(int status, const std::string& body, int retry_after_seconds) {
  deliver(status, body, retry_after_seconds, {});
}

void Responder::set_shard(std::uint32_t shard) {
  shard_header_ = "Tally-Shard: " + std::to_string(shard) + "\r\n";
}

void Responder::method_not_allowed(const std::string& allow) {
  deliver(405, "{\"error\":{\"code\":\"method_not_allowed\",\"message\":\"allowed: " + allow + "\"}}", 0, allow);
}

void Responder::send_content(int status, std::string_view body, std::string_view content_type,
                             std::string_view extra_headers, bool omit_body) {
  ResponseOptions options;
  options.content_type = content_type;
  options.extra_headers = extra_headers;
  options.head_only = omit_body;
  deliver(status, body, options);
}

std::shared_ptr<HttpStream> Responder::start_stream(std::string_view content_type) {
  const bool already = sent_.exchange(true, std::memory_order_acq_rel);
  TALLY_ASSERT(!already, "a request is answered once");
  std::string head = "HTTP/1.1 200 OK\r\nContent-Type: ";
  head.append(content_type);
  // No length: the body ends when the connection does. No caching or buffering by proxies on the way.
  head += "\r\nCache-Control: no-cache\r\nX-Accel-Buffering: no\r\nConnection: close\r\n\r\n";
  // Counted as answered (200) when it starts: the stream's duration is its reader's, not the request's.
  if (state_->metrics) state_->metrics->http.record(route_label_, 200, started_ns_);
  connection_->answer_stream(slot_, std::move(head));
  state_->in_flight.fetch_sub(1, std::memory_order_release);
  return std::make_shared<HttpStream>(connection_);
}

HttpStream::~HttpStream() { close(); }

bool HttpStream::write(std::string_view bytes) { return connection_->stream_write(bytes); }

void HttpStream::close() { connection_->stream_close(); }

void Responder::deliver(int status, std::string_view body, int retry_after_seconds, std::string_view allow) {
  ResponseOptions options;
  options.retry_after_seconds = retry_after_seconds;
  options.allow = allow;
  options.extra_headers = shard_header_;
  deliver(status, body, options);
}

void Responder::deliver(int status, std::string_view body, ResponseOptions options) {
  const bool already = sent_.exchange(true, std::memory_order_acq_rel);
  TALLY_ASSERT(!already, "a request is answered once");
  options.keep_alive = keep_alive_;
  options.head_only = options.head_only || head_only_;
  std::string rendered = render_response(status, body, options);
  // Counted before the client can see the answer: a scrape it sends next includes this request.
  if (state_->metrics) state_->metrics->http.record(route_label_, status, started_ns_);
  // The connection drops it if the client has gone; the work itself is done (or refused) regardless.
  connection_->answer(slot_, std::move(rendered), !keep_alive_);
  state_->in_flight.fetch_sub(1, std::memory_order_release);
}

}  // namespace tally::rest
