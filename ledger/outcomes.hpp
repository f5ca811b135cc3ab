// What the ledger answers for each command (ledger/ledger_api.hpp), independent of HTTP: the REST layer maps these
// to status codes. Plain values. Replies are callbacks, invoked exactly once, on whichever thread finishes the work:
// the caller's own, inside the call, when it is answered at once (a retry of a durable uid, an unknown user, a
// refused WAL submission), else a user actor's or the WAL writer's.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>

#include "ledger/records.hpp"

namespace tally {

enum class Outcome {
  applied,             // new, durable
  replayed,            // a retry of an identical, already durable request: the original record
  conflict,            // the key is taken by different content: `existing` holds it
  user_not_found,
  insufficient_funds,
  balance_too_large,
  too_many_users,
  storage_full,        // ENOSPC: nothing recorded, try again later
  storage_failed,      // the log is broken; the process is going down
  shutting_down,
  record_refused,      // the WAL encoder found the record invalid (a bug upstream): nothing recorded
  shard_unavailable,   // clustered: a shard this needs (the uid's home) did not answer, or the uid is still being
                       // decided elsewhere; nothing recorded here (a retry with the same uid is safe)
};

struct TxResult {
  Outcome outcome = Outcome::applied;
  TransactionApplied record;  // applied/replayed: the stored record; conflict: the existing one
};

struct UserView {
  UserId id = 0;
  std::string name;
  MinorUnits balance = 0;
  std::string client;  // the API client that created the user; "" = open mode or before attribution
  MinorUnits low_balance_threshold = 0;
};

struct UserResult {
  Outcome outcome = Outcome::applied;
  UserView user;  // applied/replayed: the user; conflict: the existing one
};

using TxReply = std::function<void(const TxResult&)>;

// Receives the outcome of every item of a batch by the item's position. Called exactly once per item, from any
// thread and concurrently (claim conflicts on the HTTP thread, refusals on actors, durable ones on the WAL thread).
class BatchSink {
 public:
  virtual ~BatchSink() = default;
  virtual void item_done(std::size_t index, const TxResult& result) = 0;
};
using UserReply = std::function<void(const UserResult&)>;
using BalanceReply = std::function<void(MinorUnits balance)>;

}  // namespace tally
