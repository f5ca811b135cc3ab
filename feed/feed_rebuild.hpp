// Recovery's side of the feed: the records of the snapshot and the WAL, in log order, become the same events
// the live path made when they became durable (same funds rule, same numbering). Keeps each user's balance and
// threshold while replaying (16 bytes per user, freed with it); the ledger's own restore runs in parallel by
// user, so it cannot tell the feed what a balance was at each record.
#pragma once

#include <array>
#include <cstddef>
#include <vector>

#include "feed/feed_log.hpp"
#include "feed/funds_rule.hpp"

namespace tally::feed {

class FeedRebuild {
 public:
  explicit FeedRebuild(FeedLog& log) : log_(log) {}
  ~FeedRebuild() { finish(); }
  FeedRebuild(const FeedRebuild&) = delete;
  FeedRebuild& operator=(const FeedRebuild&) = delete;

  // One reading thread, log order. False: the record names a user not created before it (recovery refuses
  // such a log anyway).
  bool add(const UserCreated& user);
  bool add(const UserUpdated& update);
  bool add(const TransactionApplied& tx);
  // A clustered shard's uid reservation (docs/sharding.md) changes no balance and makes no event (no seq).
  bool add(const UidReservation& /*reservation*/) { return true; }
  // Appends every event still held back to the log (the destructor does too). Call before the log is served.
  void finish();

 private:
  // A record's event waits this many records for its user's state, which is loaded meanwhile: users come at
  // random in real traffic, and each state read would otherwise be a cache miss the reading thread waits on.
  static constexpr std::size_t waiting_max = 16;
  static constexpr std::size_t append_events = 256;  // settled events handed to the log at once (one lock)

  void hold(Event event);
  void settle_oldest();
  void append_settled();

  FeedLog& log_;
  std::vector<FundsState> users_;  // by id; index 0 unused
  std::array<Event, waiting_max> waiting_;  // a ring, oldest at waiting_first_, in log order
  std::size_t waiting_first_ = 0, waiting_count_ = 0;
  std::vector<Event> settled_;
};

}  // namespace tally::feed
