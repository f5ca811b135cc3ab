// HttpRequestParser: framing (Content-Length, chunked) in every split, pipelined sequences, the edge's limits,
// and each malformed-input class answered with its own status and code.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "rest/http_request_parser.hpp"

namespace tally::rest {
namespace {

using Event = HttpRequestParser::Event;

constexpr std::size_t small_body_max = 100;
constexpr std::size_t big_body_max = 1000;

std::size_t test_body_limit(HttpMethod, std::string_view path) {
  return path == "/big" ? big_body_max : small_body_max;
}

HttpParserLimits test_limits() {
  HttpParserLimits limits;
  limits.body_bytes_max = &test_body_limit;
  return limits;
}

struct Seen {
  HttpMethod method;
  std::string target;
  int version_minor;
  bool keep_alive;
  std::string host;
  std::optional<std::string> idempotency_key;
  std::string body;
  bool operator==(const Seen& o) const {
    return method == o.method && target == o.target && version_minor == o.version_minor &&
           keep_alive == o.keep_alive && host == o.host && idempotency_key == o.idempotency_key && body == o.body;
  }
};

struct Outcome {
  std::vector<Seen> requests;
  std::vector<bool> continue_expected;  // one per head
  ApiError error;
  std::size_t consumed = 0;  // bytes used in all
};

// Feeds `input` in pieces cut at `cuts` (ascending), re-feeding what an event left unconsumed, as a connection does.
Outcome parse(std::string_view input, std::vector<std::size_t> cuts = {}, HttpParserLimits limits = test_limits()) {
  HttpRequestParser parser(limits);
  Outcome out;
  cuts.push_back(input.size());
  std::size_t start = 0;
  for (const std::size_t cut : cuts) {
    std::string_view piece = input.substr(start, cut - start);
    start = cut;
    while (!piece.empty()) {
      const HttpRequestParser::Step step = parser.feed(piece.data(), piece.size());
      EXPECT_LE(step.consumed, piece.size());
      piece.remove_prefix(step.consumed);
      out.consumed += step.consumed;
      if (step.event == Event::head) out.continue_expected.push_back(parser.continue_expected());
      if (step.event == Event::request) {
        const HttpRequest& r = parser.request();
        out.requests.push_back({r.method, r.target, r.version_minor, r.keep_alive, r.host, r.idempotency_key, r.body});
      }
      if (step.event == Event::error) {
        out.error = parser.error();
        EXPECT_TRUE(parser.failed());
        return out;
      }
      if (step.event == Event::need_more) {
        EXPECT_TRUE(piece.empty());
      }
    }
  }
  return out;
}

void expect_error(std::string_view input, int status, const std::string& code) {
  const Outcome out = parse(input);
  EXPECT_EQ(out.error.status, status) << input;
  EXPECT_EQ(out.error.code, code) << input;
  EXPECT_FALSE(out.error.message.empty());
}

const std::string post_with_length =
    "POST /v1/user HTTP/1.1\r\nHost: h\r\nIdempotency-Key: k-1\r\nContent-Length: 13\r\n\r\n{\"name\":\"a\"}\n";
const std::string post_chunked =
    "POST /v1/user HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
    "5;ext=1\r\n{\"nam\r\n8\r\ne\":\"a\"}\n\r\n0\r\nTrailer-Field: x\r\n\r\n";

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

TEST(HttpRequestParser, ReadsBodiesByLengthAndChunked) {
  const Outcome by_length = parse(post_with_length);
  ASSERT_EQ(by_length.requests.size(), 1u) << by_length.error.message;
  EXPECT_EQ(by_length.requests[0].body, "{\"name\":\"a\"}\n");
  EXPECT_EQ(by_length.requests[0].idempotency_key, "k-1");
  const Outcome chunked = parse(post_chunked);
  ASSERT_EQ(chunked.requests.size(), 1u) << chunked.error.message;
  EXPECT_EQ(chunked.requests[0].body, "{\"name\":\"a\"}\n");
}

// The reported hang: a chunk's trailing CRLF split across two reads.
TEST(HttpRequestParser, ChunkCrlfSplitAcrossReads) {
  const std::string first = "POST /v1/user HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r";
  const Outcome out = parse(first + "\n0\r\n\r\n", {first.size()});
  ASSERT_EQ(out.requests.size(), 1u) << out.error.message;
  EXPECT_EQ(out.requests[0].body, "abc");
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

TEST(HttpRequestParser, ContentLengthIsStrict) {
  // Too large for a 64-bit count: http_parser stops from 2^64 - 6 (18446744073709551610) up.
  for (const char* value : {"-1", "+5", "0x11", "17abc", "17, 17", "1 7", "", "18446744073709551610",
                            "18446744073709551615", "18446744073709551616", "99999999999999999999999"}) {
    expect_error(std::string("POST /v1/user HTTP/1.1\r\nHost: h\r\nContent-Length: ") + value + "\r\n\r\n", 400,
                 "invalid_content_length");
  }
  // Repeated, equal or not: the first no longer wins.
  expect_error("POST /v1/user HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc", 400,
               "invalid_content_length");
  expect_error("POST /v1/user HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 30\r\n\r\nabc", 400,
               "invalid_content_length");
  // Large but well-formed: refused for the route's limit, before any body byte.
  const std::string head = "POST /v1/user HTTP/1.1\r\nHost: h\r\nContent-Length: 9223372036854775808\r\n\r\n";
  const Outcome huge = parse(head);
  EXPECT_EQ(huge.error.status, 413);
  EXPECT_EQ(huge.error.code, "body_too_large");
  EXPECT_LE(huge.consumed, head.size());
  // The largest value http_parser holds, 2^64 - 7: still 413.
  expect_error("POST /v1/user HTTP/1.1\r\nHost: h\r\nContent-Length: 18446744073709551609\r\n\r\n", 413,
               "body_too_large");
}

TEST(HttpRequestParser, ContentLengthWithTransferEncodingIsRefused) {
  expect_error("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
               400, "invalid_content_length");
  expect_error("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
               400, "invalid_content_length");
}

TEST(HttpRequestParser, TransferCodingsOtherThanChunkedAreNotImplemented) {
  // chunked last: the framing is known, and a coding before it is not implemented (RFC 9112 6.1).
  expect_error("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501,
               "unsupported_transfer_coding");
  expect_error("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
               501, "unsupported_transfer_coding");
}

// RFC 9112 6.3: a request whose final transfer coding is not chunked has no knowable end: 400, whatever the rest.
TEST(HttpRequestParser, ChunkedNotLastIsMalformedFraming) {
  expect_error("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", 400, "malformed_request");
  expect_error("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n", 400,
               "malformed_request");
  expect_error("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n", 400, "malformed_request");
  expect_error("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: \r\n\r\n", 400, "malformed_request");
  expect_error("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
               400, "malformed_request");
  expect_error("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400, "malformed_request");
  const Outcome mixed_case = parse("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: ChunKed\r\n\r\n2\r\nab\r\n0\r\n\r\n");
  ASSERT_EQ(mixed_case.requests.size(), 1u) << mixed_case.error.message;
  EXPECT_EQ(mixed_case.requests[0].body, "ab");
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

TEST(HttpRequestParser, BodyLimitFollowsTheRoute) {
  const std::string at_limit(small_body_max, 'x');
  const Outcome fits = parse("POST /small HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n\r\n" + at_limit);
  ASSERT_EQ(fits.requests.size(), 1u) << fits.error.message;
  // Over the limit by Content-Length: refused from the head alone, before the body arrives.
  const std::string head = "POST /small HTTP/1.1\r\nHost: h\r\nContent-Length: 101\r\n\r\n";
  const Outcome early = parse(head);
  EXPECT_EQ(early.error.status, 413);
  EXPECT_EQ(early.error.code, "body_too_large");
  const Outcome big_route = parse("POST /big HTTP/1.1\r\nHost: h\r\nContent-Length: 101\r\n\r\n" + at_limit + "x");
  EXPECT_EQ(big_route.requests.size(), 1u) << big_route.error.message;
}

// A chunk size that takes the body past the limit is refused at its line, before any of its data is sent.
TEST(HttpRequestParser, ChunkSizeOverTheLimitIs413BeforeItsData) {
  const std::string head = "POST /small HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n";
  const std::string line = "65\r\n";  // 101 bytes
  for (std::size_t cut = 0; cut <= head.size() + line.size(); ++cut) {
    const Outcome out = parse(head + line, {cut});
    EXPECT_EQ(out.error.status, 413) << cut;
    EXPECT_EQ(out.error.code, "body_too_large") << cut;
  }
  // The same after chunks that fit: 60 + 41 bytes.
  const std::string sixty(60, 'x');
  expect_error(head + "3c\r\n" + sixty + "\r\n29\r\n", 413, "body_too_large");
  EXPECT_EQ(parse(head + "3c\r\n" + sixty + "\r\n28\r\n").error.status, 0);  // 100: fits, waits for the data
}

TEST(HttpRequestParser, ChunkedBodyIsRefusedAsSoonAsItOutgrowsTheLimit) {
  std::string input = "POST /small HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 10; ++i) input += "a\r\n0123456789\r\n";  // exactly 100 bytes
  const Outcome fits = parse(input + "0\r\n\r\n");
  ASSERT_EQ(fits.requests.size(), 1u) << fits.error.message;
  const std::string over = input + "1\r\nx\r\n";
  const Outcome out = parse(over + std::string(1 << 16, 'z'));  // junk after: never read
  EXPECT_EQ(out.error.status, 413);
  EXPECT_LE(out.consumed, over.size());
}

// Chunk extensions (and sizes, and trailers) never reach a callback: their bytes are bounded on their own.
TEST(HttpRequestParser, ChunkFramingIsBounded) {
  const Outcome out = parse("POST /small HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n1;" +
                            std::string(limits::http_chunk_framing_bytes_max + 10, 'e'));
  EXPECT_EQ(out.error.status, 413);
}

// RFC 9112 7.1: http_parser skips a chunk extension up to the next CR whatever it holds, takes any byte after a
// CR as its LF and any two bytes after a chunk's data as its CRLF; the edge checks the grammar itself.
TEST(HttpRequestParser, MalformedChunkFramingIsRefused) {
  const std::string head = "POST /small HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n";
  const std::string data = "{\"name\": \"evil1\"}";  // 0x11 bytes
  for (const std::string& chunks : {
           std::string("11;\0\r\n", 6) + data + "\r\n0\r\n\r\n",   // NUL in an extension
           "11;a=\"open\r\n" + data + "\r\n0\r\n\r\n",                // unterminated quoted value
           std::string("11;a=\"x\0\"\r\n", 11) + data + "\r\n0\r\n\r\n",  // NUL inside the quotes
           "11\r\n" + data + "XX0\r\n\r\n",                            // data not followed by CRLF
           "11\r\n" + data + "\rX0\r\n\r\n",
           "11\rX" + data + "\r\n0\r\n\r\n",                           // CR not followed by LF
           "11\n" + data + "\r\n0\r\n\r\n",                            // bare LF after the size
           "11 \r\n" + data + "\r\n0\r\n\r\n",                         // whitespace only before ';'
           "11;\r\n" + data + "\r\n0\r\n\r\n",                         // ';' without a name
           "11;a=\r\n" + data + "\r\n0\r\n\r\n",                       // '=' without a value
           "11;a b\r\n" + data + "\r\n0\r\n\r\n",
           "11;a=b c\r\n" + data + "\r\n0\r\n\r\n",
           "11;a=\"b\"c\r\n" + data + "\r\n0\r\n\r\n",
           "11;(a)\r\n" + data + "\r\n0\r\n\r\n",                      // not a token
           "11\r\n" + data + "\r\n0\r\n\n",                             // bare LF ending the body
           "11\r\n" + data + "\r\n0\r\nX-T: 1\n\r\n",                   // bare LF ending a trailer
           "11\r\n" + data + "\r\n0\r\nX-T: 1\r\n folded\r\n\r\n",    // obs-fold in a trailer
           "11\r\n" + data + "\r\n0\r\n\rX",                             // CR not followed by LF at the end
       }) {
    const std::string input = head + chunks;
    for (std::size_t cut = head.size() - 1; cut <= input.size(); ++cut) {
      const Outcome out = parse(input, {cut});
      EXPECT_EQ(out.error.status, 400) << testing::PrintToString(chunks) << " cut at " << cut;
      EXPECT_EQ(out.error.code, "malformed_request") << testing::PrintToString(chunks) << " cut at " << cut;
      EXPECT_TRUE(out.requests.empty()) << testing::PrintToString(chunks);
    }
  }
}

TEST(HttpRequestParser, ValidChunkExtensionsAndTrailersAreAccepted) {
  const std::string head = "POST /small HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n";
  const std::string input = head + "3 ; note=\"ok \\\" \\\\ \xe9\" ;x ; y = z\r\nabc\r\n002;q\r\nde\r\n"
                                   "000 ;last=\"\"\r\nX-Trailer: 1\r\nY: \r\n\r\n";
  const Outcome whole = parse(input);
  ASSERT_EQ(whole.requests.size(), 1u) << whole.error.message;
  EXPECT_EQ(whole.requests[0].body, "abcde");
  for (std::size_t cut = 0; cut <= input.size(); ++cut) {
    const Outcome split = parse(input, {cut});
    ASSERT_EQ(split.requests, whole.requests) << "cut at " << cut << ": " << split.error.message;
  }
}

// BWS allows a tab before ';', but http_parser refuses one right after the size: stricter than RFC 9112, kept.
TEST(HttpRequestParser, TabAfterAChunkSizeIsRefusedByHttpParser) {
  expect_error("POST /small HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n1\t;a\r\nx\r\n0\r\n\r\n", 400,
               "malformed_request");
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

TEST(HttpRequestParser, ExpectContinueOnlyWhileTheBodyIsAwaited) {
  const std::string head = "POST /small HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n";
  const Outcome waiting = parse(head + "abc", {head.size()});
  ASSERT_EQ(waiting.continue_expected.size(), 1u);
  EXPECT_TRUE(waiting.continue_expected[0]);
  EXPECT_EQ(waiting.requests.at(0).body, "abc");
  const Outcome sent_along = parse(head + "abc");
  EXPECT_FALSE(sent_along.continue_expected.at(0));
  const Outcome no_body = parse("POST /small HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 0\r\n\r\n");
  EXPECT_FALSE(no_body.continue_expected.at(0));
  const Outcome http10 = parse("POST /small HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n");
  EXPECT_FALSE(http10.continue_expected.at(0));
  const Outcome refused = parse("POST /small HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 500\r\n\r\n");
  EXPECT_EQ(refused.error.status, 413);
  EXPECT_TRUE(refused.continue_expected.empty());
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
}  // namespace tally::rest
