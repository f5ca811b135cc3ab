// Microbenchmark of the HTTP edge's head parsing (google-benchmark): one GET /v1/user/{id} as wrk sends it, without
// and with "Authorization: Bearer tally_…", through HttpRequestParser (http_parser + the edge's own checks). The
// difference is what the Authorization field costs the edge per keyed request (issue 12; bench/auth_cost.sh
// measures the whole keyed request end to end).
#include <benchmark/benchmark.h>

#include <string>

#include "rest/http_request_parser.hpp"

namespace {

using tally::rest::HttpParserLimits;
using tally::rest::HttpRequestParser;

std::size_t no_body(tally::rest::HttpMethod, std::string_view) { return 0; }

const std::string open_get = "GET /v1/user/12345 HTTP/1.1\r\nHost: 127.0.0.1:18300\r\n\r\n";
const std::string keyed_get = "GET /v1/user/12345 HTTP/1.1\r\nHost: 127.0.0.1:18300\r\n"
                              "Authorization: Bearer tally_ZJ2EkIDYc4f7TqPIx72yLmuLW56V0bBcO0-vBRGnMV8\r\n\r\n";

void ParseGetHead(benchmark::State& state, const std::string& request) {
  HttpParserLimits limits;
  limits.body_bytes_max = &no_body;
  HttpRequestParser parser(limits);
  for (auto _ : state) {
    std::size_t used = 0;
    for (;;) {  // one keep-alive connection: request after request
      const HttpRequestParser::Step step = parser.feed(request.data() + used, request.size() - used);
      used += step.consumed;
      if (step.event == HttpRequestParser::Event::request) break;
      if (step.event == HttpRequestParser::Event::error) state.SkipWithError("refused");
      if (step.event == HttpRequestParser::Event::error) return;
    }
    benchmark::DoNotOptimize(parser.request().authorization.data());
  }
}
BENCHMARK_CAPTURE(ParseGetHead, open, open_get);
BENCHMARK_CAPTURE(ParseGetHead, keyed, keyed_get);

}  // namespace

BENCHMARK_MAIN();
