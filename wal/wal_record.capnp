# Cap'n Proto schema of one WAL record payload (framing: docs/wal_format.md); mirrors ledger/records.hpp.
# Evolve by appending fields with new ordinals only; decode rejects unknown union members and enum values.
@0xab8208f9e154e520;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("tally::wal::schema");

struct WalRecord {
  union {
    userCreated @0 :UserCreated;
    transactionApplied @1 :TransactionApplied;
    userUpdated @2 :UserUpdated;
    # A clustered tallyd's uid reservations at the uid's home shard (docs/sharding.md): the transaction of
    # another shard's user that holds the uid, and its release (same content). Never a balance change.
    uidReserved @3 :TransactionApplied;
    uidReleased @4 :TransactionApplied;
  }
}

struct UserCreated {
  id @0 :UInt64;
  name @1 :Text;              # UTF-8, 1..limits::user_name_bytes_max bytes
  idempotencyKey @2 :Text;    # empty = none given
  createdAtMicros @3 :Int64;  # UTC microseconds since the Unix epoch
  client @4 :Text;            # the API client's name (auth/); empty = open mode or written before attribution
  lowBalanceThresholdMinor @5 :Int64;  # funds events (docs/notifications.md); 0..limits::amount_minor_max
}

enum TxKind {
  deposit @0;
  withdraw @1;
}

struct TransactionApplied {
  uid @0 :Text;               # 1..limits::uid_bytes_max bytes
  userId @1 :UInt64;
  kind @2 :TxKind;
  amountMinor @3 :Int64;      # 1..limits::amount_minor_max
  atMicros @4 :Int64;
  timestampGiven @5 :Bool;    # false: atMicros is the server clock at acceptance
  client @6 :Text;            # the API client's name (auth/); empty = open mode or written before attribution
  recordedAtMicros @7 :Int64; # the server clock when it was accepted (the feed's event time); 0 = older build
}

struct UserUpdated {
  userId @0 :UInt64;
  lowBalanceThresholdMinor @1 :Int64;  # 0..limits::amount_minor_max
  atMicros @2 :Int64;                  # the server clock when it was accepted
  client @3 :Text;                     # the API client that changed it (auth); empty = open mode
}
