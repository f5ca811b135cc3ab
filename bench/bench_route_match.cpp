// Microbenchmark of the route table's matcher (google-benchmark): match_route for the paths of the standard
// bench's requests. It runs on the HTTP thread for every request before the endpoint does, so its cost is paid
// by every answer (issue 15: the reads' CPU per request).
#include <benchmark/benchmark.h>

#include "rest/route_table.hpp"

namespace {

using tally::rest::match_route;

void MatchRoute(benchmark::State& state, const char* method, const char* path) {
  for (auto _ : state) {
    tally::rest::RouteMatch match = match_route(method, path);
    benchmark::DoNotOptimize(match);
  }
}

BENCHMARK_CAPTURE(MatchRoute, get_balance, "GET", "/v1/user/4242/balance");
BENCHMARK_CAPTURE(MatchRoute, put_transaction, "PUT", "/v1/transaction");
BENCHMARK_CAPTURE(MatchRoute, get_transaction, "GET", "/v1/transaction/lg-0-12345");
BENCHMARK_CAPTURE(MatchRoute, metrics, "GET", "/metrics");

}  // namespace

BENCHMARK_MAIN();
