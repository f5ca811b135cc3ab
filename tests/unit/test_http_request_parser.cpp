// HttpRequestParser: request heads in every split, pipelined sequences, the request line's and the header
// section's limits, versions, methods, Host and the other headers, each malformed-input class answered with its own
// status and code. Bodies and their framing: test_http_request_body.cpp.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "rest/http_request_parser.hpp"
#include "tests/unit/http_parser_harness.hpp"

namespace tally::rest::parser_test {
namespace {

TEST(HttpRequestParser, ReadsAGetRequest) {
  const Outcome out = parse("GET /v1/user/1/balance?date=2024-01-01&x=1 HTTP/1.1\r\nHost: example\r\n\r\n");
  ASSERT_FALSE(out.error) << out.error.message;
  ASSERT_EQ(out.requests.size(), 1u);
  EXPECT_EQ(out.requests[0].method, HttpMethod::get);
  EXPECT_EQ(out.requests[0].target, "/v1/user/1/balance?date=2024-01-01&x=1");
  EXPECT_EQ(out.requests[0].host, "example");
  EXPECT_TRUE(out.requests[0].keep_alive);
  HttpRequest request;
  request.target = out.requests[0].target;
  EXPECT_EQ(request.path(), "/v1/user/1/balance");
  EXPECT_EQ(request.query(), "date=2024-01-01&x=1");
}

// Every single cut point, and every byte on its own, gives the same requests as one piece.
TEST(HttpRequestParser, EverySplitGivesTheSameRequests) {
  const std::string pipelined =
      post_chunked + "GET /healthz HTTP/1.1\r\nHost: h\r\n\r\n" + post_with_length + "\r\n" + post_chunked;
  for (const std::string& input : {post_with_length, post_chunked, pipelined}) {
    const Outcome whole = parse(input);
    ASSERT_FALSE(whole.error) << whole.error.message;
    for (std::size_t cut = 0; cut <= input.size(); ++cut) {
      const Outcome split = parse(input, {cut});
      ASSERT_FALSE(split.error) << "cut at " << cut << ": " << split.error.message;
      ASSERT_EQ(split.requests, whole.requests) << "cut at " << cut;
    }
    std::vector<std::size_t> every_byte;
    for (std::size_t i = 1; i < input.size(); ++i) every_byte.push_back(i);
    const Outcome bytewise = parse(input, every_byte);
    ASSERT_FALSE(bytewise.error) << bytewise.error.message;
    EXPECT_EQ(bytewise.requests, whole.requests);
    EXPECT_EQ(bytewise.consumed, input.size());
  }
}

TEST(HttpRequestParser, PipelinedRequestsComeOutInOrder) {
  std::string input;
  for (int i = 0; i < 100; ++i) {
    const std::string body = "{\"name\":\"u" + std::to_string(i) + "\"}";
    input += "POST /v1/user HTTP/1.1\r\nHost: h\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  }
  const Outcome out = parse(input);
  ASSERT_EQ(out.requests.size(), 100u) << out.error.message;
  for (int i = 0; i < 100; ++i) EXPECT_EQ(out.requests[i].body, "{\"name\":\"u" + std::to_string(i) + "\"}");
}

TEST(HttpRequestParser, RequestLineLimitIs414) {
  const std::size_t limit = limits::http_request_line_bytes_max;
  const std::string fixed = std::string("GET ") + " HTTP/1.1";  // around the target
  const std::string fits = "GET /" + std::string(limit - fixed.size() - 1, 'a') + " HTTP/1.1\r\nHost: h\r\n\r\n";
  EXPECT_EQ(parse(fits).requests.size(), 1u);
  const std::string over = "GET /" + std::string(limit - fixed.size(), 'a') + " HTTP/1.1\r\nHost: h\r\n\r\n";
  expect_error(over, 414, "uri_too_long");
  // A megabyte of request line is refused after reading about the limit, not the whole line.
  const std::string huge = "GET /" + std::string(1 << 20, 'a');
  const Outcome out = parse(huge);
  EXPECT_EQ(out.error.status, 414);
  EXPECT_LT(out.consumed, 16 * limit);
  // A run of spaces where the target ends is refused at its second space (one space separates the parts).
  const Outcome spaces = parse("GET /" + std::string(limit + 10, ' ') + "HTTP/1.1\r\n\r\n");
  EXPECT_EQ(spaces.error.status, 400);
  EXPECT_EQ(spaces.consumed, std::string("GET / ").size());
  // An unknown method's line is measured the same way (http_parser stops at the method; the edge reads on).
  const std::string unknown_fits = "BREW /" + std::string(limit - fixed.size() - 2, 'a') + " HTTP/1.1\r\n\r\n";
  expect_error(unknown_fits, 501, "method_not_implemented");
  const std::string unknown_over = "BREW /" + std::string(limit - fixed.size() - 1, 'a') + " HTTP/1.1\r\n\r\n";
  expect_error(unknown_over, 414, "uri_too_long");
  const Outcome unknown_huge = parse("BREW /" + std::string(1 << 20, 'a'));
  EXPECT_EQ(unknown_huge.error.status, 414);
  EXPECT_LE(unknown_huge.consumed, limit + 1);
  // Empty lines before a request are not part of its request line, however the stream is cut.
  std::string empty_lines;
  for (int i = 0; i < 100; ++i) empty_lines += "\r\n";
  const std::string late = empty_lines + fits;
  for (std::size_t cut = 0; cut <= late.size(); cut += 97) {
    EXPECT_EQ(parse(late, {cut}).requests.size(), 1u) << cut;
  }
}

TEST(HttpRequestParser, HeaderSectionLimitsAre431) {
  const std::size_t count_max = limits::http_header_count_max;
  std::string fields;
  for (std::size_t i = 1; i < count_max; ++i) fields += "X-" + std::to_string(i) + ": v\r\n";
  EXPECT_EQ(parse("GET / HTTP/1.1\r\nHost: h\r\n" + fields + "\r\n").requests.size(), 1u);  // exactly count_max
  expect_error("GET / HTTP/1.1\r\nHost: h\r\n" + fields + "X-last: v\r\n\r\n", 431, "headers_too_large");
  const std::string big_value(limits::http_header_bytes_max, 'v');
  expect_error("GET / HTTP/1.1\r\nHost: h\r\nX-Big: " + big_value + "\r\n\r\n", 431, "headers_too_large");
  const std::string padding(limits::http_header_bytes_max, ' ');
  expect_error("GET / HTTP/1.1\r\nHost: h\r\nX-Pad:" + padding + "v\r\n\r\n", 431, "headers_too_large");
  // A huge header block in one piece is refused near the limit.
  const Outcome out = parse("GET / HTTP/1.1\r\nHost: h\r\nX-Big: " + std::string(1 << 20, 'v'));
  EXPECT_EQ(out.error.status, 431);
  EXPECT_LT(out.consumed, 8 * limits::http_header_bytes_max);
}

TEST(HttpRequestParser, LinesMustEndInCrlf) {
  expect_error("POST / HTTP/1.1\nHost: h\nContent-Length: 3\n\nabc", 400, "malformed_request");
  expect_error("GET / HTTP/1.1\r\nHost: h\n\r\n", 400, "malformed_request");
  expect_error("GET / HTTP/1.1\r\nHost: h\r\n\n", 400, "malformed_request");
  expect_error("GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n folded\r\n\r\n", 400, "malformed_request");
  expect_error("GET / HTTP/1.1\r\nHost: h\r\n\rX", 400, "malformed_request");
  expect_error("GET / HTTP/1.1\r\nHost: h\rX: y\r\n\r\n", 400, "malformed_request");
  // The same bare LF split at every point.
  const std::string bare = "GET / HTTP/1.1\r\nHost: h\n\r\n";
  for (std::size_t cut = 0; cut <= bare.size(); ++cut) EXPECT_EQ(parse(bare, {cut}).error.status, 400) << cut;
}

// The CRLF checks skip runs of ordinary bytes 16 at a time (rest/http_line_break.hpp): a bare LF ending a field
// (which http_parser alone would take) or an obs-fold after it, at every offset within those blocks (fields of
// every length up to 64) and however the stream is cut, is still refused; the same head with CRLFs is read.
TEST(HttpRequestParser, ABareLfEndingAFieldOfAnyLengthIsRefused) {
  const std::string head = "GET /v1/user/1 HTTP/1.1\r\nHost: h\r\n";
  for (std::size_t length = 1; length <= 64; ++length) {
    const std::string field = "Authorization: Bearer " + std::string(length, 'k');
    const std::string good = head + field + "\r\nX-After: 1\r\n\r\n";
    const std::string bare_lf = head + field + "\nX-After: 1\r\n\r\n";
    const std::string folded = head + field + "\r\n more\r\n\r\n";
    const std::size_t end = head.size() + field.size();
    for (const std::size_t cut : {std::size_t{0}, head.size() + 5, end - 1, end, end + 1}) {
      const Outcome out = parse(good, {cut});
      EXPECT_FALSE(out.error) << length << " " << cut;
      EXPECT_EQ(out.requests.size(), 1u) << length << " " << cut;
      EXPECT_EQ(parse(bare_lf, {cut}).error.status, 400) << length << " " << cut;
      EXPECT_EQ(parse(folded, {cut}).error.status, 400) << length << " " << cut;
    }
  }
}

TEST(HttpRequestParser, MalformedHeadsAreAnsweredAtOnce) {
  expect_error("GET /healthz HTTP/1.1\r\nBad Header Without Colon\r\n\r\n", 400, "malformed_request");
  expect_error("GET /healthz HTTP/1.1\r\nNoColon\r\n\r\n", 400, "malformed_request");
  expect_error("GET /a b HTTP/1.1\r\nHost: h\r\n\r\n", 400, "malformed_request");
  expect_error(std::string("\x00\x01\x02\xff garbage \r\n\r\n", 17), 400, "malformed_request");
  expect_error(" GET / HTTP/1.1\r\nHost: h\r\n\r\n", 400, "malformed_request");
}

TEST(HttpRequestParser, UnknownMethodsAreNotImplemented) {
  expect_error("get / HTTP/1.1\r\nHost: h\r\n\r\n", 501, "method_not_implemented");
  expect_error("GE / HTTP/1.1\r\nHost: h\r\n\r\n", 501, "method_not_implemented");  // http_parser fails at the SP
  expect_error(std::string(200, 'A') + " /healthz HTTP/1.1\r\nHost: h\r\n\r\n", 501, "method_not_implemented");
  // 501 needs a request line: http_parser stops at the method's first unknown byte, the edge reads the line on.
  expect_error("HELLO WORLD\r\n\r\n", 400, "malformed_request");
  expect_error("HELLO\r\nHost: h\r\n\r\n", 400, "malformed_request");
  expect_error("BREW  /x HTTP/1.1\r\nHost: h\r\n\r\n", 400, "malformed_request");
  // The verdict waits for the end of the line, and is the same however the line is cut.
  const std::string brew = "BREW /pot HTTP/1.1\r\nHost: h\r\n\r\n";
  const std::size_t line_end = brew.find('\n') + 1;
  EXPECT_FALSE(parse(brew.substr(0, line_end - 1)).error);  // all but the LF: not yet decided
  for (std::size_t cut = 0; cut <= brew.size(); ++cut) {
    const Outcome out = parse(brew, {cut});
    EXPECT_EQ(out.error.status, 501) << cut;
    EXPECT_EQ(out.consumed, line_end) << cut;
  }
  std::vector<std::size_t> every_byte;
  for (std::size_t i = 1; i < brew.size(); ++i) every_byte.push_back(i);
  EXPECT_EQ(parse(brew, every_byte).error.status, 501);
  // Methods http_parser knows reach the routes (which answer 405 where they do not fit).
  const Outcome known = parse("PROPFIND / HTTP/1.1\r\nHost: h\r\n\r\nDELETE /x HTTP/1.1\r\nHost: h\r\n\r\n");
  ASSERT_EQ(known.requests.size(), 2u) << known.error.message;
  EXPECT_EQ(known.requests[0].method, HttpMethod::other);
  EXPECT_EQ(known.requests[1].method, HttpMethod::delete_);
}

TEST(HttpRequestParser, HostIsRequiredOnceForHttp11) {
  expect_error("GET / HTTP/1.1\r\n\r\n", 400, "missing_host");
  expect_error("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, "malformed_request");
  const Outcome http10 = parse("GET / HTTP/1.0\r\n\r\n");
  ASSERT_EQ(http10.requests.size(), 1u) << http10.error.message;
  EXPECT_EQ(http10.requests[0].version_minor, 0);
  const Outcome empty_host = parse("GET / HTTP/1.1\r\nHost:\r\n\r\n");
  EXPECT_EQ(empty_host.requests.size(), 1u) << empty_host.error.message;
}

TEST(HttpRequestParser, OnlyHttp1VersionsAreServed) {
  expect_error("GET / HTTP/9.9\r\n\r\n", 505, "http_version_not_supported");
  expect_error("GET / HTTP/2.0\r\nHost: h\r\n\r\n", 505, "http_version_not_supported");
  expect_error("GET / HTTP/0.9\r\n\r\n", 505, "http_version_not_supported");
  expect_error("BREW / HTTP/3.0\r\nHost: h\r\n\r\n", 505, "http_version_not_supported");  // the version first
  expect_error("GET / HTTP/1.x\r\n\r\n", 400, "malformed_request");
  expect_error("GET / HTTP/1.10\r\nHost: h\r\n\r\n", 400, "malformed_request");  // one digit each
  expect_error("GET / HTTP/01.1\r\nHost: h\r\n\r\n", 400, "malformed_request");
  expect_error("GET / http/1.1\r\nHost: h\r\n\r\n", 400, "malformed_request");
}

// The HTTP/2 connection preface, whole: a request line of version 2.0 with an unknown method (RFC 9113 3.4).
TEST(HttpRequestParser, Http2PrefaceIsVersionNotSupported) {
  const std::string preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
  for (std::size_t cut = 0; cut <= preface.size(); ++cut) {
    const Outcome out = parse(preface, {cut});
    EXPECT_EQ(out.error.status, 505) << cut;
    EXPECT_EQ(out.error.code, "http_version_not_supported") << cut;
  }
}

// RFC 9110 2.5 / RFC 9112 2.3: a higher minor version of HTTP/1 is served as HTTP/1.1, with HTTP/1.1's rules.
TEST(HttpRequestParser, HigherMinorVersionIsServedAsHttp11) {
  const Outcome out = parse("GET /a HTTP/1.2\r\nHost: h\r\n\r\nGET /b HTTP/1.9\r\nHost: h\r\nConnection: close\r\n\r\n");
  ASSERT_EQ(out.requests.size(), 2u) << out.error.message;
  EXPECT_EQ(out.requests[0].version_minor, 1);
  EXPECT_TRUE(out.requests[0].keep_alive);
  EXPECT_EQ(out.requests[1].version_minor, 1);
  EXPECT_FALSE(out.requests[1].keep_alive);
  expect_error("GET / HTTP/1.2\r\n\r\n", 400, "missing_host");
  const Outcome chunked = parse("POST /small HTTP/1.3\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n");
  ASSERT_EQ(chunked.requests.size(), 1u) << chunked.error.message;
  EXPECT_EQ(chunked.requests[0].body, "ab");
}

// RFC 9112 3: method SP request-target SP HTTP-version CRLF, one space each. http_parser accepts the first four
// leniently (and the fifth as HTTP/0.9); a proxy that splits the line otherwise would see another request.
TEST(HttpRequestParser, RequestLineIsStrict) {
  for (const char* line : {"GET  /healthz HTTP/1.1", "GET /healthz  HTTP/1.1", "GET /a\tb HTTP/1.1",
                           "GET /\xc3\xa9 HTTP/1.1", "GET /healthz", "GET /healthz HTTP/1.1 ", "GET\t/ HTTP/1.1",
                           "GET", "G\x01T / HTTP/1.1", "GET /\x7f HTTP/1.1"}) {
    const std::string input = std::string(line) + "\r\nHost: h\r\n\r\n";
    for (std::size_t cut = 0; cut <= input.size(); ++cut) {
      const Outcome out = parse(input, {cut});
      EXPECT_EQ(out.error.status, 400) << line << " cut at " << cut;
      EXPECT_EQ(out.error.code, "malformed_request") << line << " cut at " << cut;
      EXPECT_TRUE(out.requests.empty()) << line;
    }
  }
  // Absolute, authority and asterisk forms are request lines (the routes answer them).
  const Outcome forms = parse("GET http://h/a?b HTTP/1.1\r\nHost: h\r\n\r\nOPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n");
  ASSERT_EQ(forms.requests.size(), 2u) << forms.error.message;
  EXPECT_EQ(forms.requests[0].target, "http://h/a?b");
  EXPECT_EQ(forms.requests[1].target, "*");
}

TEST(HttpRequestParser, KeepAliveRules) {
  const Outcome out = parse(
      "GET /a HTTP/1.1\r\nHost: h\r\n\r\n"
      "GET /b HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, close\r\n\r\n");
  ASSERT_EQ(out.requests.size(), 2u) << out.error.message;
  EXPECT_TRUE(out.requests[0].keep_alive);
  EXPECT_FALSE(out.requests[1].keep_alive);
  EXPECT_FALSE(parse("GET / HTTP/1.0\r\n\r\n").requests.at(0).keep_alive);
  EXPECT_TRUE(parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").requests.at(0).keep_alive);
}

TEST(HttpRequestParser, UpgradeAndConnectAreReadAsPlainRequests) {
  const Outcome out = parse(
      "GET /a HTTP/1.1\r\nHost: h\r\nUpgrade: h2c\r\nConnection: upgrade\r\n\r\n"
      "CONNECT h:80 HTTP/1.1\r\nHost: h\r\n\r\n"
      "GET /c HTTP/1.1\r\nHost: h\r\n\r\n");
  ASSERT_EQ(out.requests.size(), 3u) << out.error.message;
  EXPECT_EQ(out.requests[1].target, "h:80");
  EXPECT_EQ(out.requests[2].target, "/c");
}

TEST(HttpRequestParser, KeepsABoundedListOfOtherHeaders) {
  std::string fields = "Authorization: Bearer t0k3n  \r\n";
  for (int i = 0; i < 20; ++i) fields += "X-" + std::to_string(i) + ": " + std::to_string(i) + "\r\n";
  HttpRequestParser parser(test_limits());
  const std::string input = "GET / HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\n" + fields + "\r\n";
  HttpRequestParser::Step step = parser.feed(input.data(), input.size());
  ASSERT_EQ(step.event, Event::head);
  step = parser.feed(input.data() + step.consumed, input.size() - step.consumed);
  ASSERT_EQ(step.event, Event::request);
  const HttpRequest& request = parser.request();
  EXPECT_EQ(request.content_type, "application/json");
  // Authorization has its own field (auth/): it never competes with other headers for a kept place.
  EXPECT_TRUE(request.authorization_given);
  EXPECT_EQ(request.authorization, "Bearer t0k3n");
  EXPECT_EQ(request.other_headers.size(), limits::http_kept_header_count_max);
  EXPECT_EQ(request.header("X-0"), "0");
  EXPECT_EQ(request.header("X-19"), std::nullopt);
}

TEST(HttpRequestParser, RepeatedIdempotencyKeyIsRefused) {
  expect_error("POST /small HTTP/1.1\r\nHost: h\r\nIdempotency-Key: a\r\nIdempotency-Key: b\r\nContent-Length: 0\r\n\r\n",
               400, "malformed_request");
}

TEST(HttpRequestParser, RepeatedAuthorizationIsRefused) {
  expect_error("GET /a HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer a\r\nauthorization: Bearer b\r\n\r\n", 400,
               "malformed_request");
}

TEST(HttpRequestParser, AnErrorAfterGoodRequestsComesAfterThem) {
  const Outcome out = parse("GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\nContent-Length: x\r\n\r\n");
  ASSERT_EQ(out.requests.size(), 1u);
  EXPECT_EQ(out.requests[0].target, "/a");
  EXPECT_EQ(out.error.code, "invalid_content_length");
}

TEST(HttpQueryParam, FirstOccurrenceRawValue) {
  EXPECT_EQ(query_param("date=2024-01-01T00:00:00%2B01:00&date=x", "date"), "2024-01-01T00:00:00%2B01:00");
  EXPECT_EQ(query_param("x=1&date", "date"), "");
  EXPECT_EQ(query_param("x=1&date=a=b&y", "date"), "a=b");
  EXPECT_EQ(query_param("dates=1&xdate=2", "date"), std::nullopt);
  EXPECT_EQ(query_param("", "date"), std::nullopt);
  EXPECT_EQ(query_param("date=1+2", "date"), "1+2");
}

}  // namespace
}  // namespace tally::rest::parser_test
