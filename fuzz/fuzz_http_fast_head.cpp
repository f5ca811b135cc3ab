// libFuzzer target: the request parser's fast path (rest/http_request_fast.cpp) against its slow path. The input's
// first byte chooses the limits (small ones reach every limit) and how many cut lengths follow; the rest is the
// byte stream a client sends. Both parsers get the same stream in the same reads; everything a caller can observe
// after each feed must be the same (fuzz/http_parser_diff.hpp), or the target aborts and prints the first step that
// differs. Seeds: fuzz/corpus/fuzz_http_fast_head/ (plain heads, which the fast path takes).
//
// Standalone build, from the repository root:
//   clang++-14 -std=c++17 -g -O1 -fsanitize=fuzzer,address,undefined -I. fuzz/fuzz_http_fast_head.cpp \
//     rest/http_request.cpp rest/http_request_parser.cpp rest/http_request_fast.cpp rest/http_request_line.cpp \
//     rest/http_chunk_framing.cpp -lhttp_parser -o build/fuzz_http_fast_head
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/http_parser_diff.hpp"
#include "rest/http_request_parser.hpp"

namespace {

using tally::rest::HttpMethod;
using tally::rest::HttpParserLimits;

constexpr std::size_t cuts_max = 8;
constexpr std::size_t body_max = 512;
constexpr std::size_t batch_body_max = 4096;

std::size_t body_limit(HttpMethod method, std::string_view path) {
  return (method == HttpMethod::put || method == HttpMethod::post) && path == "/v1/transactions" ? batch_body_max
                                                                                                 : body_max;
}

HttpParserLimits limits_for(bool small) {
  HttpParserLimits limits;
  limits.body_bytes_max = &body_limit;
  if (small) {
    limits.request_line_bytes_max = 40;
    limits.header_bytes_max = 96;
    limits.header_count_max = 4;
    limits.kept_header_count_max = 2;
  }
  return limits;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const bool small = (data[0] & 0x80) != 0;
  const std::size_t cut_count = std::min<std::size_t>(data[0] % (cuts_max + 1), size - 1);
  std::vector<std::size_t> cuts;
  for (std::size_t i = 0; i < cut_count; ++i) cuts.push_back(1 + data[1 + i]);
  const std::string_view stream(reinterpret_cast<const char*>(data) + 1 + cut_count, size - 1 - cut_count);

  const HttpParserLimits limits = limits_for(small);
  const tally::rest::diff::Trace fast = tally::rest::diff::trace(stream, cuts, limits, true);
  const tally::rest::diff::Trace slow = tally::rest::diff::trace(stream, cuts, limits, false);
  const std::string difference = tally::rest::diff::first_difference(fast, slow);
  if (!difference.empty() || slow.fast_heads != 0) {
    std::fprintf(stderr, "the fast path differs from the slow path at %s\n", difference.c_str());
    std::abort();
  }
  return 0;
}
