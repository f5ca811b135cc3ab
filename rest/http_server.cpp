// Routing and the Pistache endpoint's lifecycle. The handler never waits: it hands the request's Responder to
// an endpoint function and returns to its event loop.
#include "rest/http_server.hpp"

#include <thread>
#include <vector>

#include <pistache/endpoint.h>
#include <pistache/http.h>
#include <spdlog/spdlog.h>

#include "ledger/limits.hpp"
#include "rest/routes.hpp"

namespace tally::rest {

using namespace Pistache;

namespace {

bool wants_keep_alive(const Http::Request& request) {
  const auto connection = request.headers().tryGet<Http::Header::Connection>();
  if (request.version() == Http::Version::Http11) {
    return !connection || connection->control() != Http::ConnectionControl::Close;
  }
  return connection && connection->control() == Http::ConnectionControl::KeepAlive;
}

// "/v1/user/7/balance" -> {"v1", "user", "7", "balance"}; a trailing '/' is ignored.
std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (start < path.size()) {
    if (path[start] == '/') {
      ++start;
      continue;
    }
    const std::size_t end = path.find('/', start);
    const std::size_t stop = end == std::string_view::npos ? path.size() : end;
    parts.push_back(path.substr(start, stop - start));
    start = stop;
  }
  return parts;
}

class Handler : public Http::Handler {
 public:
  HTTP_PROTOTYPE(Handler)

  Handler(LedgerService* ledger, std::shared_ptr<ServerState> state) : ledger_(ledger), state_(std::move(state)) {}

  void onRequest(const Http::Request& request, Http::ResponseWriter writer) override {
    state_->requests.fetch_add(1, std::memory_order_relaxed);
    auto responder = std::make_shared<Responder>(std::move(writer), state_, wants_keep_alive(request));
    try {
      route(request, responder);
    } catch (const std::exception& e) {
      spdlog::error("request {} {} failed: {}", Http::methodString(request.method()), request.resource(), e.what());
      send_error(*responder, {500, "internal", "internal error"});
    }
  }

 private:
  void route(const Http::Request& request, const ResponderPtr& responder) {
    const Http::Method method = request.method();
    const std::vector<std::string_view> parts = split_path(request.resource());
    const bool get = method == Http::Method::Get;
    const bool put_or_post = method == Http::Method::Put || method == Http::Method::Post;

    if (parts.size() == 1 && parts[0] == "healthz") {
      if (!get) return responder->method_not_allowed("GET");
      // Counts for operators and the memory benchmark; all O(1) reads.
      return responder->send(200, "{\"status\":\"ok\",\"users\":" + std::to_string(ledger_->user_count()) +
                                      ",\"transactions\":" + std::to_string(ledger_->transaction_count()) +
                                      ",\"live_actors\":" + std::to_string(ledger_->live_actors()) + "}");
    }
    if (state_->draining.load(std::memory_order_acquire)) {
      std::string body = "{\"error\":{\"code\":\"shutting_down\",\"message\":\"the server is stopping\"}}";
      return responder->send(503, body, 1);
    }
    if (parts.size() < 2 || parts[0] != "v1") return not_found(*responder);
    const std::string_view noun = parts[1];
    if (noun == "user") {
      if (parts.size() == 2) {
        if (method != Http::Method::Post) return responder->method_not_allowed("POST");
        return create_user(*ledger_, request, responder);
      }
      if (parts.size() == 3) {
        if (!get) return responder->method_not_allowed("GET");
        return get_user(*ledger_, parts[2], responder);
      }
      if (parts.size() == 4 && parts[3] == "balance") {
        if (!get) return responder->method_not_allowed("GET");
        return get_balance(*ledger_, parts[2], request, responder);
      }
    } else if (noun == "transaction") {
      if (parts.size() == 2) {
        if (!put_or_post) return responder->method_not_allowed("PUT, POST");
        return put_transaction(*ledger_, request, responder);
      }
      if (parts.size() == 3) {
        if (!get) return responder->method_not_allowed("GET");
        return get_transaction(*ledger_, parts[2], responder);
      }
    } else if (noun == "transactions" && parts.size() == 2) {
      if (!put_or_post) return responder->method_not_allowed("PUT, POST");
      return put_transaction_batch(*ledger_, request, responder);
    }
    not_found(*responder);
  }

  static void not_found(Responder& responder) {
    send_error(responder, {404, "route_not_found", "no such route"});
  }

  LedgerService* ledger_;
  std::shared_ptr<ServerState> state_;
};

}  // namespace

HttpServer::HttpServer(LedgerService& ledger, HttpServerOptions options)
    : ledger_(ledger), options_(std::move(options)), state_(std::make_shared<ServerState>()) {}

HttpServer::~HttpServer() { stop(); }

void HttpServer::start() {
  const Address address(options_.bind, Port(options_.port));
  endpoint_ = std::make_unique<Http::Endpoint>(address);
  auto opts = Http::Endpoint::options()
                  .threads(options_.threads)
                  .flags(Tcp::Options::ReuseAddr)
                  .maxRequestSize(limits::http_request_bytes_max)
                  .headerTimeout(std::chrono::milliseconds(limits::http_header_timeout_ms))
                  .bodyTimeout(std::chrono::milliseconds(limits::http_body_timeout_ms))
                  .keepaliveTimeout(std::chrono::milliseconds(limits::http_keepalive_idle_ms));
  endpoint_->init(opts);
  endpoint_->setHandler(Http::make_handler<Handler>(&ledger_, state_));
  endpoint_->serveThreaded();
}

bool HttpServer::drain(std::chrono::milliseconds timeout) {
  state_->draining.store(true, std::memory_order_release);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (state_->in_flight.load(std::memory_order_acquire) > 0) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

void HttpServer::stop() {
  if (endpoint_) {
    endpoint_->shutdown();
    endpoint_.reset();
  }
}

}  // namespace tally::rest
