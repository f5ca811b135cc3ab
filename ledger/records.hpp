// The facts Tally stores: a user was created, a user's settings were updated, a transaction was applied. Plain
// values, no behaviour.
// These are what the WAL persists, what recovery rebuilds and what the API answers with.
#pragma once

#include <cstdint>
#include <string>

#include "ledger/money.hpp"
#include "ledger/utc_time.hpp"

namespace tally {

using UserId = std::uint64_t;  // 1, 2, 3, ... assigned by the server, never reused

enum class TxKind : std::uint8_t { deposit = 0, withdraw = 1 };

struct UserCreated {
  UserId id = 0;
  std::string name;
  std::string idempotency_key;  // empty = none given
  UtcMicros created_at = 0;
  std::string client;  // the API client that created the user (auth/ key name); empty = open mode or older record
  MinorUnits low_balance_threshold = 0;  // funds events (docs/notifications.md): 0..limits::balance_minor_max
};

// A user's settings changed (PATCH /v1/user/{id}): today its low-balance threshold.
struct UserUpdated {
  UserId user_id = 0;
  MinorUnits low_balance_threshold = 0;
  UtcMicros at = 0;  // the server clock when it was accepted
  std::string client;  // the API client that changed it (auth/ key name); empty = open mode
};

struct TransactionApplied {
  std::string uid;
  UserId user_id = 0;
  TxKind kind = TxKind::deposit;
  MinorUnits amount = 0;  // > 0
  UtcMicros at = 0;
  bool timestamp_given = false;  // false: `at` is the server clock at acceptance
  // The API client that made it (auth/ key name); empty = open mode or older record. Not part of the content a
  // retry repeats: the same request from another client is a retry and answers with the original client.
  std::string client;
  // The server clock when its actor accepted it (the feed's event time); 0 in records of older builds.
  // Not part of the request: a retry is the same request whatever its acceptance time.
  UtcMicros recorded_at = 0;

  MinorUnits delta() const { return kind == TxKind::deposit ? amount : -amount; }
  // Same content as the client sent: the fields a retry must repeat to be recognised as the same request.
  bool same_request_as(const TransactionApplied& other) const {
    return uid == other.uid && user_id == other.user_id && kind == other.kind && amount == other.amount &&
           timestamp_given == other.timestamp_given && (!timestamp_given || at == other.at);
  }
};

// A clustered tallyd's record that a uid homed on this shard is taken (or, released, free again) by a transaction
// of another shard's user, whose content it carries (docs/sharding.md, the uid protocol). Never a balance change.
struct UidReservation {
  TransactionApplied tx;
  bool released = false;
};

inline const char* to_string(TxKind kind) { return kind == TxKind::deposit ? "DEPOSIT" : "WITHDRAW"; }

}  // namespace tally
