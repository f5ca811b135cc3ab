// Microbenchmark of the HTTP edge's head parsing (google-benchmark): one GET /v1/user/{id} as wrk sends it, without
// and with "Authorization: Bearer tally_…", through HttpRequestParser (http_parser + the edge's own checks). The
// difference is what the Authorization field costs the edge per keyed request (issue 12; bench/auth_cost.sh
// measures the whole keyed request end to end). Each also as a single PUT with its body, and each through the fast
// path (rest/http_request_fast.cpp, the default) and through http_parser alone (`slow`): the same-run ratio.
#include <benchmark/benchmark.h>

#include <string>

#include "rest/http_request_parser.hpp"

namespace {

using tally::rest::HttpParserLimits;
using tally::rest::HttpRequestParser;

std::size_t body_limit(tally::rest::HttpMethod, std::string_view) { return 4096; }

const std::string open_get = "GET /v1/user/12345 HTTP/1.1\r\nHost: 127.0.0.1:18300\r\n\r\n";
const std::string keyed_get = "GET /v1/user/12345 HTTP/1.1\r\nHost: 127.0.0.1:18300\r\n"
                              "Authorization: Bearer tally_ZJ2EkIDYc4f7TqPIx72yLmuLW56V0bBcO0-vBRGnMV8\r\n\r\n";
const std::string single_put = "PUT /v1/user/12345/transaction HTTP/1.1\r\nHost: 127.0.0.1:18300\r\n"
                               "Content-Type: application/json\r\nIdempotency-Key: put-0000000000012345\r\n"
                               "Content-Length: 62\r\n\r\n"
                               R"({"uid":"t-12345-000001","amount":-100,"time":1700000000000000})";

void ParseGetHead(benchmark::State& state, const std::string& request, bool fast_path) {
  HttpParserLimits limits;
  limits.body_bytes_max = &body_limit;
  limits.fast_path = fast_path;
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
BENCHMARK_CAPTURE(ParseGetHead, open, open_get, true);
BENCHMARK_CAPTURE(ParseGetHead, open_slow, open_get, false);
BENCHMARK_CAPTURE(ParseGetHead, keyed, keyed_get, true);
BENCHMARK_CAPTURE(ParseGetHead, keyed_slow, keyed_get, false);
BENCHMARK_CAPTURE(ParseGetHead, put, single_put, true);
BENCHMARK_CAPTURE(ParseGetHead, put_slow, single_put, false);

}  // namespace

BENCHMARK_MAIN();
