// The request parser's fast path (rest/http_request_fast.cpp) against the slow path (http_parser and its checks):
// plain heads, the hostile suites' shapes, every one-byte mutation of plain heads, every single cut of a stream,
// and generated heads, each fed to a parser with the fast path and one without; what a caller can observe must be
// the same (fuzz/http_parser_diff.hpp). Plain heads must also really take the fast path.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/http_parser_diff.hpp"
#include "rest/http_request_parser.hpp"

namespace tally::rest {
namespace {

using namespace std::string_literals;

constexpr std::size_t body_max = 512;
constexpr std::size_t batch_body_max = 4096;

std::size_t body_limit(HttpMethod method, std::string_view path) {
  return (method == HttpMethod::put || method == HttpMethod::post) && path == "/v1/transactions" ? batch_body_max
                                                                                                 : body_max;
}

HttpParserLimits default_limits() {
  HttpParserLimits limits;
  limits.body_bytes_max = &body_limit;
  return limits;
}

HttpParserLimits small_limits() {  // small enough that generated heads reach every limit
  HttpParserLimits limits = default_limits();
  limits.request_line_bytes_max = 40;
  limits.header_bytes_max = 96;
  limits.header_count_max = 4;
  limits.kept_header_count_max = 2;
  return limits;
}

// Both paths on one stream and one set of cuts: the same trace. Returns the fast path's head count.
std::uint64_t expect_same(std::string_view stream, const std::vector<std::size_t>& cuts, const HttpParserLimits& limits) {
  const diff::Trace fast = diff::trace(stream, cuts, limits, true);
  const diff::Trace slow = diff::trace(stream, cuts, limits, false);
  EXPECT_EQ(slow.fast_heads, 0u);
  const std::string difference = diff::first_difference(fast, slow);
  EXPECT_EQ(difference, "") << "stream: " << testing::PrintToString(std::string(stream));
  return fast.fast_heads;
}

const std::string body17 = R"({"name": "alice"})";

std::vector<std::string> plain_streams() {
  return {
      "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
      "GET /v1/user/1/balance?date=2024-01-01T00:00:00Z HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n"
      "Authorization: Bearer abc.def\r\nAccept: */*\r\nUser-Agent: wrk\r\n\r\n",
      "PUT /v1/user/7/transaction HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Idempotency-Key: 0123456789abcdef0123456789abcdef\r\nContent-Length: 17\r\n\r\n" + body17,
      "POST /v1/user HTTP/1.1\r\nhost:x\r\ncontent-length:17\r\nConnection: keep-alive\r\n\r\n" + body17,
      "DELETE /v1/user/3 HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nX-A: 1\r\nX-B:\t2 \t\r\nX-C: 3\r\n\r\n",
      "HEAD /healthz HTTP/1.1\r\nHost: x\r\nAuthorization:\r\nIdempotency-Key:   \r\nContent-Type:\r\n"
      "Content-Type: text/plain\r\n\r\n",
      "OPTIONS /v1/user HTTP/1.1\r\nHost: x\r\nX-Empty:\r\n\r\nPATCH /x HTTP/1.1\r\nHost: y\r\nContent-Length: 3\r\n\r\nabc",
      "PUT /v1/transactions HTTP/1.1\r\nHost: x\r\nContent-Length: 600\r\n\r\n" + std::string(600, 'b') +
          "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
  };
}

const std::string post_json_head = "POST /v1/user HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n";
const std::string chunked17 = "11\r\n" + body17 + "\r\n0\r\n\r\n";

// The message shapes of tests/blackbox/test_hostile*.py and test_http_edge.py: duplicate and conflicting framing,
// versions and connection handling, header and request-line syntax, the ways a head may end.
std::vector<std::string> message_shape_streams() {
  return {
      post_json_head + "Content-Length: 17\r\nContent-Length: 17\r\n\r\n" + body17,
      post_json_head + "Content-Length: 17\r\nContent-Length: 5\r\n\r\n" + body17,
      post_json_head + "Content-Length:  17 \r\n\r\n" + body17,
      post_json_head + "Content-Length: 17\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked17,
      post_json_head + "Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n" + chunked17,
      post_json_head + "Transfer-Encoding: chunked, gzip\r\n\r\n" + chunked17,
      post_json_head + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked17,
      post_json_head + "Transfer-Encoding : chunked\r\n\r\n" + chunked17,
      post_json_head + "Transfer-Encoding: gzip, chunked\r\n\r\n" + chunked17,
      post_json_head + "Transfer-Encoding: chunked\r\n\r\n" + chunked17 + "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
      "GET /healthz HTTP/1.1\r\n\r\n",
      "GET /healthz HTTP/1.0\r\n\r\n",
      "GET /healthz HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
      "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
      "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: Keep-Alive, close\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n",
      "GET /healthz HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n",
      "GET /healthz HTTP/1.1\nHost: x\n\n",
      "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Note: a\0b\r\n\r\n"s,
      "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Note: a\r\n b\r\n\r\n",
      "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Note: caf\xc3\xa9\r\n\r\n",
      "POST /v1/user HTTP/1.1\r\nHost: x\r\nContent-Length: 1\0" "7\r\n\r\n"s + body17,
      "POST /v1/user HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n 7\r\n\r\n" + body17,
      "BREW /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
      "get /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
      std::string(200, 'A') + " /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
      "GET  /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
      "GET /healthz  HTTP/1.1\r\nHost: x\r\n\r\n",
      "GET /healthz\r\nHost: x\r\n\r\n",
      "GET /healthz HTTP/3.0\r\nHost: x\r\n\r\n",
      "GET /healthz HTTP/1.7\r\nHost: x\r\n\r\n",
      "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
      "HELLO WORLD\r\n\r\n",
      "GET /healthz HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n",
      "GET /healthz HTTP/1.1\r\nHost: x\r\nIdempotency-Key: a\r\nIdempotency-Key: b\r\n\r\n",
      "GET /healthz HTTP/1.1\r\nHost: x\r\nAuthorization: a\r\nAuthorization: b\r\n\r\n",
      "POST /v1/user HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 17\r\n\r\n" + body17,
      "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: x\r\nProxy-Connection: close\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n",
      "\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
      "GET /a#frag HTTP/1.1\r\nHost: x\r\n\r\n",
      "GET http://x/healthz HTTP/1.1\r\nHost: x\r\n\r\n",
      "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n",
      "CONNECT x:443 HTTP/1.1\r\nHost: x\r\n\r\n",
      "GET /healthz HTTP/1.1\r\nHost: x\r\n\r",
      "GET /healthz HTTP/1.1\r\nHost: x\r\n\rX",
      "GET /healthz HTTP/1.1\r\nHost: x\r\n\n",
      "GET /healthz HTTP/1.1\r\nHost: x\r\r\n\r\n",
      "GET /healthz HTTP/1.1\r\n: empty-name\r\nHost: x\r\n\r\n",
  };
}

// Header names that begin like one http_parser reads itself (the fuzzer found it treats some as that header),
// and sizes, counts and Content-Length values past the limits: the slow path's other refusals.
std::vector<std::string> lookalike_and_limit_streams() {
  std::vector<std::string> out = {
      post_json_head + "Transfer-Encoding': chunked\r\n\r\n" + chunked17,
      post_json_head + "Transfer-Encodings: chunked\r\n\r\n" + chunked17,
      post_json_head + "Content-Length': 17\r\n\r\n" + body17,
      post_json_head + "Content-Lengthx: 3\r\n\r\n" + body17,
      "GET / HTTP/1.1\r\nHost: x\r\nConnection': close\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: x\r\nUpgrade-Insecure-Requests: 1\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: x\r\nUpgrade': h2c\r\nConnection: upgrade\r\n\r\n",
      "GET /healthz HTTP/1.1\r\nHost: x\r\nX\t: y\r\n\r\n",
      "POST /v1/user HTTP/1.1\r\nHost: x\r\nContent-Length: 513\r\n\r\n" + std::string(513, 'a'),
      "POST /v1/user HTTP/1.1\r\nHost: x\r\nContent-Length: 18446744073709551616\r\n\r\n",
      "POST /v1/user HTTP/1.1\r\nHost: x\r\nContent-Length: 9223372036854775808\r\n\r\n",
      "POST /v1/user HTTP/1.1\r\nHost: x\r\nContent-Length: 0017\r\n\r\n" + body17,
      "GET /" + std::string(9000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n",
      "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(17 * 1024, 'v') + "\r\n\r\n",
      "POST /v1/user HTTP/1.1\r\nHost: x\r\nContent-Length: 17\r\n\r\n{\"name\": ",
  };
  std::string many = "GET /healthz HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 101; ++i) many += "X-F" + std::to_string(i) + ": v\r\n";
  out.push_back(many + "\r\n");
  for (const char* value : {"-1", "18446744073709551615", "17abc", "17, 17", "0x11", "+17", "", " ", "17\t"}) {
    out.push_back("POST /v1/user HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::string(value) + "\r\n\r\n" + body17);
  }
  return out;
}

// The shapes of tests/blackbox/test_hostile*.py and test_http_edge.py, and the slow path's other refusals.
std::vector<std::string> hostile_streams() {
  std::vector<std::string> out = message_shape_streams();
  for (std::string& stream : lookalike_and_limit_streams()) out.push_back(std::move(stream));
  return out;
}

TEST(HttpFastHead, PlainHeadsTakeTheFastPathAndMatchTheSlowPath) {
  for (const std::string& stream : plain_streams()) {
    std::size_t messages = 0;
    for (std::size_t at = stream.find(" HTTP/1.1\r\n"); at != std::string::npos; at = stream.find(" HTTP/1.1\r\n", at + 1)) {
      ++messages;
    }
    EXPECT_EQ(expect_same(stream, {}, default_limits()), messages) << stream;
  }
}

TEST(HttpFastHead, HostileShapesMatchTheSlowPath) {
  for (const std::string& stream : hostile_streams()) {
    expect_same(stream, {}, default_limits());
    expect_same(stream, {}, small_limits());
    expect_same(stream, {7, 1, 30}, default_limits());
  }
}

TEST(HttpFastHead, EveryCutOfAStreamMatches) {
  std::vector<std::string> streams = plain_streams();
  for (const std::string& stream : hostile_streams()) {
    if (stream.size() < 400) streams.push_back(stream);
  }
  for (const std::string& stream : streams) {
    for (std::size_t cut = 1; cut < stream.size(); ++cut) {
      expect_same(stream, {cut}, default_limits());
      if (HasFailure()) return;
    }
  }
}

TEST(HttpFastHead, EveryOneByteMutationOfAPlainHeadMatches) {
  const std::string bytes = " \t\r\n:;,#?/%\0\x7f\x80\xff" "aZ09-"s;
  std::uint64_t fast_heads = 0;
  for (const std::string& stream : plain_streams()) {
    if (stream.size() > 400) continue;
    for (std::size_t at = 0; at < stream.size(); ++at) {
      std::string removed = stream;
      removed.erase(at, 1);
      fast_heads += expect_same(removed, {}, default_limits());
      for (const char c : bytes) {
        std::string replaced = stream;
        replaced[at] = c;
        fast_heads += expect_same(replaced, {}, default_limits());
        fast_heads += expect_same(replaced, {}, small_limits());
        std::string inserted = stream;
        inserted.insert(at, 1, c);
        fast_heads += expect_same(inserted, {}, default_limits());
      }
      if (HasFailure()) return;
    }
  }
  EXPECT_GT(fast_heads, 1000u);  // the mutants that stay plain are read by the fast path, and still match
}

TEST(HttpFastHead, HeadsAroundEachLimitMatch) {
  std::uint64_t fast_heads = 0;
  for (const HttpParserLimits& limits : {small_limits(), default_limits()}) {
    const std::size_t line_max = limits.request_line_bytes_max;
    const std::size_t section_max = limits.header_bytes_max;
    for (std::size_t bytes = line_max - 24; bytes <= line_max + 4; ++bytes) {  // the request line's limit
      fast_heads += expect_same("GET /" + std::string(bytes - 15, 't') + " HTTP/1.1\r\nHost: x\r\n\r\n", {}, limits);
    }
    for (std::size_t bytes = section_max - 24; bytes <= section_max + 4; ++bytes) {  // the header section's
      const std::string pad = "X-Pad: " + std::string(bytes - 18, 'v') + "\r\n";  // with Host, `bytes` + CR
      fast_heads += expect_same("GET / HTTP/1.1\r\nHost: x\r\n" + pad + "\r\n", {}, limits);
      fast_heads += expect_same("GET / HTTP/1.1\r\nHost: x\r\n" + pad + "\r\n", {10}, limits);
    }
    for (std::size_t count = limits.header_count_max - 2; count <= limits.header_count_max + 1; ++count) {
      std::string head = "GET / HTTP/1.1\r\nHost: x\r\n";
      for (std::size_t i = 1; i < count; ++i) head += "X-" + std::to_string(i) + ":\r\n";
      fast_heads += expect_same(head + "\r\n", {}, limits);
    }
    for (const std::size_t body : {body_max - 1, body_max, body_max + 1, batch_body_max, batch_body_max + 1}) {
      for (const char* target : {"/v1/user", "/v1/transactions"}) {
        fast_heads += expect_same("POST " + std::string(target) + " HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                                      std::to_string(body) + "\r\n\r\n" + std::string(body, 'b'), {}, limits);
      }
    }
  }
  EXPECT_GT(fast_heads, 50u);
}

// Heads assembled from plain and odd parts at random, pipelined, cut at random.
std::string generated_stream(std::mt19937& random) {
  static const std::vector<std::string> methods = {"GET", "PUT", "POST", "HEAD", "DELETE", "PATCH", "OPTIONS",
                                                   "get", "BREW", "CONNECT", "PUT "};
  static const std::vector<std::string> targets = {"/healthz", "/v1/user/1/transaction", "/v1/transactions",
                                                   "/v1/user/2/balance?date=x&y=%20", "*", "/a#b", "http://h/x",
                                                   "/" + std::string(60, 'p'), "/\x01", "/\xc3\xa9", "/ x", ""};
  static const std::vector<std::string> versions = {" HTTP/1.1", " HTTP/1.1", " HTTP/1.1", " HTTP/1.0", " HTTP/2.0",
                                                    " HTTP/1.9", " http/1.1", "  HTTP/1.1", ""};
  static const std::vector<std::string> names = {"Host", "host", "HOST", "Content-Type", "Idempotency-Key",
                                                 "Authorization", "Content-Length", "content-length", "Connection",
                                                 "Transfer-Encoding", "Expect", "Upgrade", "Proxy-Connection",
                                                 "X-Note", "Accept", "X-Long-" + std::string(40, 'n'), "Bad Name",
                                                 "", "Host ", "Content-Length\t"};
  static const std::vector<std::string> values = {"x", "", " ", "\t", "17", "0", "3", "600", "keep-alive", "close",
                                                  "Keep-Alive", "chunked", "100-continue", "a b", "v \t", "a\0b"s,
                                                  " padded ", "\x80", "18446744073709551616", "-1", "07",
                                                  std::string(50, 'v')};
  static const std::vector<std::string> line_ends = {"\r\n", "\r\n", "\r\n", "\r\n", "\n", "\r", "\r\n "};
  auto pick = [&random](const std::vector<std::string>& from) -> const std::string& {
    return from[std::uniform_int_distribution<std::size_t>(0, from.size() - 1)(random)];
  };
  static const std::vector<std::string> plain_names = {"Host", "Content-Type", "Idempotency-Key", "Authorization",
                                                       "Accept", "User-Agent", "X-Note", "Connection"};
  static const std::vector<std::string> plain_values = {"x", "application/json", "k-1", "Bearer t", "*/*", "",
                                                        " spaced  out\t", "keep-alive"};
  auto chance = [&random](int percent) { return std::uniform_int_distribution<int>(0, 99)(random) < percent; };
  std::string out;
  const int messages = std::uniform_int_distribution<int>(1, 3)(random);
  for (int m = 0; m < messages; ++m) {
    const bool odd = chance(40);  // else one part at most is odd, often none
    const int odd_part = odd ? -1 : std::uniform_int_distribution<int>(0, 12)(random);
    auto part = [&](int index, const std::vector<std::string>& plain, const std::vector<std::string>& any) {
      return odd || index == odd_part ? pick(any) : plain.front();
    };
    out += part(0, {"PUT"}, methods) + " " + part(1, {"/v1/user/1/transaction"}, targets) +
           part(2, {" HTTP/1.1"}, versions) + part(3, {"\r\n"}, line_ends);
    out += "Host: x" + part(4, {"\r\n"}, line_ends);
    const int fields = std::uniform_int_distribution<int>(0, 5)(random);
    for (int f = 0; f < fields; ++f) {
      out += (odd || f + 5 == odd_part ? pick(names) : pick(plain_names)) + ":" +
             (odd || f + 5 == odd_part ? pick(values) : " " + pick(plain_values)) + part(11, {"\r\n"}, line_ends);
    }
    const std::size_t body = std::uniform_int_distribution<std::size_t>(0, 20)(random);
    if (body > 0 || chance(50)) out += "Content-Length: " + std::to_string(body) + "\r\n";
    out += part(12, {"\r\n"}, line_ends);
    out += std::string(odd ? std::uniform_int_distribution<std::size_t>(0, 20)(random) : body, 'b');
  }
  return out;
}

TEST(HttpFastHead, GeneratedStreamsMatch) {
  std::mt19937 random(15);
  std::uint64_t fast_heads = 0;
  for (int i = 0; i < 30000; ++i) {
    const std::string stream = generated_stream(random);
    std::vector<std::size_t> cuts;
    for (int c = std::uniform_int_distribution<int>(0, 3)(random); c > 0; --c) {
      cuts.push_back(std::uniform_int_distribution<std::size_t>(1, 80)(random));
    }
    fast_heads += expect_same(stream, cuts, i % 2 == 0 ? default_limits() : small_limits());
    if (HasFailure()) return;
  }
  EXPECT_GT(fast_heads, 1000u);
}

}  // namespace
}  // namespace tally::rest
