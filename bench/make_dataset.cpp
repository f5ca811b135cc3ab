// tally-make-dataset: writes a valid WAL with N users and M transactions into a data directory, through the
// same WAL writer and codec tallyd uses, to measure restart time and memory at scale (bench/memory.sh).
// Two shapes: `generated` (users in turn, sequential uuid-shaped uids, random dates in 2023) and `api` (what
// the API path writes under real traffic: users picked at random, random v4 uuids, server-clock times with
// some backdated deposits, deposits and withdrawals of varied amounts, some transactions as batch entries).
#include <atomic>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <random>
#include <string>
#include <thread>
#include <vector>

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

// A random version-4 uuid, as clients make them.
std::string random_uuid(std::mt19937_64& rng) {
  const std::uint64_t high = rng(), low = rng();
  char buffer[40];
  std::snprintf(buffer, sizeof buffer, "%08llx-%04llx-4%03llx-%04llx-%012llx",
                static_cast<unsigned long long>(high >> 32), static_cast<unsigned long long>((high >> 16) & 0xffff),
                static_cast<unsigned long long>(high & 0xfff),
                static_cast<unsigned long long>(0x8000 | ((low >> 48) & 0x3fff)),
                static_cast<unsigned long long>(low & 0xffffffffffffull));
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

using Submit = std::function<void(tally::wal::RecordGroup)>;

// Users 1..users in turn; deposits of 100.00 in the first half of 2023, then withdrawals of 1.00 in the second
// half: every user's balance stays positive at every moment whatever the order, and timestamps arrive out of
// order.
void write_generated(const Submit& submit, std::uint64_t users, std::uint64_t transactions) {
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
    tally::wal::RecordGroup group;
    group.add(encoded(tx));
    submit(std::move(group));
  }
}

// As the API path writes under real traffic: each entry is one user's (picked at random), a single transaction
// or, one time in five, a batch's share of 2..8 items (one WAL entry). Acceptance times (recorded_at) follow a
// server clock ticking ~20 µs per transaction; a transaction without a timestamp is stamped with its request's
// arrival, shared by the ~100 transactions of one batch request as the API does; one deposit in ten is
// backdated by up to 30 days (timestamp given). A withdrawal takes
// at most the user's balance at the server's now, so no balance is ever negative; a user with nothing deposits.
void write_api_shaped(const Submit& submit, std::uint64_t users, std::uint64_t transactions) {
  constexpr tally::UtcMicros backdate_max_micros = 30ll * 86'400'000'000;
  std::mt19937_64 rng(7);
  std::vector<tally::MinorUnits> balance(users + 1, 0);
  constexpr std::uint64_t request_items = 100;
  tally::UtcMicros now = jan1_2023 + backdate_max_micros, request_at = now;
  for (std::uint64_t written = 0, next_request = 0; written < transactions;) {
    if (written >= next_request) {
      request_at = now;
      next_request += request_items;
    }
    const tally::UserId user = 1 + rng() % users;
    const std::uint64_t items = std::min<std::uint64_t>(rng() % 5 == 0 ? 2 + rng() % 7 : 1, transactions - written);
    tally::wal::RecordGroup group;
    for (std::uint64_t k = 0; k < items; ++k) {
      now += 1 + static_cast<tally::UtcMicros>(rng() % 40);
      tally::TransactionApplied tx;
      tx.uid = random_uuid(rng);
      tx.user_id = user;
      tx.recorded_at = now;
      tx.at = request_at;
      const bool withdraw = balance[user] > 0 && rng() % 3 == 0;
      tx.kind = withdraw ? tally::TxKind::withdraw : tally::TxKind::deposit;
      tx.amount = withdraw ? 1 + static_cast<tally::MinorUnits>(rng() % static_cast<std::uint64_t>(balance[user]))
                           : 1 + static_cast<tally::MinorUnits>(rng() % 500'000);
      if (!withdraw && rng() % 10 == 0) {
        tx.timestamp_given = true;
        tx.at = now - static_cast<tally::UtcMicros>(rng() % backdate_max_micros);
      }
      balance[user] += tx.delta();
      group.add(encoded(tx));
    }
    written += items;
    submit(std::move(group));
  }
}

int main(int argc, char** argv) {
  const std::string shape = argc == 5 ? argv[4] : "generated";
  if ((argc != 4 && argc != 5) || (shape != "generated" && shape != "api")) {
    std::fprintf(stderr, "usage: %s DATA_DIR USERS TRANSACTIONS [generated|api]\n", argv[0]);
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
  const Submit submit = [&](tally::wal::RecordGroup group) {
    while (submitted - done.load(std::memory_order_acquire) > in_flight_max) {
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    ++submitted;
    wal.submit_group(std::move(group), 0, [&](tally::wal::WalStatus status) {
      if (status != tally::wal::WalStatus::durable) failed.fetch_add(1);
      done.fetch_add(1, std::memory_order_release);
    });
  };

  const auto started = std::chrono::steady_clock::now();
  for (std::uint64_t id = 1; id <= users; ++id) {
    tally::wal::RecordGroup group;
    group.add(encoded(tally::UserCreated{id, "user" + std::to_string(id), "", jan1_2023, "", 0}));
    submit(std::move(group));
  }
  if (shape == "api")
    write_api_shaped(submit, users, transactions);
  else
    write_generated(submit, users, transactions);
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
