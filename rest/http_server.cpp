// Wiring of the edge: Pistache's reactor and transports own the sockets and call a Tcp::Handler per reactor
// thread; the listener thread accepts, waits for writability and ticks; the connection table joins them.
#include "rest/http_server.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include <pistache/net.h>
#include <pistache/peer.h>
#include <pistache/reactor.h>
#include <pistache/tcp.h>
#include <pistache/transport.h>
#include <spdlog/spdlog.h>

#include "ledger/limits.hpp"
#include "rest/http_connection.hpp"
#include "rest/events_dispatcher.hpp"
#include "rest/http_listener.hpp"
#include "rest/http_transport.hpp"
#include "rest/request_metrics.hpp"
#include "rest/routes.hpp"

namespace tally::rest {

using namespace Pistache;

namespace {

std::size_t connection_limit_for_descriptors() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return limits::http_connections_max;
  const std::size_t soft = static_cast<std::size_t>(limit.rlim_cur);
  const std::size_t reserved = std::min(limits::http_descriptors_reserved_max, soft / 2);
  return std::clamp<std::size_t>(soft - reserved, 1, limits::http_connections_max);
}

}  // namespace

class PeerHandler;

// Everything the connections and Pistache's handlers share: routes, write waits, the table, the cap.
class HttpServer::Edge final : public RequestHandler, public WriteWaiter, public ListenerEvents {
 public:
  Edge(LedgerApi& ledger, shard::ClusterApi* cluster, std::shared_ptr<ServerState> state, const auth::KeyStore& keys)
      : ledger_(ledger), cluster_(cluster), state_(std::move(state)), gate_(keys, *state_) {
    auto context = std::make_shared<ConnectionContext>();
    context->handler = this;
    context->write_waiter = this;
    context->state = state_;
    context->parser_limits.body_bytes_max = &route_body_bytes_max;
    context_ = std::move(context);
  }

  void start(const HttpServerOptions& options);
  void stop();

  // RequestHandler
  void handle(const HttpRequest& request, ResponderPtr responder) override {
    route_request(ledger_, *state_, gate_, request, std::move(responder), cluster_);
  }
  // WriteWaiter
  void wait_writable(int fd, std::uint64_t connection_id) override { listener_.wait_writable(fd, connection_id); }
  // ListenerEvents
  bool at_capacity() override {
    return state_->open_connections.load(std::memory_order_relaxed) >= connection_limit_;
  }
  void on_accept(int fd, const sockaddr_storage& address) override;
  void on_writable(std::uint64_t connection_id) override;
  void on_tick(std::int64_t now_ms) override;

  // From the reactor threads.
  // A peer handed over by on_accept arrived: whatever on_accept did with it happens before what follows.
  void peer_arrived() { const std::lock_guard<std::mutex> handoff(handoff_mutex_); }
  std::shared_ptr<HttpConnection> connect(int fd);
  void disconnect(const std::shared_ptr<HttpConnection>& connection);

 private:
  LedgerApi& ledger_;
  shard::ClusterApi* cluster_;
  std::shared_ptr<ServerState> state_;
  RequestGate gate_;
  std::shared_ptr<const ConnectionContext> context_;
  HttpListener listener_{*this};
  std::shared_ptr<Aio::Reactor> reactor_;
  std::vector<std::shared_ptr<Tcp::Transport>> transports_;
  std::size_t next_transport_ = 0;  // the listener thread's
  std::mutex handoff_mutex_;        // on_accept's hand-off of a peer to its reactor thread (see there)
  std::size_t connection_limit_ = limits::http_connections_max;
  std::atomic<std::uint64_t> next_id_{HttpListener::first_connection_id};
  std::mutex table_mutex_;
  std::unordered_map<std::uint64_t, std::shared_ptr<HttpConnection>> table_;
  std::unique_ptr<EventsDispatcher> events_;
};

// One per reactor thread (Pistache clones it for each); its map is only touched by that thread.
class PeerHandler final : public ReadOnceHandler {
 public:
  explicit PeerHandler(HttpServer::Edge* edge) : edge_(edge) {}
  std::shared_ptr<Tcp::Handler> clone() const override { return std::make_shared<PeerHandler>(edge_); }

  void onConnection(const std::shared_ptr<Tcp::Peer>& peer) override {
    edge_->peer_arrived();
    connections_[peer->fd()] = edge_->connect(peer->fd());
  }

  HttpConnection* connection_of(int fd) override {
    const auto found = connections_.find(fd);
    return found == connections_.end() ? nullptr : found->second.get();
  }

  // Pistache's own reads: a socket with a FIN or an error in its event (rest/http_transport.hpp).
  void onInput(const char* data, size_t size, const std::shared_ptr<Tcp::Peer>& peer) override {
    const auto found = connections_.find(peer->fd());
    if (found == connections_.end()) return;
    try {
      found->second->on_input(data, size);
    } catch (const std::exception& e) {  // nothing may escape into Pistache's reactor loop
      spdlog::error("connection {}: input failed: {}", found->second->id(), e.what());
    }
  }

  void onDisconnection(const std::shared_ptr<Tcp::Peer>& peer) override {
    const auto found = connections_.find(peer->fd());
    if (found == connections_.end()) return;
    edge_->disconnect(found->second);
    connections_.erase(found);
  }

 private:
  HttpServer::Edge* edge_;
  std::unordered_map<int, std::shared_ptr<HttpConnection>> connections_;
};

void HttpServer::Edge::start(const HttpServerOptions& options) {
  connection_limit_ = connection_limit_for_descriptors();
  if (options.feed != nullptr) {
    events_ = std::make_unique<EventsDispatcher>(*options.feed, state_);
    events_->start();
    state_->events = events_.get();
  }
  reactor_ = Aio::Reactor::create();
  reactor_->init(Aio::AsyncContext(static_cast<std::size_t>(std::max(1, options.threads)), "tally-http"));
  const Aio::Reactor::Key key =
      reactor_->addHandler(std::make_shared<ShortReadTransport>(std::make_shared<PeerHandler>(this)));
  for (const std::shared_ptr<Aio::Handler>& handler : reactor_->handlers(key)) {
    transports_.push_back(std::static_pointer_cast<Tcp::Transport>(handler));
  }
  reactor_->run();
  listener_.start(options.bind, options.port);
  spdlog::info("HTTP edge: {} reactor threads, at most {} connections", transports_.size(), connection_limit_);
}

void HttpServer::Edge::stop() {
  // Parked readers are answered and streams ended while their connections can still take the bytes.
  if (events_) events_->stop();  // it lives on (refusing new readers) until the reactor threads are gone
  listener_.stop();
  {
    // From here no answer touches a descriptor: Pistache may close them all as it stops.
    std::lock_guard<std::mutex> lock(table_mutex_);
    for (auto& [id, connection] : table_) connection->shut_down();
  }
  if (reactor_) {
    reactor_->shutdown();
    transports_.clear();
    reactor_.reset();
  }
}

void HttpServer::Edge::on_accept(int fd, const sockaddr_storage& address) {
  const int one = 1;
  // Each answer is one write: sending it at once beats Nagle's wait for the previous answer's ACK.
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  try {
    // The peer goes to its reactor thread through Pistache's queue, which ThreadSanitizer cannot see (libpistache
    // is not instrumented), and that thread frees it (Transport::removePeer). This thread's last touch of the
    // peer is dropping its reference, at the end of this block: under handoff_mutex_, which the reactor thread
    // takes in onConnection (peer_arrived) before anything there can free the peer. Once per connection.
    const std::lock_guard<std::mutex> handoff(handoff_mutex_);
    auto peer =
        Tcp::Peer::Create(fd, Address::fromUnix(reinterpret_cast<sockaddr*>(const_cast<sockaddr_storage*>(&address))));
    const std::shared_ptr<Tcp::Transport>& transport = transports_[next_transport_++ % transports_.size()];
    state_->open_connections.fetch_add(1, std::memory_order_relaxed);  // given back by its disconnect
    transport->handleNewPeer(peer);
  } catch (const std::exception& e) {
    spdlog::warn("cannot serve a new connection: {}", e.what());
    ::close(fd);
  }
}

std::shared_ptr<HttpConnection> HttpServer::Edge::connect(int fd) {
  auto connection = std::make_shared<HttpConnection>(next_id_.fetch_add(1, std::memory_order_relaxed), fd, context_);
  std::lock_guard<std::mutex> lock(table_mutex_);
  table_.emplace(connection->id(), connection);
  return connection;
}

void HttpServer::Edge::disconnect(const std::shared_ptr<HttpConnection>& connection) {
  connection->on_disconnect();
  {
    std::lock_guard<std::mutex> lock(table_mutex_);
    table_.erase(connection->id());
  }
  state_->open_connections.fetch_sub(1, std::memory_order_relaxed);
}

void HttpServer::Edge::on_writable(std::uint64_t connection_id) {
  std::shared_ptr<HttpConnection> connection;
  {
    std::lock_guard<std::mutex> lock(table_mutex_);
    const auto found = table_.find(connection_id);
    if (found == table_.end()) return;  // gone meanwhile
    connection = found->second;
  }
  connection->on_writable();
}

void HttpServer::Edge::on_tick(std::int64_t now_ms) {
  gate_.tick(now_ms);  // delayed 401s (rest/request_gate.hpp)
  std::lock_guard<std::mutex> lock(table_mutex_);
  for (auto& [id, connection] : table_) connection->on_tick(now_ms);
}

// ---------------------------------------------------------------------------------------------------------------

HttpServer::HttpServer(LedgerApi& ledger, HttpServerOptions options)
    : ledger_(ledger), options_(std::move(options)), state_(std::make_shared<ServerState>()) {
  if (options_.metrics == nullptr) return;
  state_->metrics = std::make_shared<const RestMetrics>(*options_.metrics);
  // Read at scrape time through the shared state, which outlives every connection and answer.
  const std::shared_ptr<const ServerState> state = state_;
  options_.metrics->gauge_read("tally_http_connections", "Open client connections",
                               [state] { return static_cast<double>(state->open_connections.load()); });
  options_.metrics->gauge_read("tally_http_requests_in_flight", "Requests routed and not yet answered",
                               [state] { return static_cast<double>(state->in_flight.load()); });
}

HttpServer::~HttpServer() { stop(); }

void HttpServer::start() {
  edge_ = std::make_unique<Edge>(ledger_, options_.cluster, state_, options_.keys ? *options_.keys : open_keys_);
  try {
    edge_->start(options_);
  } catch (...) {
    edge_->stop();
    edge_.reset();
    throw;
  }
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
  if (edge_) {
    edge_->stop();
    edge_.reset();
  }
}

}  // namespace tally::rest
