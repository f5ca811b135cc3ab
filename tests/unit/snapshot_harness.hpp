// Helpers for the snapshot tests: a model of the acknowledged facts, a ledger restored with chosen recovery
// options (no writer), and a text fingerprint of everything a client could observe, to compare two ledgers.
#pragma once

#include <future>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <caf/all.hpp>

#include "ledger_harness.hpp"
#include "disk/data_dir.hpp"
#include "recovery/recover.hpp"
#include "snapshot/snapshot_format.hpp"
#include "wal/wal_reader.hpp"

namespace tally::testing {

inline const disk::DataDir data_dir = LedgerHarness::data_dir();  // the harness's ledgers write here
inline const std::string wal_dir = data_dir.wal();
inline const std::string snap_dir = data_dir.snapshots();
inline constexpr std::size_t small_segment_bytes = 4096;  // a few dozen records: many segments quickly
inline constexpr UtcMicros day_micros = 86'400'000'000;
inline constexpr UtcMicros jan1_2023 = 1'672'531'200'000'000;

inline std::string segment_path(std::uint64_t n) { return wal::segment_path(wal_dir, n); }
inline std::string snapshot_path(wal::WalPosition at) { return snap_dir + "/" + snapshot::snapshot_file_name(at); }

struct Model {
  std::map<UserId, std::string> users;
  std::map<std::string, TransactionApplied> txs;
};

// Four users (created once), then random deposits and withdrawals (some refused, some backdated).
inline void drive(LedgerHarness& h, Model& model, unsigned seed, int steps) {
  std::mt19937 rng(seed);
  while (model.users.size() < 4) {
    const UserResult r = h.create_user("user" + std::to_string(model.users.size()));
    if (r.outcome == Outcome::applied) model.users[r.user.id] = r.user.name;
  }
  for (int i = 0; i < steps; ++i) {
    const UserId u = 1 + rng() % 4;
    const TxKind kind = rng() % 3 ? TxKind::deposit : TxKind::withdraw;
    const TxResult r = h.apply(make_tx("s" + std::to_string(seed) + "-" + std::to_string(i), u, kind, 1 + rng() % 5000,
                                       jan1_2023 + static_cast<UtcMicros>(rng() % 60) * day_micros));
    if (r.outcome == Outcome::applied) model.txs[r.record.uid] = r.record;
  }
}

// Stops the writer and returns the end of the durable log (what a final snapshot covers).
inline wal::WalPosition stop_and_end(LedgerHarness& h) {
  h.wal().stop();
  const wal::WalPosition end = h.wal().position();
  h.shutdown();
  return end;
}

// End of the newest closed segment of a running writer ({0,0} if none is closed yet).
inline wal::WalPosition closed_end(disk::FileSystem& fs, wal::WalPosition now) {
  if (now.segment <= 1) return {};
  std::uint64_t size = 0;
  static_cast<void>(fs.file_size(segment_path(now.segment - 1), size));
  return wal::WalPosition{now.segment - 1, size};
}

// A ledger rebuilt by recovery alone: snapshots + WAL, or the WAL only.
class RestoredLedger {
 public:
  // restore_while_validating: recovery's start_over mode (as tallyd runs it): a snapshot is validated by the
  // read that restores it; each start over gets a fresh ledger. records_at_start_overs(): how many records
  // on_record had seen (since the last start) when each start over came.
  RestoredLedger(disk::FileSystem& fs, bool use_snapshots, bool read_only = true,
                 bool restore_while_validating = false) {
    config_.set("scheduler.max-threads", std::size_t{2});
    system_ = std::make_unique<caf::actor_system>(config_);
    ledger_ = std::make_unique<LedgerService>(*system_);
    recovery::RecoveryOptions options;
    options.data_dir = data_dir;
    options.use_snapshots = use_snapshots;
    options.read_only = read_only;
    options.on_record = [this](const wal::Record&) {
      ++records_seen_;
      return true;
    };
    if (restore_while_validating) {
      options.start_over = [this]() -> LedgerRestore& {
        records_at_start_overs_.push_back(records_seen_);
        records_seen_ = 0;
        ledger_.reset();
        ledger_ = std::make_unique<LedgerService>(*system_);
        return *ledger_;
      };
    }
    report_ = recovery::recover(fs, options, *ledger_);
  }
  ~RestoredLedger() { ledger_.reset(); }
  const recovery::RecoveryReport& report() const { return report_; }
  LedgerService& ledger() { return *ledger_; }
  const std::vector<std::uint64_t>& records_at_start_overs() const { return records_at_start_overs_; }

 private:
  caf::actor_system_config config_;
  std::unique_ptr<caf::actor_system> system_;
  std::unique_ptr<LedgerService> ledger_;
  recovery::RecoveryReport report_;
  std::uint64_t records_seen_ = 0;
  std::vector<std::uint64_t> records_at_start_overs_;
};

// Users, names, balances now and at dates, every modelled uid's record: all a client could ask.
inline std::string fingerprint(LedgerService& ledger, const Model& model) {
  std::string out =
      "users " + std::to_string(ledger.user_count()) + " txs " + std::to_string(ledger.transaction_count()) + "\n";
  for (UserId id = 1; id <= ledger.user_count() + 1; ++id) {
    const auto user = ledger.find_user(id);
    if (!user) {
      out += std::to_string(id) + " missing\n";
      continue;
    }
    out += std::to_string(id) + " " + user->name + " now " + std::to_string(ledger.balance_now(id).value_or(-1));
    for (int d = -1; d <= 61; d += 5) {
      std::promise<MinorUnits> done;
      ledger.balance_at(id, jan1_2023 + d * day_micros, [&done](MinorUnits b) { done.set_value(b); });
      out += " " + std::to_string(done.get_future().get());
    }
    out += "\n";
  }
  for (const auto& [uid, tx] : model.txs) {
    const auto found = ledger.find_transaction(uid);
    out += uid +
           (found ? " " + std::to_string(found->user_id) + " " + std::to_string(found->delta()) + " " +
                        std::to_string(found->at)
                  : std::string(" missing")) +
           "\n";
  }
  return out;
}

// What the model says a correct ledger answers (same format as fingerprint).
inline std::string expected_fingerprint(const Model& model) {
  std::string out = "users " + std::to_string(model.users.size()) + " txs " + std::to_string(model.txs.size()) + "\n";
  for (UserId id = 1; id <= model.users.size() + 1; ++id) {
    const auto it = model.users.find(id);
    if (it == model.users.end()) {
      out += std::to_string(id) + " missing\n";
      continue;
    }
    MinorUnits now = 0;
    for (const auto& [uid, tx] : model.txs)
      if (tx.user_id == id) now += tx.delta();
    out += std::to_string(id) + " " + it->second + " now " + std::to_string(now);
    for (int d = -1; d <= 61; d += 5) {
      MinorUnits at = 0;
      for (const auto& [uid, tx] : model.txs)
        if (tx.user_id == id && tx.at <= jan1_2023 + d * day_micros) at += tx.delta();
      out += " " + std::to_string(at);
    }
    out += "\n";
  }
  for (const auto& [uid, tx] : model.txs)
    out +=
        uid + " " + std::to_string(tx.user_id) + " " + std::to_string(tx.delta()) + " " + std::to_string(tx.at) + "\n";
  return out;
}

}  // namespace tally::testing
