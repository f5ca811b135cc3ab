// The design's JSON floor (issue 15): tallyd's own batch reader (rest/) on a 1,000-item body shaped as
// tally-loadgen's (its uids, 10% backdated items): the plain-subset tokenizer alone (read_plain_array), and the
// whole parse the batch route runs (parse_transaction_batch: tokenize + each item's fields checked and decoded).
// CPU per item from CLOCK_THREAD_CPUTIME_ID over many passes of the same body. No timing is asserted.
#include <time.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "ledger/records.hpp"
#include "ledger/limits.hpp"
#include "rest/json_plain.hpp"
#include "rest/request_parse.hpp"

namespace {

double thread_cpu_us() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) * 1e6 + static_cast<double>(now.tv_nsec) / 1e3;
}

// As bench/workload.cpp's tx_json writes an item (uid "lg<7 hex><5 hex>-<thread>-<n>").
std::string batch_body(std::size_t items) {
  std::string body = "[";
  std::uint64_t state = 88172645463325252ull;
  for (std::size_t i = 0; i < items; ++i) {
    state ^= state << 13, state ^= state >> 7, state ^= state << 17;
    char item[256];
    const long long cents = 100 + static_cast<long long>(state % 10000);
    const long long user = 1 + static_cast<long long>((state >> 20) % 2000);
    const bool withdraw = (state >> 40) % 10 < 3;
    const bool backdated = (state >> 50) % 10 == 0;
    std::snprintf(item, sizeof item, "%s{\"uid\":\"lg6a1b2c3d4e5f-0-%zu\",\"type\":\"%s\",\"amount\":\"%lld.%02lld\","
                  "\"user_id\":%lld%s}",
                  i ? "," : "", 100000 + i, withdraw ? "WITHDRAW" : "DEPOSIT", cents / 100, cents % 100, user,
                  backdated ? ",\"timestamp\":\"2024-03-05T11:22:33Z\"" : "");
    body += item;
  }
  return body + "]";
}

void report(const char* what, double spent_us, std::size_t items, int passes) {
  std::printf("%-44s cpu/item %6.3f us\n", what, spent_us / (static_cast<double>(items) * passes));
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t items = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1000;
  const int passes = argc > 2 ? std::atoi(argv[2]) : 2000;
  if (items == 0 || items > tally::limits::batch_transactions_max || passes <= 0) {
    std::fprintf(stderr, "usage: %s [items <= %zu] [passes]\n", argv[0],
                 static_cast<std::size_t>(tally::limits::batch_transactions_max));
    return 2;
  }
  const std::string body = batch_body(items);
  std::printf("# JSON floor: %zu items, %.1f B/item, %d passes\n", items,
              static_cast<double>(body.size()) / static_cast<double>(items), passes);

  tally::rest::PlainArray plain;
  std::size_t seen = 0;
  double start = thread_cpu_us();
  for (int p = 0; p < passes; ++p) {
    if (!tally::rest::read_plain_array(body, tally::limits::batch_transactions_max, plain)) return 1;
    seen += plain.size();
  }
  report("tokenize (read_plain_array)", thread_cpu_us() - start, items, passes);

  const tally::UtcMicros now_2027 = 1800000000000000;  // after every item's timestamp: none is refused
  std::vector<tally::TransactionApplied> parsed;
  std::vector<tally::rest::ApiError> errors;
  start = thread_cpu_us();
  for (int p = 0; p < passes; ++p) {
    tally::rest::parse_transaction_batch(body, now_2027, parsed, errors);
    seen += parsed.size();
  }
  report("tokenize + decode (parse_transaction_batch)", thread_cpu_us() - start, items, passes);
  for (const tally::rest::ApiError& error : errors) {
    if (error.status != 0) {
      std::fprintf(stderr, "item refused: %s\n", error.code.c_str());
      return 1;
    }
  }
  return seen == items * 2 * static_cast<std::size_t>(passes) ? 0 : 1;
}
