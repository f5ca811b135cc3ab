// Samples and checks shared by the wal/record_codec unit tests (test_wal_codec.cpp, test_wal_codec_robustness.cpp,
// test_wal_codec_fast.cpp): a sample record of each kind, field-by-field comparison, the bytes of a record the
// encoder must accept, and a round trip through encode and decode.
#pragma once

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <variant>

#include "ledger/limits.hpp"
#include "ledger/record_checks.hpp"
#include "wal/record_codec.hpp"

namespace tally::wal::codec_test {

inline UserCreated sample_user() {
  UserCreated u;
  u.id = 42;
  u.name = "Zoë Łukasiewicz 東京 🙂";
  u.idempotency_key = "create-42";
  u.created_at = 1'672'531'200'123'456;
  return u;
}

inline TransactionApplied sample_tx() {
  TransactionApplied t;
  t.uid = "tx-0001";
  t.user_id = 42;
  t.kind = TxKind::withdraw;
  t.amount = 12'345;
  t.at = 1'672'790'400'000'000;
  t.timestamp_given = true;
  return t;
}

inline void expect_same(const UserCreated& a, const UserCreated& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.idempotency_key, b.idempotency_key);
  EXPECT_EQ(a.created_at, b.created_at);
  EXPECT_EQ(a.client, b.client);
  EXPECT_EQ(a.low_balance_threshold, b.low_balance_threshold);
}

inline void expect_same(const UserUpdated& a, const UserUpdated& b) {
  EXPECT_EQ(a.user_id, b.user_id);
  EXPECT_EQ(a.low_balance_threshold, b.low_balance_threshold);
  EXPECT_EQ(a.at, b.at);
  EXPECT_EQ(a.client, b.client);
}

inline void expect_same(const TransactionApplied& a, const TransactionApplied& b) {
  EXPECT_EQ(a.uid, b.uid);
  EXPECT_EQ(a.user_id, b.user_id);
  EXPECT_EQ(a.kind, b.kind);
  EXPECT_EQ(a.amount, b.amount);
  EXPECT_EQ(a.at, b.at);
  EXPECT_EQ(a.timestamp_given, b.timestamp_given);
  EXPECT_EQ(a.client, b.client);
  EXPECT_EQ(a.recorded_at, b.recorded_at);
}

// The bytes of a record the encoder must accept.
template <typename T>
inline std::string bytes_of(const T& record) {
  std::optional<std::string> bytes = encode(record);
  EXPECT_TRUE(bytes.has_value()) << describe(check_record(record));
  return bytes.value_or(std::string());
}

template <typename T>
inline void expect_round_trip(const T& record) {
  const std::string bytes = bytes_of(record);
  ASSERT_FALSE(bytes.empty());
  EXPECT_EQ(bytes.size() % 8, 0u);
  EXPECT_LE(bytes.size(), limits::wal_record_bytes_max);
  const std::optional<Record> decoded = decode(bytes);
  ASSERT_TRUE(decoded.has_value());
  ASSERT_TRUE(std::holds_alternative<T>(*decoded));
  expect_same(std::get<T>(*decoded), record);
}

}  // namespace tally::wal::codec_test
