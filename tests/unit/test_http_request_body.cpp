// HttpRequestParser, bodies: Content-Length and chunked framing (in every split where it matters), the transfer
// codings served, the route's body limit (also for a chunk announced past it), the bound on chunk framing, the
// chunk grammar http_parser leaves unchecked, and 100-continue while a body is awaited.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "rest/http_request_parser.hpp"
#include "tests/unit/http_parser_harness.hpp"

namespace tally::rest::parser_test {
namespace {

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

}  // namespace
}  // namespace tally::rest::parser_test
