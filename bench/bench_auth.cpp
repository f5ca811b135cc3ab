// Microbenchmarks of the API key check (google-benchmark): what one request's admission costs tallyd's HTTP
// thread: SHA-256 of the presented secret, and the whole KeyStore::admit (parse the header, hash, look up,
// compare in constant time, copy the client's name). bench/auth_cost.sh measures the same end to end.
#include <benchmark/benchmark.h>

#include <string>

#include "auth/digest.hpp"
#include "auth/key_file.hpp"
#include "auth/key_store.hpp"

namespace {

const std::string secret = "tally_ZJ2EkIDYc4f7TqPIx72yLmuLW56V0bBcO0-vBRGnMV8";  // as tally-admin new-key makes

void Sha256OfASecret(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(tally::auth::sha256(secret));
}
BENCHMARK(Sha256OfASecret);

void AdmitAKnownKey(benchmark::State& state) {
  using namespace tally::auth;
  std::string file;
  for (int i = 0; i < state.range(0); ++i) {
    file += "client-" + std::to_string(i) + " read " + to_hex(sha256(secret + std::to_string(i))) + "\n";
  }
  file += "bench read,write " + to_hex(sha256(secret)) + "\n";
  KeyStore store;
  store.replace(parse_key_file(file).entries);
  const std::string header = "Bearer " + secret;
  for (auto _ : state) benchmark::DoNotOptimize(store.admit(std::string_view(header), Scope::write));
}
BENCHMARK(AdmitAKnownKey)->Arg(0)->Arg(1000);

void RefuseAnUnknownKey(benchmark::State& state) {
  using namespace tally::auth;
  KeyStore store;
  store.replace(parse_key_file("bench read " + to_hex(sha256(secret)) + "\n").entries);
  const std::string header = "Bearer " + secret + "x";
  for (auto _ : state) benchmark::DoNotOptimize(store.admit(std::string_view(header), Scope::read));
}
BENCHMARK(RefuseAnUnknownKey);

}  // namespace

BENCHMARK_MAIN();
