// A ledger wired as in production (CAF actors, WAL writer) over the in-memory fault-injecting file system,
// with blocking helpers: tests may wait on a reply; the server never does.
#pragma once

#include <future>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <set>
#include <vector>
#include <string>
#include <variant>

#include <caf/all.hpp>
#include <gtest/gtest.h>

#include "actors/ledger_service.hpp"
#include "disk/data_dir.hpp"
#include "feed/feed_rebuild.hpp"
#include "faulty_file_system.hpp"
#include "recovery/recover.hpp"
#include "wal/wal_writer.hpp"

namespace tally::testing {

inline constexpr UtcMicros day = 86'400'000'000;
inline constexpr UtcMicros jan1 = 1'672'531'200'000'000;  // 2023-01-01T00:00:00Z

inline TransactionApplied make_tx(std::string uid, UserId user, TxKind kind, MinorUnits amount, UtcMicros at) {
  return TransactionApplied{std::move(uid), user, kind, amount, at, true, {}, 0};
}

class LedgerHarness {
 public:
  explicit LedgerHarness(FaultyFileSystem& fs, std::size_t segment_bytes_max = 0,
                         std::uint32_t idle_actor_ms = limits::actor_idle_ms_default,
                         const Clock& clock = system_clock(), feed::FeedLog* feed = nullptr)
      : fs_(fs) {
    // The actor system keeps a reference to its config: it must live as long as the system.
    config_.set("scheduler.max-threads", std::size_t{2});
    system_ = std::make_unique<caf::actor_system>(config_);
    ledger_ = std::make_unique<LedgerService>(*system_, idle_actor_ms, clock);
    recovery::RecoveryOptions recovery_options;
    recovery_options.data_dir = data_dir();
    feed::FeedRebuild rebuild(feed != nullptr ? *feed : scratch_feed_);
    if (feed != nullptr)  // the change feed, rebuilt from the same records as tallyd does (app/main.cpp)
      recovery_options.on_record = [&rebuild](const wal::Record& record) {
        return std::visit([&rebuild](const auto& r) { return rebuild.add(r); }, record);
      };
    report_ = recovery::recover(fs_, recovery_options, *ledger_);
    if (!report_.status.ok()) return;
    if (feed != nullptr) ledger_->attach_feed(*feed);
    wal::WalWriterOptions options;
    options.dir = data_dir().wal();
    options.fs = &fs_;
    options.segment_bytes_max = segment_bytes_max;
    options.append_at = report_.end;
    // No zero-fill here: its idle writes and syncs would race with the faults these tests schedule by count.
    // The writer's room has its own tests (test_wal_writer_zero_fill.cpp) and runs in tallyd (black-box, crash runner).
    options.zero_fill_ahead_bytes = 0;
    options.on_fatal = [this](const std::string&) { ++fatal_calls; };
    wal_ = std::make_unique<wal::WalWriter>(options);
    ledger_->attach(*wal_);
  }
  ~LedgerHarness() { shutdown(); }

  void shutdown() {
    if (wal_) wal_->stop();
    ledger_.reset();
    wal_.reset();
  }

  static disk::DataDir data_dir() { return disk::DataDir("/data"); }

  const recovery::RecoveryReport& recovery() const { return report_; }
  LedgerService& ledger() { return *ledger_; }
  wal::WalWriter& wal() { return *wal_; }

  UserResult create_user(const std::string& name, const std::string& key = "", MinorUnits threshold = 0,
                         const std::string& client = "") {
    std::promise<UserResult> done;
    ledger_->create_user(name, key, threshold, client, [&done](const UserResult& result) { done.set_value(result); });
    return done.get_future().get();
  }
  // Attribution without a threshold: create_user(name, key, client).
  UserResult create_user(const std::string& name, const std::string& key, const char* client) {
    return create_user(name, key, 0, client);
  }

  UserResult update_user(UserId id, MinorUnits threshold, const std::string& client = "") {
    std::promise<UserResult> done;
    UserUpdated update;
    update.user_id = id;
    update.low_balance_threshold = threshold;
    update.client = client;
    ledger_->update_user(update, [&done](const UserResult& result) { done.set_value(result); });
    return done.get_future().get();
  }

  TxResult apply(const TransactionApplied& tx) {
    std::promise<TxResult> done;
    ledger_->apply(tx, [&done](const TxResult& result) { done.set_value(result); });
    return done.get_future().get();
  }

  // Results by position, once every item has answered.
  std::vector<TxResult> apply_batch(const std::vector<TransactionApplied>& txs) {
    struct Collect : BatchSink {
      explicit Collect(std::size_t n) : results(n), remaining(n) {}
      void item_done(std::size_t index, const TxResult& result) override {
        std::lock_guard<std::mutex> lock(mutex);
        if (index >= results.size() || answered.count(index)) std::abort();  // exactly once, in range
        answered.insert(index);
        results[index] = result;
        if (--remaining == 0) done.set_value();
      }
      std::mutex mutex;
      std::set<std::size_t> answered;
      std::vector<TxResult> results;
      std::size_t remaining;
      std::promise<void> done;
    };
    auto sink = std::make_shared<Collect>(txs.size());
    std::vector<std::uint32_t> positions(txs.size());
    for (std::uint32_t i = 0; i < positions.size(); ++i) positions[i] = i;
    std::future<void> finished = sink->done.get_future();
    ledger_->apply_batch(txs, std::move(positions), sink);
    finished.get();
    std::lock_guard<std::mutex> lock(sink->mutex);
    return sink->results;
  }

  MinorUnits balance_at(UserId id, UtcMicros at) {
    std::promise<MinorUnits> done;
    if (!ledger_->balance_at(id, at, [&done](MinorUnits balance) { done.set_value(balance); })) return -1;
    return done.get_future().get();
  }

  MinorUnits balance(UserId id) { return ledger_->balance_now(id).value_or(-1); }

  int fatal_calls = 0;

 private:
  FaultyFileSystem& fs_;
  feed::FeedLog scratch_feed_{1, 0};  // what an unused FeedRebuild points at
  caf::actor_system_config config_;
  std::unique_ptr<caf::actor_system> system_;
  std::unique_ptr<LedgerService> ledger_;
  std::unique_ptr<wal::WalWriter> wal_;
  recovery::RecoveryReport report_;
};

// Starts a new ledger on what `fs` holds (as after a stop) and checks one user's balance and the replayed count.
inline void expect_restart_restores(FaultyFileSystem& fs, UserId user, MinorUnits balance,
                                    std::uint64_t transactions) {
  LedgerHarness restarted(fs);
  ASSERT_TRUE(restarted.recovery().status.ok()) << restarted.recovery().status.message();
  EXPECT_EQ(restarted.balance(user), balance);
  EXPECT_EQ(restarted.recovery().transactions, transactions);
}

}  // namespace tally::testing
