// tally-make-dataset: writes a valid WAL with N users and M transactions into a data directory, through the
// same WAL writer and codec tallyd uses, to measure restart time and memory at scale (bench/memory.sh).
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <thread>

#include "disk/data_dir.hpp"
#include "disk/file_system.hpp"
#include "ledger/records.hpp"
#include "wal/record_codec.hpp"
#include "wal/wal_writer.hpp"

namespace {

constexpr tally::UtcMicros jan1_2023 = 1'672'531'200'000'000;
constexpr tally::UtcMicros half_year_micros = 182ll * 86'400'000'000;
constexpr std::uint64_t in_flight_max = 200'000;

// A uuid-shaped uid (36 characters), so index memory is measured with realistic keys.
std::string uid_for(std::uint64_t i) {
  char buffer[40];
  std::snprintf(buffer, sizeof buffer, "%08llx-0000-4000-8000-%012llx", static_cast<unsigned long long>(i >> 48),
                static_cast<unsigned long long>(i & 0xffffffffffffull));
  return buffer;
}

}  // namespace

// The WAL encoder refuses records its reader would refuse (e.g. more users than limits::users_max).
template <typename Record>
std::string encoded(const Record& record) {
  std::optional<std::string> payload = tally::wal::encode(record);
  if (!payload) {
    std::fprintf(stderr, "record refused by the WAL encoder (out of limits)\n");
    std::exit(2);
  }
  return std::move(*payload);
}

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s DATA_DIR USERS TRANSACTIONS\n", argv[0]);
    return 2;
  }
  const tally::disk::DataDir data_dir(argv[1]);
  const std::uint64_t users = std::strtoull(argv[2], nullptr, 10);
  const std::uint64_t transactions = std::strtoull(argv[3], nullptr, 10);
  if (users == 0) return 2;

  tally::wal::WalWriterOptions options;
  options.dir = data_dir.wal();
  options.fs = &tally::disk::posix_file_system();
  options.on_fatal = [](const std::string& what) {
    std::fprintf(stderr, "fatal: %s\n", what.c_str());
    std::exit(1);
  };
  tally::wal::WalWriter wal(options);
  std::atomic<std::uint64_t> done{0}, failed{0};
  std::uint64_t submitted = 0;
  auto submit = [&](std::string payload) {
    while (submitted - done.load(std::memory_order_acquire) > in_flight_max) {
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    ++submitted;
    wal.submit(std::move(payload), 0, [&](tally::wal::WalStatus status) {
      if (status != tally::wal::WalStatus::durable) failed.fetch_add(1);
      done.fetch_add(1, std::memory_order_release);
    });
  };

  const auto started = std::chrono::steady_clock::now();
  for (std::uint64_t id = 1; id <= users; ++id) {
    submit(encoded(tally::UserCreated{id, "user" + std::to_string(id), "", jan1_2023}));
  }
  // Deposits of 100.00 in the first half of 2023, then withdrawals of 1.00 in the second half: every user's
  // balance stays positive at every moment whatever the order, and timestamps arrive out of order.
  std::mt19937_64 rng(42);
  const std::uint64_t deposits = transactions - transactions / 4;
  for (std::uint64_t i = 0; i < transactions; ++i) {
    const bool deposit = i < deposits;
    tally::TransactionApplied tx;
    tx.uid = uid_for(i);
    tx.user_id = 1 + (i % users);
    tx.kind = deposit ? tally::TxKind::deposit : tally::TxKind::withdraw;
    tx.amount = deposit ? 10'000 : 100;
    tx.at = jan1_2023 + (deposit ? 0 : half_year_micros) + static_cast<tally::UtcMicros>(rng() % half_year_micros);
    tx.timestamp_given = true;
    submit(encoded(tx));
  }
  wal.stop();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const tally::wal::WalStats stats = wal.stats();
  std::printf("wrote %llu users, %llu transactions: %llu records, %llu bytes, %llu batches in %.1f s (%llu failed)\n",
              static_cast<unsigned long long>(users), static_cast<unsigned long long>(transactions),
              static_cast<unsigned long long>(stats.records), static_cast<unsigned long long>(stats.bytes),
              static_cast<unsigned long long>(stats.batches), seconds,
              static_cast<unsigned long long>(failed.load()));
  return failed.load() == 0 ? 0 : 1;
}
