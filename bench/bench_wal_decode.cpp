// Microbenchmark of restart's per-record decode (wal/record_codec): a TransactionApplied record as the API writes
// it (uuid uid, no client), through decode (the canonical shortcut, wal/record_codec_fast.hpp) and through the
// general Cap'n Proto decode it falls back to. Ten million of them are read at every restart (issue 15).
#include <benchmark/benchmark.h>

#include <string>

#include "wal/record_codec.hpp"

namespace {

std::string api_record() {
  tally::TransactionApplied tx;
  tx.uid = "0b6f3c1e-8d2a-4f57-9c1b-5e7a2d9f4c30";
  tx.user_id = 734'211;
  tx.kind = tally::TxKind::withdraw;
  tx.amount = 1'250;
  tx.at = 1'767'225'600'000'000;
  tx.recorded_at = 1'767'225'600'000'000;
  return *tally::wal::encode(tx);
}

void DecodeWithShortcut(benchmark::State& state) {
  const std::string bytes = api_record();
  for (auto _ : state) {
    auto record = tally::wal::decode(bytes);
    benchmark::DoNotOptimize(record);
  }
}

void DecodeGeneral(benchmark::State& state) {
  const std::string bytes = api_record();
  for (auto _ : state) {
    auto record = tally::wal::detail::decode_general(bytes);
    benchmark::DoNotOptimize(record);
  }
}

BENCHMARK(DecodeWithShortcut);
BENCHMARK(DecodeGeneral);

}  // namespace

BENCHMARK_MAIN();
