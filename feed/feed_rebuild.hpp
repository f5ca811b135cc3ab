// Recovery's side of the feed: the records of the snapshot and the WAL, in log order, become the same events
// the live path made when they became durable (same funds rule, same numbering). Keeps each user's balance and
// threshold while replaying (16 bytes per user, freed with it); the ledger's own restore runs in parallel by
// user, so it cannot tell the feed what a balance was at each record.
#pragma once

#include <array>
#include <variant>
#include <vector>

#include "feed/feed_log.hpp"
#include "feed/funds_rule.hpp"

namespace tally::feed {

// Fills the feed ring's slots in place (FeedLog::place_next): a full history of millions of records makes no
// Event of its own and allocates no string per event once the ring has wrapped.
class FeedRebuild {
 public:
  explicit FeedRebuild(FeedLog& log) : sink_(log) {}
  ~FeedRebuild() { flush(); }
  FeedRebuild(const FeedRebuild&) = delete;
  FeedRebuild& operator=(const FeedRebuild&) = delete;
  // One reading thread, log order. False: the record names a user not created before it (recovery refuses
  // such a log anyway).
  bool add(const UserCreated& user);
  bool add(const UserUpdated& update);
  bool add(const TransactionApplied& tx);
  // A clustered shard's uid reservation (docs/sharding.md) changes no balance and makes no event (no seq).
  bool add(const UidReservation& /*reservation*/) { return true; }
  // Derives the records still held back (see held_): the log is complete after it (or the destructor).
  void flush();

 private:
  // The log's next slot for each derived event, the one before it settled first.
  class RingSink final : public EventSink {
   public:
    explicit RingSink(FeedLog& log) : log_(log) {}
    Event& next() override;
    void settle();  // after each record: its last event

   private:
    FeedLog& log_;
    Event* placed_ = nullptr;
  };

  using Held = std::variant<UserCreated, UserUpdated, TransactionApplied>;
  static constexpr std::size_t held_max = 8;  // records between a user's state prefetch and its use

  FundsState* state_of(UserId id);
  // Holds a copy of `record` (its strings reuse the slot's capacity), deriving the oldest held one first.
  template <typename Record>
  void hold(const Record& record, const FundsState& state);
  void derive_oldest();

  RingSink sink_;
  std::vector<FundsState> users_;  // by id; index 0 unused
  // Users come at random in real traffic: a user's state is a cache miss. Each record is derived held_max
  // records after it arrived, its state prefetched on arrival, so the miss overlaps the records in between.
  std::array<Held, held_max> held_;
  std::size_t held_oldest_ = 0, held_count_ = 0;
};

}  // namespace tally::feed
