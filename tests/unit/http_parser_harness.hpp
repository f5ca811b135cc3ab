// The harness of the HttpRequestParser unit tests (test_http_request_parser.cpp: heads, request lines, versions,
// headers; test_http_request_body.cpp: bodies, chunked framing, body limits): a stream fed in any cuts, re-feeding
// what an event left unconsumed as a connection does, and what came out of it.
#pragma once

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rest/http_request_parser.hpp"

namespace tally::rest::parser_test {

using Event = HttpRequestParser::Event;

inline constexpr std::size_t small_body_max = 100;
inline constexpr std::size_t big_body_max = 1000;

inline std::size_t test_body_limit(HttpMethod, std::string_view path) {
  return path == "/big" ? big_body_max : small_body_max;
}

inline HttpParserLimits test_limits() {
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
inline Outcome parse(std::string_view input, std::vector<std::size_t> cuts = {}, HttpParserLimits limits = test_limits()) {
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

inline void expect_error(std::string_view input, int status, const std::string& code) {
  const Outcome out = parse(input);
  EXPECT_EQ(out.error.status, status) << input;
  EXPECT_EQ(out.error.code, code) << input;
  EXPECT_FALSE(out.error.message.empty());
}

inline const std::string post_with_length =
    "POST /v1/user HTTP/1.1\r\nHost: h\r\nIdempotency-Key: k-1\r\nContent-Length: 13\r\n\r\n{\"name\":\"a\"}\n";
inline const std::string post_chunked =
    "POST /v1/user HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
    "5;ext=1\r\n{\"nam\r\n8\r\ne\":\"a\"}\n\r\n0\r\nTrailer-Field: x\r\n\r\n";

}  // namespace tally::rest::parser_test
