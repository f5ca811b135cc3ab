// What the ledger answers for each command, independent of HTTP: the REST layer maps these to status codes.
// Replies are callbacks, invoked exactly once, on whichever thread finishes the work (actor or WAL writer).
#pragma once

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
};

struct TxResult {
  Outcome outcome = Outcome::applied;
  TransactionApplied record;  // applied/replayed: the stored record; conflict: the existing one
};

struct UserView {
  UserId id = 0;
  std::string name;
  MinorUnits balance = 0;
};

struct UserResult {
  Outcome outcome = Outcome::applied;
  UserView user;  // applied/replayed: the user; conflict: the existing one
};

using TxReply = std::function<void(const TxResult&)>;
using UserReply = std::function<void(const UserResult&)>;
using BalanceReply = std::function<void(MinorUnits balance)>;

}  // namespace tally
