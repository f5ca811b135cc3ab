// HttpConnection over a socketpair, no Pistache: answers leave in request order whatever order they complete in,
// the pipeline pauses at its depth and resumes as answers drain, held input is bounded, late answers after a
// disconnect write nothing, a full socket waits for writability, and timeouts answer 408 or close.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "ledger/limits.hpp"
#include "rest/http_connection.hpp"
#include "rest/responder.hpp"

namespace tally::rest {
namespace {

std::size_t test_body_limit(HttpMethod, std::string_view) { return limits::request_body_bytes_max; }

struct Received {
  std::string target;
  ResponderPtr responder;
};

class Recorder final : public RequestHandler, public WriteWaiter {
 public:
  void handle(const HttpRequest& request, ResponderPtr responder) override {
    received.push_back({request.target, std::move(responder)});
  }
  void wait_writable(int, std::uint64_t connection_id) override { waits.push_back(connection_id); }

  std::vector<Received> received;
  std::vector<std::uint64_t> waits;
};

class HttpConnectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    int fds[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    server_fd_ = fds[0];
    client_fd_ = fds[1];
    ::fcntl(server_fd_, F_SETFL, O_NONBLOCK);
    auto context = std::make_shared<ConnectionContext>();
    context->handler = &recorder_;
    context->write_waiter = &recorder_;
    context->state = state_;
    context->parser_limits.body_bytes_max = &test_body_limit;
    connection_ = std::make_shared<HttpConnection>(42, server_fd_, context);
  }

  void TearDown() override {
    recorder_.received.clear();  // answers 500 through still-open slots; the connection drops or writes them
    ::close(server_fd_);
    ::close(client_fd_);
  }

  void input(const std::string& bytes) { connection_->on_input(bytes.data(), bytes.size()); }

  // Everything the server side has written so far (the writes are synchronous: nothing is in flight).
  std::string output() {
    std::string out;
    char buffer[65536];
    for (;;) {
      const ssize_t n = ::recv(client_fd_, buffer, sizeof buffer, MSG_DONTWAIT);
      if (n <= 0) break;
      out.append(buffer, static_cast<std::size_t>(n));
    }
    return out;
  }

  bool client_sees_eof() {
    char byte;
    return ::recv(client_fd_, &byte, 1, MSG_DONTWAIT) == 0;
  }

  static std::string get(const std::string& target) { return "GET " + target + " HTTP/1.1\r\nHost: h\r\n\r\n"; }

  static std::size_t count(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
  }

  std::shared_ptr<ServerState> state_ = std::make_shared<ServerState>();
  Recorder recorder_;
  std::shared_ptr<HttpConnection> connection_;
  int server_fd_ = -1;
  int client_fd_ = -1;
};

TEST_F(HttpConnectionTest, AnswersLeaveInRequestOrder) {
  input(get("/a") + get("/b") + get("/c"));
  ASSERT_EQ(recorder_.received.size(), 3u);
  EXPECT_EQ(state_->in_flight.load(), 3);
  recorder_.received[2].responder->send(200, "\"c\"");
  recorder_.received[1].responder->send(200, "\"b\"");
  EXPECT_EQ(output(), "");  // the first answer is still owed: nothing may overtake it
  recorder_.received[0].responder->send(200, "\"a\"");
  const std::string out = output();
  const std::size_t a = out.find("\"a\""), b = out.find("\"b\""), c = out.find("\"c\"");
  ASSERT_NE(c, std::string::npos) << out;
  EXPECT_LT(a, b);
  EXPECT_LT(b, c);
  EXPECT_EQ(state_->in_flight.load(), 0);
}

TEST_F(HttpConnectionTest, PipelinePausesAtItsDepthAndResumesAsAnswersDrain) {
  const std::size_t depth = limits::http_pipeline_depth_max;
  std::string many;
  for (std::size_t i = 0; i < depth + 10; ++i) many += get("/" + std::to_string(i));
  input(many);
  ASSERT_EQ(recorder_.received.size(), depth);  // the rest is held, unparsed
  for (std::size_t i = 0; i < depth + 10; ++i) {
    ASSERT_LT(i, recorder_.received.size());
    EXPECT_EQ(recorder_.received[i].target, "/" + std::to_string(i));
    recorder_.received[i].responder->send(200, "{}");  // each answer frees a place: parsing resumes here
  }
  EXPECT_EQ(recorder_.received.size(), depth + 10);
  EXPECT_EQ(count(output(), "HTTP/1.1 200 OK"), depth + 10);
}

TEST_F(HttpConnectionTest, InputArrivingAtFullDepthWaitsForAnAnswer) {
  const std::size_t depth = limits::http_pipeline_depth_max;
  std::string full;
  for (std::size_t i = 0; i < depth; ++i) full += get("/x");
  input(full);  // ends exactly at a request boundary: nothing is held yet
  input(get("/late"));
  ASSERT_EQ(recorder_.received.size(), depth);
  recorder_.received[0].responder->send(200, "{}");
  ASSERT_EQ(recorder_.received.size(), depth + 1);
  EXPECT_EQ(recorder_.received.back().target, "/late");
}

TEST_F(HttpConnectionTest, ABodyIsReadToItsEndAtFullDepth) {
  std::string ahead;
  for (std::size_t i = 1; i < limits::http_pipeline_depth_max; ++i) ahead += get("/x");
  const std::string body(60 * 1024, ' ');
  input(ahead + "POST /last HTTP/1.1\r\nHost: h\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n");
  for (std::size_t at = 0; at < body.size(); at += 4096) input(body.substr(at, 4096));  // as Pistache delivers
  ASSERT_EQ(recorder_.received.size(), limits::http_pipeline_depth_max);  // the last one too, without answers
  EXPECT_EQ(recorder_.received.back().target, "/last");
}

TEST_F(HttpConnectionTest, InputHeldAtFullDepthIsBounded) {
  std::string full;
  for (std::size_t i = 0; i < limits::http_pipeline_depth_max; ++i) full += get("/x");
  input(full);
  const std::string filler = get("/held");
  std::string more;
  while (more.size() <= limits::http_pipeline_backlog_bytes_max) more += filler;
  input(more);
  const std::size_t served = recorder_.received.size();
  for (std::size_t i = 0; i < served; ++i) recorder_.received[i].responder->send(200, "{}");
  const std::string out = output();
  EXPECT_EQ(count(out, "HTTP/1.1 200 OK"), limits::http_pipeline_depth_max);
  EXPECT_NE(out.find("HTTP/1.1 503 Service Unavailable"), std::string::npos);
  EXPECT_NE(out.find("pipeline_overflow"), std::string::npos);
  EXPECT_EQ(recorder_.received.size(), limits::http_pipeline_depth_max);  // nothing held was served
}

TEST_F(HttpConnectionTest, LateAnswersAfterADisconnectWriteNothing) {
  input(get("/a"));
  ASSERT_EQ(recorder_.received.size(), 1u);
  connection_->on_disconnect();
  recorder_.received[0].responder->send(200, "{}");
  EXPECT_EQ(output(), "");
  EXPECT_EQ(state_->in_flight.load(), 0);
}

TEST_F(HttpConnectionTest, ParseErrorAnswersAfterEarlierRequestsAndCloses) {
  input(get("/a") + "GET /b HTTP/1.1\r\n\r\n");  // the second has no Host
  ASSERT_EQ(recorder_.received.size(), 1u);
  EXPECT_EQ(output(), "");
  recorder_.received[0].responder->send(200, "{}");
  const std::string out = output();
  EXPECT_EQ(out.find("HTTP/1.1 200 OK"), 0u) << out;
  EXPECT_NE(out.find("HTTP/1.1 400 Bad Request"), std::string::npos);
  EXPECT_NE(out.find("missing_host"), std::string::npos);
  EXPECT_TRUE(client_sees_eof());  // write side shut: the client reads the end after the answer
  input(get("/c"));                // input after it is dropped while lingering
  EXPECT_EQ(recorder_.received.size(), 1u);
}

TEST_F(HttpConnectionTest, ConnectionCloseAnswerEndsTheConnection) {
  input("GET /a HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n" + get("/ignored"));
  ASSERT_EQ(recorder_.received.size(), 1u);
  recorder_.received[0].responder->send(200, "{}");
  EXPECT_NE(output().find("Connection: close\r\n"), std::string::npos);
  EXPECT_TRUE(client_sees_eof());
}

TEST_F(HttpConnectionTest, ExpectContinueIsSentBeforeTheBody) {
  input("POST /u HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n");
  EXPECT_EQ(output(), "HTTP/1.1 100 Continue\r\n\r\n");
  input("{}");
  ASSERT_EQ(recorder_.received.size(), 1u);
  recorder_.received[0].responder->send(201, "{}");
  EXPECT_EQ(output().find("HTTP/1.1 201 Created"), 0u);
}

TEST_F(HttpConnectionTest, FullSocketWaitsForWritability) {
  const int small = 4096;
  ::setsockopt(server_fd_, SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
  input(get("/big") + get("/after"));
  ASSERT_EQ(recorder_.received.size(), 2u);
  const std::string big(1 << 20, 'x');
  recorder_.received[0].responder->send(200, big);
  recorder_.received[1].responder->send(200, "\"after\"");
  ASSERT_EQ(recorder_.waits, std::vector<std::uint64_t>{42});
  std::string out;
  for (int round = 0; round < 10'000 && out.find("\"after\"") == std::string::npos; ++round) {
    out += output();
    connection_->on_writable();  // as the listener would once the socket drains
  }
  EXPECT_EQ(count(out, "HTTP/1.1 200 OK"), 2u);
  EXPECT_NE(out.find(big), std::string::npos);
  EXPECT_LT(out.find(big), out.find("\"after\""));
}

TEST_F(HttpConnectionTest, SlowHeadGets408ThenClose) {
  input("GET /a HTTP/1.1\r\nHost");
  connection_->on_tick(monotonic_ms() + limits::http_header_timeout_ms / 2);
  EXPECT_EQ(output(), "");
  connection_->on_tick(monotonic_ms() + limits::http_header_timeout_ms + 1000);
  const std::string out = output();
  EXPECT_EQ(out.find("HTTP/1.1 408 Request Timeout"), 0u) << out;
  EXPECT_NE(out.find("request_timeout"), std::string::npos);
  EXPECT_TRUE(client_sees_eof());
}

TEST_F(HttpConnectionTest, IdleKeepAliveJustCloses) {
  input(get("/a"));
  recorder_.received[0].responder->send(200, "{}");
  output();
  connection_->on_tick(monotonic_ms() + limits::http_header_timeout_ms + 1000);  // kept alive: longer than a head
  EXPECT_FALSE(client_sees_eof());
  connection_->on_tick(monotonic_ms() + limits::http_keepalive_idle_ms + 1000);
  EXPECT_EQ(output(), "");  // no 408 for an idle connection
  EXPECT_TRUE(client_sees_eof());
}

TEST_F(HttpConnectionTest, OwedAnswersAreNotTimedOut) {
  input(get("/slow"));
  connection_->on_tick(monotonic_ms() + limits::http_keepalive_idle_ms + 1000);
  EXPECT_FALSE(client_sees_eof());
  recorder_.received[0].responder->send(200, "{}");
  EXPECT_EQ(output().find("HTTP/1.1 200 OK"), 0u);
}

std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// Answers completed by several threads in shuffled order, parsing resumed by whichever thread frees a place:
// every answer still leaves in request order.
class SharedQueue final : public RequestHandler, public WriteWaiter {
 public:
  void handle(const HttpRequest& request, ResponderPtr responder) override {
    std::lock_guard<std::mutex> lock(mutex);
    pending.push_back({request.target, std::move(responder)});
    ++handled;
    ready.notify_one();
  }
  void wait_writable(int, std::uint64_t) override {}

  std::mutex mutex;
  std::condition_variable ready;
  std::vector<Received> pending;
  std::size_t handled = 0;
};

TEST(HttpConnectionThreads, AnswersFromManyThreadsLeaveInOrder) {
  constexpr std::size_t requests = 200;
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  ::fcntl(fds[0], F_SETFL, O_NONBLOCK);
  SharedQueue queue;
  auto context = std::make_shared<ConnectionContext>();
  context->handler = &queue;
  context->write_waiter = &queue;
  context->state = std::make_shared<ServerState>();
  context->parser_limits.body_bytes_max = &test_body_limit;
  auto connection = std::make_shared<HttpConnection>(7, fds[0], context);

  std::vector<std::thread> answerers;
  std::size_t answered = 0;
  for (int t = 0; t < 4; ++t) {
    answerers.emplace_back([&, t] {
      std::mt19937 shuffle(static_cast<unsigned>(t));
      for (;;) {
        std::vector<Received> batch;
        {
          std::unique_lock<std::mutex> lock(queue.mutex);
          queue.ready.wait(lock, [&] { return !queue.pending.empty() || answered == requests; });
          if (queue.pending.empty()) return;
          batch.swap(queue.pending);
          answered += batch.size();
          if (answered == requests) queue.ready.notify_all();
        }
        std::shuffle(batch.begin(), batch.end(), shuffle);
        for (Received& r : batch) r.responder->send(200, "\"" + r.target + "\"");
      }
    });
  }
  std::string all;
  for (std::size_t i = 0; i < requests; ++i) all += "GET /" + std::to_string(i) + " HTTP/1.1\r\nHost: h\r\n\r\n";
  connection->on_input(all.data(), all.size());

  // Read until every answer is in (a lost one fails the read after 30 s instead of hanging the test).
  const timeval patience{30, 0};
  ::setsockopt(fds[1], SOL_SOCKET, SO_RCVTIMEO, &patience, sizeof patience);
  std::string out;
  while (count_of(out, "HTTP/1.1 200 OK") < requests || out.find("\"/" + std::to_string(requests - 1) + "\"") ==
                                                            std::string::npos) {
    char buffer[65536];
    const ssize_t n = ::recv(fds[1], buffer, sizeof buffer, 0);
    ASSERT_GT(n, 0) << "answers missing after " << count_of(out, "HTTP/1.1 200 OK");
    out.append(buffer, static_cast<std::size_t>(n));
  }
  std::size_t at = 0;
  for (std::size_t i = 0; i < requests; ++i) {
    const std::size_t found = out.find("\"/" + std::to_string(i) + "\"", at);
    ASSERT_NE(found, std::string::npos) << "answer " << i << " is out of order";
    at = found;
  }
  for (std::thread& t : answerers) t.join();
  EXPECT_EQ(queue.handled, requests);
  EXPECT_EQ(count_of(out, "HTTP/1.1 200 OK"), requests);
  ::close(fds[0]);
  ::close(fds[1]);
}

}  // namespace
}  // namespace tally::rest
