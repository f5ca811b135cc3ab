// tallyd's startup recovery: the ledger and the change feed rebuilt from snapshot + WAL, made afresh if a snapshot
// proves invalid part way through its restore (the restore is its validation: one read of the file, not two).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>

#include "actors/ledger_service.hpp"
#include "disk/data_dir.hpp"
#include "disk/file_system.hpp"
#include "feed/feed_log.hpp"
#include "recovery/recover.hpp"

namespace tally::app {

struct RecoveredState {
  std::unique_ptr<LedgerService> ledger;
  std::unique_ptr<feed::FeedLog> feed;
  recovery::RecoveryReport report;
};

// Replays snapshot + WAL into a ledger from make_ledger and a feed of this shard keeping `feed_retention_events`
// (the same records, in the same order: the same events and seqs; each shard serves its own feed,
// docs/notifications.md). False: the log cannot be read (logged); nothing on disk changed.
bool recover_state(disk::FileSystem& fs, const disk::DataDir& data_dir,
                   const std::function<std::unique_ptr<LedgerService>()>& make_ledger,
                   std::size_t feed_retention_events, std::uint32_t shard, RecoveredState& state);

}  // namespace tally::app
