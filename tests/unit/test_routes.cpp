// The v1 routes against a stand-in ledger: anything implementing LedgerApi serves the REST layer (as a shard
// router would), and every "now" the routes use is the ledger's clock, so a manual clock decides the future bound
// to the microsecond. Requests go through a real HttpConnection over a socketpair; no actors, no WAL.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <map>
#include <string>
#include <vector>

#include "ledger/clock.hpp"
#include "ledger/ledger_api.hpp"
#include "ledger/limits.hpp"
#include "rest/http_connection.hpp"
#include "rest/responder.hpp"
#include "auth/digest.hpp"
#include "auth/key_file.hpp"
#include "rest/routes.hpp"

namespace tally::rest {
namespace {

constexpr UtcMicros jan1 = 1'672'531'200'000'000;  // 2023-01-01T00:00:00Z: long past by the system clock

// Answers every command at once and records what reached it.
class StandInLedger final : public LedgerApi {
 public:
  explicit StandInLedger(const Clock& clock) : clock_(clock) {}

  void create_user(std::string name, std::string, MinorUnits threshold, std::string client, UserReply reply) override {
    const UserView user{next_id_++, std::move(name), 0, std::move(client), threshold};
    users_[user.id] = user;
    reply(UserResult{Outcome::applied, user});
  }
  void update_user(UserUpdated update, UserReply reply) override {
    const auto found = users_.find(update.user_id);
    if (found == users_.end()) return reply(UserResult{Outcome::user_not_found, {}});
    found->second.low_balance_threshold = update.low_balance_threshold;
    reply(UserResult{Outcome::applied, found->second});
  }
  void apply(TransactionApplied tx, TxReply reply) override {
    applied.push_back(tx);
    reply(TxResult{Outcome::applied, tx});
  }
  // Answers the items last to first: the batch answer must still list them in request order.
  void apply_batch(std::vector<TransactionApplied> txs, std::vector<std::uint32_t> positions,
                   std::shared_ptr<BatchSink> sink) override {
    for (std::size_t k = txs.size(); k-- > 0;) {
      applied.push_back(txs[k]);
      sink->item_done(positions[k], TxResult{Outcome::applied, txs[k]});
    }
  }
  std::optional<UserView> find_user(UserId id) const override {
    const auto found = users_.find(id);
    if (found == users_.end()) return std::nullopt;
    return found->second;
  }
  std::optional<MinorUnits> balance_now(UserId id) const override {
    const std::optional<UserView> user = find_user(id);
    if (!user) return std::nullopt;
    return user->balance;
  }
  std::optional<TransactionApplied> find_transaction(const std::string&) const override { return std::nullopt; }
  bool balance_at(UserId id, UtcMicros, BalanceReply reply) override {
    if (!find_user(id)) return false;
    reply(0);
    return true;
  }
  // An empty page: what reached it is kept in `history_queries`.
  bool list_transactions(UserId id, HistoryQuery query, HistoryReply reply) override {
    if (!find_user(id)) return false;
    history_queries.push_back(query);
    reply(HistoryPage{});
    return true;
  }
  LedgerCounts counts() const override { return {users_.size(), applied.size(), 7}; }
  UtcMicros now() const override { return clock_.now_micros(); }

  std::vector<TransactionApplied> applied;
  std::vector<HistoryQuery> history_queries;

 private:
  const Clock& clock_;
  std::map<UserId, UserView> users_;
  UserId next_id_ = 1;
};

std::size_t body_limit(HttpMethod method, std::string_view path) { return route_body_bytes_max(method, path); }

class RoutesTest : public ::testing::Test, public RequestHandler, public WriteWaiter {
 protected:
  void SetUp() override {
    int fds[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    server_fd_ = fds[0];
    client_fd_ = fds[1];
    ::fcntl(server_fd_, F_SETFL, O_NONBLOCK);
    auto context = std::make_shared<ConnectionContext>();
    context->handler = this;
    context->write_waiter = this;
    context->state = state_;
    context->parser_limits.body_bytes_max = &body_limit;
    connection_ = std::make_shared<HttpConnection>(1, server_fd_, context);
  }
  void TearDown() override {
    ::close(server_fd_);
    ::close(client_fd_);
  }

  void handle(const HttpRequest& request, ResponderPtr responder) override {
    route_request(ledger_, *state_, gate_, request, std::move(responder));
  }
  void wait_writable(int, std::uint64_t) override { FAIL() << "a small answer fits the socket"; }

  // One request, its whole answer (the stand-in answers inside the call: nothing is left in flight).
  std::string exchange(const std::string& method, const std::string& target, const std::string& body = "",
                       const std::string& header_lines = "") {
    const std::string request = method + " " + target + " HTTP/1.1\r\nHost: h\r\n" + header_lines +
                                "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    connection_->on_input(request.data(), request.size());
    return received();
  }
  // What the connection wrote so far.
  std::string received() {
    std::string out;
    char buffer[65536];
    for (;;) {
      const ssize_t n = ::recv(client_fd_, buffer, sizeof buffer, MSG_DONTWAIT);
      if (n <= 0) break;
      out.append(buffer, static_cast<std::size_t>(n));
    }
    return out;
  }

  static std::string put_body(const std::string& uid, std::optional<UtcMicros> at) {
    std::string body = R"({"uid":")" + uid + R"(","type":"DEPOSIT","amount":1,"user_id":1)";
    if (at) body += R"(,"timestamp":")" + format_iso8601(*at) + "\"";
    return body + "}";
  }
  static bool has(const std::string& text, const std::string& what) { return text.find(what) != std::string::npos; }

  ManualClock clock_{jan1};
  StandInLedger ledger_{clock_};
  std::shared_ptr<ServerState> state_ = std::make_shared<ServerState>();
  auth::KeyStore keys_;  // open: these tests are about the routes, tests/unit/test_auth.cpp about keys
  RequestGate gate_{keys_, *state_};
  std::shared_ptr<HttpConnection> connection_;
  int server_fd_ = -1;
  int client_fd_ = -1;
};

TEST_F(RoutesTest, FutureBoundIsTheLedgerClockPlusTheSkewToTheMicrosecond) {
  const UtcMicros bound = jan1 + limits::future_skew_micros_max;
  const std::string at_bound = exchange("PUT", "/v1/transaction", put_body("at-bound", bound));
  EXPECT_TRUE(has(at_bound, "HTTP/1.1 200 ")) << at_bound;
  ASSERT_EQ(ledger_.applied.size(), 1u);
  EXPECT_EQ(ledger_.applied[0].at, bound);

  const std::string past_bound = put_body("past-bound", bound + 1);
  const std::string refused = exchange("PUT", "/v1/transaction", past_bound);
  EXPECT_TRUE(has(refused, "HTTP/1.1 422 ")) << refused;
  EXPECT_TRUE(has(refused, "\"timestamp_in_future\"")) << refused;
  EXPECT_EQ(ledger_.applied.size(), 1u) << "a refused request never reaches the ledger";

  clock_.advance(1);  // the same request, a microsecond later by the ledger's clock
  const std::string later = exchange("PUT", "/v1/transaction", past_bound);
  EXPECT_TRUE(has(later, "HTTP/1.1 200 ")) << later;
  ASSERT_EQ(ledger_.applied.size(), 2u);
  EXPECT_EQ(ledger_.applied[1].at, bound + 1);

  // A batch item is judged by the same clock.
  const std::string batch =
      exchange("PUT", "/v1/transactions", "[" + put_body("b-in", bound + 1) + "," + put_body("b-out", bound + 2) + "]");
  EXPECT_TRUE(has(batch, R"([{"status":200,"transaction":{"uid":"b-in")")) << batch;
  EXPECT_TRUE(has(batch, R"({"status":422,"error":{"code":"timestamp_in_future")")) << batch;
}

TEST_F(RoutesTest, AnAbsentTimestampIsTheLedgerClock) {
  clock_.set(jan1 + 123'456);
  const std::string answer = exchange("PUT", "/v1/transaction", put_body("no-time", std::nullopt));
  EXPECT_TRUE(has(answer, "\"timestamp\":\"" + format_iso8601(jan1 + 123'456) + "\"")) << answer;
  clock_.advance(1);
  exchange("PUT", "/v1/transactions", "[" + put_body("no-time-batch", std::nullopt) + "]");
  ASSERT_EQ(ledger_.applied.size(), 2u);
  EXPECT_EQ(ledger_.applied[0].at, jan1 + 123'456);
  EXPECT_FALSE(ledger_.applied[0].timestamp_given);
  EXPECT_EQ(ledger_.applied[1].at, jan1 + 123'457);
}

TEST_F(RoutesTest, KeysAdmitByScopeAttributeAndDelayRepeated401sToTheTick) {
  keys_.replace(auth::parse_key_file("writer write " + auth::to_hex(auth::sha256("w-secret")) + "\nreader read " +
                                     auth::to_hex(auth::sha256("r-secret")) + "\n")
                    .entries);
  const std::string writer = "Authorization: Bearer w-secret\r\n", reader = "Authorization: bearer r-secret\r\n";
  const std::string missing = exchange("GET", "/v1/user/1");
  EXPECT_TRUE(has(missing, "HTTP/1.1 401 ")) << missing;
  EXPECT_TRUE(has(missing, "WWW-Authenticate: Bearer realm=\"tally\"\r\n")) << missing;
  EXPECT_TRUE(has(missing, R"({"error":{"code":"unauthorized")")) << missing;
  const std::string forbidden = exchange("POST", "/v1/user", R"({"name":"vasya"})", reader);
  EXPECT_TRUE(has(forbidden, "HTTP/1.1 403 ")) << forbidden;
  EXPECT_TRUE(has(forbidden, "scope=\"write\"")) << forbidden;
  EXPECT_TRUE(has(exchange("GET", "/v1/user/1", "", reader), "HTTP/1.1 404 ")) << "nothing was created";
  EXPECT_TRUE(has(exchange("POST", "/v1/user", R"({"name":"vasya"})", writer), R"("client":"writer"})"));
  exchange("PUT", "/v1/transaction", put_body("k-1", jan1), writer);
  exchange("PUT", "/v1/transactions", "[" + put_body("k-2", jan1) + "]", writer);
  ASSERT_EQ(ledger_.applied.size(), 2u);
  EXPECT_EQ(ledger_.applied[0].client, "writer");
  EXPECT_EQ(ledger_.applied[1].client, "writer");
  EXPECT_TRUE(has(exchange("GET", "/healthz"), "HTTP/1.1 200 ")) << "open";
  EXPECT_TRUE(has(exchange("GET", "/openapi.json"), "HTTP/1.1 200 ")) << "open";
  EXPECT_EQ(state_->auth_unauthorized.load(), 1u);
  EXPECT_EQ(state_->auth_forbidden.load(), 1u);

  // One 401 so far from this peer; up to the limit they are answered at once, then they wait for the tick.
  for (int i = 1; i < limits::auth_failures_before_delay_max; ++i) {
    EXPECT_TRUE(has(exchange("GET", "/v1/user/1", "", "Authorization: Bearer wrong\r\n"), "HTTP/1.1 401 "));
  }
  EXPECT_EQ(exchange("GET", "/v1/user/1", "", "Authorization: Bearer wrong\r\n"), "") << "held back";
  EXPECT_EQ(state_->in_flight.load(), 1);
  gate_.tick(monotonic_ms());
  EXPECT_EQ(received(), "") << "not before its delay";
  gate_.tick(monotonic_ms() + limits::auth_failure_delay_ms);
  const std::string delayed = received();
  EXPECT_TRUE(has(delayed, "HTTP/1.1 401 ")) << delayed;
  EXPECT_TRUE(has(delayed, "Tally-Auth-Delay-Ms: " + std::to_string(limits::auth_failure_delay_ms))) << delayed;
  EXPECT_EQ(state_->auth_delayed.load(), 1u);
  EXPECT_EQ(state_->in_flight.load(), 0);
  EXPECT_TRUE(has(exchange("GET", "/v1/user/1", "", reader), "HTTP/1.1 200 ")) << "a valid key is not delayed";
}

TEST_F(RoutesTest, AStandInLedgerServesEveryRoute) {
  EXPECT_TRUE(has(exchange("POST", "/v1/user", R"({"name":"vasya"})"),
                  R"({"id":1,"name":"vasya","balance":"0.00","low_balance_threshold":"0.00","client":""})"));
  EXPECT_TRUE(has(exchange("PATCH", "/v1/user/1", R"({"low_balance_threshold":"2.5"})"),
                  R"({"id":1,"name":"vasya","balance":"0.00","low_balance_threshold":"2.50","client":""})"));
  EXPECT_TRUE(has(exchange("PATCH", "/v1/user/1", R"({"name":"x"})"), "\"read_only_field\""));
  EXPECT_TRUE(has(exchange("PATCH", "/v1/user/9", R"({"low_balance_threshold":1})"), "\"user_not_found\""));
  EXPECT_TRUE(has(exchange("GET", "/v1/user/1"), "HTTP/1.1 200 "));
  EXPECT_TRUE(has(exchange("GET", "/v1/user/1/balance?date=2023-01-01"), R"("balance":"0.00","date":)"));
  EXPECT_TRUE(has(exchange("GET", "/v1/user/2/balance"), "\"user_not_found\""));
  EXPECT_TRUE(has(exchange("GET", "/v1/transaction/x"), "\"transaction_not_found\""));
  // Items answered last to first still come back in request order, each by its position.
  const std::string batch = exchange("PUT", "/v1/transactions",
                                     "[" + put_body("p0", jan1) + "," + put_body("p1", jan1) + "," +
                                         put_body("p2", jan1) + "]");
  const std::size_t p0 = batch.find("\"p0\""), p1 = batch.find("\"p1\""), p2 = batch.find("\"p2\"");
  ASSERT_NE(p2, std::string::npos) << batch;
  EXPECT_LT(p0, p1);
  EXPECT_LT(p1, p2);
  EXPECT_TRUE(has(exchange("GET", "/healthz"), R"({"status":"ok","users":1,"transactions":3,"live_actors":7})"));
  EXPECT_EQ(state_->in_flight.load(), 0);
}

}  // namespace
}  // namespace tally::rest
