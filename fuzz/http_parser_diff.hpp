// The differential check of the request parser's fast path (rest/http_request_fast.cpp): one stream, cut into the
// same reads, fed to a parser with the fast path and to one without; everything a caller can observe after each
// feed (event, bytes consumed, phase, continue_expected, the request at each head and request, the error) must be
// the same. Shared by tests/unit/test_http_fast_head.cpp and fuzz/fuzz_http_fast_head.cpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "rest/http_request_parser.hpp"

namespace tally::rest::diff {

// Everything observable after one feed, as text: two traces are equal exactly when the paths agree.
inline std::string describe_step(HttpRequestParser& parser, HttpRequestParser::Step step) {
  std::string out = "event=" + std::to_string(static_cast<int>(step.event)) + " consumed=" +
                    std::to_string(step.consumed) + " phase=" + std::to_string(static_cast<int>(parser.phase())) +
                    " continue=" + std::to_string(parser.continue_expected());
  if (step.event == HttpRequestParser::Event::error) {
    const ApiError& error = parser.error();
    return out + " error=" + std::to_string(error.status) + " " + error.code + " " + error.message;
  }
  if (step.event == HttpRequestParser::Event::need_more) return out;
  const HttpRequest& r = parser.request();
  out += " method=" + std::to_string(static_cast<int>(r.method)) + " name=" + std::string(r.method_name) +
         " target=" + r.target + " minor=" + std::to_string(r.version_minor) +
         " keep_alive=" + std::to_string(r.keep_alive) + " expect=" + std::to_string(r.expect_continue) +
         " host=" + r.host + " type=" + r.content_type +
         " key=" + (r.idempotency_key ? "[" + *r.idempotency_key + "]" : std::string("none")) +
         " auth=" + std::to_string(r.authorization_given) + "[" + r.authorization + "]";
  for (const HttpHeaderField& field : r.other_headers) out += " other=[" + field.name + "][" + field.value + "]";
  return out + " body=[" + r.body + "]";
}

struct Trace {
  std::vector<std::string> steps;
  std::uint64_t fast_heads = 0;
};

// Feeds `stream` cut at `cut_lengths` (then the rest in one read), as HttpConnection does: each read's unconsumed
// rest is fed again after the event; an error ends the stream.
inline Trace trace(std::string_view stream, const std::vector<std::size_t>& cut_lengths, HttpParserLimits limits,
                   bool fast_path) {
  limits.fast_path = fast_path;
  HttpRequestParser parser(limits);
  Trace out;
  std::size_t offset = 0;
  std::size_t next_cut = 0;
  while (offset < stream.size()) {
    const std::size_t rest = stream.size() - offset;
    const std::size_t piece_size = next_cut < cut_lengths.size() ? std::min(cut_lengths[next_cut++], rest) : rest;
    std::string_view piece = stream.substr(offset, piece_size);
    offset += piece_size;
    while (!piece.empty()) {
      const HttpRequestParser::Step step = parser.feed(piece.data(), piece.size());
      out.steps.push_back(describe_step(parser, step));
      piece.remove_prefix(step.consumed);
      if (step.event == HttpRequestParser::Event::error) {
        out.fast_heads = parser.fast_heads();
        return out;
      }
    }
  }
  out.fast_heads = parser.fast_heads();
  return out;
}

// The first step where the two paths differ, or "" when they agree.
inline std::string first_difference(const Trace& fast, const Trace& slow) {
  const std::size_t n = std::max(fast.steps.size(), slow.steps.size());
  for (std::size_t i = 0; i < n; ++i) {
    const std::string a = i < fast.steps.size() ? fast.steps[i] : "(none)";
    const std::string b = i < slow.steps.size() ? slow.steps[i] : "(none)";
    if (a != b) return "step " + std::to_string(i) + ":\n fast: " + a + "\n slow: " + b;
  }
  return {};
}

}  // namespace tally::rest::diff
