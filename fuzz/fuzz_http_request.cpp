// libFuzzer target for the HTTP edge's request parser (rest/http_request_parser.hpp). The input's first bytes
// choose where the stream is cut into reads; the rest is the byte stream a client sends. Checked on every input:
// no crash or sanitizer report, each event is a head, a request or one final error, nothing delivered exceeds the
// parser's limits, and cutting the stream differently changes neither the requests nor whether it ends in error.
//
// Standalone build, from the repository root (only Debian packages: clang-14, libhttp-parser-dev):
//   clang++-14 -std=c++17 -g -O1 -fsanitize=fuzzer,address,undefined -I. fuzz/fuzz_http_request.cpp \
//     rest/http_request.cpp rest/http_request_parser.cpp -lhttp_parser -o build/fuzz_http_request
//   build/fuzz_http_request -max_len=20000 -max_total_time=60
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "rest/http_request_parser.hpp"

namespace {

using tally::rest::ApiError;
using tally::rest::HttpMethod;
using tally::rest::HttpParserLimits;
using tally::rest::HttpRequest;
using tally::rest::HttpRequestParser;
using Event = HttpRequestParser::Event;

constexpr std::size_t cuts_max = 16;
constexpr std::size_t body_max = 512;
constexpr std::size_t batch_body_max = 4096;

void require(bool condition, const char* what) {
  if (condition) return;
  std::fprintf(stderr, "invariant violated: %s\n", what);
  std::abort();
}

std::size_t body_limit(HttpMethod method, std::string_view path) {
  return (method == HttpMethod::put || method == HttpMethod::post) && path == "/v1/transactions" ? batch_body_max
                                                                                                 : body_max;
}

HttpParserLimits fuzz_limits() {
  HttpParserLimits limits;
  limits.request_line_bytes_max = 256;  // small limits so the fuzzer reaches them
  limits.header_bytes_max = 512;
  limits.header_count_max = 8;
  limits.kept_header_count_max = 2;
  limits.chunk_framing_bytes_max = 256;
  limits.body_bytes_max = &body_limit;
  return limits;
}

struct Delivered {
  HttpMethod method;
  std::string target;
  std::string body;
  bool keep_alive;
  bool operator==(const Delivered& o) const {
    return method == o.method && target == o.target && body == o.body && keep_alive == o.keep_alive;
  }
};

struct Result {
  std::vector<Delivered> requests;
  int error_status = 0;
  std::string error_code;
};

void check_request(const HttpRequest& request, const HttpParserLimits& limits) {
  require(request.version_minor == 0 || request.version_minor == 1, "only HTTP/1.0 and 1.1 are delivered");
  require(request.target.size() <= limits.request_line_bytes_max, "target within the request line limit");
  require(request.body.size() <= limits.body_bytes_max(request.method, request.path()), "body within its limit");
  require(request.other_headers.size() <= limits.kept_header_count_max, "kept headers bounded");
  require(request.host.size() <= limits.header_bytes_max, "host within the header limit");
  require(!request.method_name.empty(), "a delivered request names its method");
}

bool allowed_edge_status(int status) {
  for (const int allowed : {400, 413, 414, 431, 501, 505}) {
    if (status == allowed) return true;
  }
  return false;
}

Result run(std::string_view stream, const std::vector<std::size_t>& cut_lengths) {
  const HttpParserLimits limits = fuzz_limits();
  HttpRequestParser parser(limits);
  Result result;
  std::size_t offset = 0;
  std::size_t next_cut = 0;
  std::size_t heads = 0;
  while (offset < stream.size()) {
    const std::size_t piece_size =
        next_cut < cut_lengths.size() ? std::min(cut_lengths[next_cut++], stream.size() - offset) : stream.size() - offset;
    std::string_view piece = stream.substr(offset, piece_size);
    offset += piece_size;
    while (!piece.empty()) {
      const HttpRequestParser::Step step = parser.feed(piece.data(), piece.size());
      require(step.consumed <= piece.size(), "never consumes more than given");
      piece.remove_prefix(step.consumed);
      switch (step.event) {
        case Event::need_more:
          require(piece.empty(), "need_more only once everything is consumed");
          break;
        case Event::head:
          require(heads == result.requests.size(), "one head before each request");
          ++heads;
          break;
        case Event::request:
          require(heads == result.requests.size() + 1, "each request after its head");
          check_request(parser.request(), limits);
          result.requests.push_back(
              {parser.request().method, parser.request().target, parser.request().body, parser.request().keep_alive});
          break;
        case Event::error: {
          const ApiError& error = parser.error();
          require(parser.failed(), "an error leaves the parser failed");
          require(allowed_edge_status(error.status), "an edge error status");
          require(!error.code.empty() && !error.message.empty(), "an error has a code and a message");
          result.error_status = error.status;
          result.error_code = error.code;
          return result;
        }
      }
    }
  }
  return result;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t cut_count = std::min<std::size_t>(data[0] % (cuts_max + 1), size - 1);
  std::vector<std::size_t> cuts;
  for (std::size_t i = 0; i < cut_count; ++i) cuts.push_back(1 + data[1 + i]);
  const std::string_view stream(reinterpret_cast<const char*>(data) + 1 + cut_count, size - 1 - cut_count);

  const Result split = run(stream, cuts);
  const Result whole = run(stream, {});
  // With several faults in one stream, which is seen first may depend on the cuts; whether there is one may not.
  require(split.requests == whole.requests, "the same requests however the stream is cut");
  require((split.error_status == 0) == (whole.error_status == 0), "an error however the stream is cut");
  return 0;
}
