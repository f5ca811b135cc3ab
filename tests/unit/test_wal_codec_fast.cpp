// Tests of wal/record_codec_fast: the canonical-transaction (and -user) shortcut takes what the encoder writes, and whatever
// it accepts the general decode accepts too, with the same record — checked on every single-bit change, every
// word cut or added, and random damage of canonical records, and on every other record kind (declined).
#include <gtest/gtest.h>

#include <optional>
#include <random>
#include <string>
#include <vector>

#include "record_checks.hpp"
#include "tests/unit/wal_codec_samples.hpp"
#include "wal/record_codec.hpp"
#include "wal/record_codec_fast.hpp"

namespace tally::wal {
namespace {

// The shortcut's answer as an optional (nullopt: declined).
std::optional<TransactionApplied> shortcut(std::string_view bytes) {
  TransactionApplied out;
  if (!detail::decode_canonical_transaction(bytes, out)) return std::nullopt;
  return out;
}

TransactionApplied tx_with(std::string uid, std::string client, TxKind kind, bool given, UtcMicros recorded) {
  TransactionApplied t;
  t.uid = std::move(uid);
  t.user_id = 1'000'003;
  t.kind = kind;
  t.amount = 12'345;
  t.at = 1'672'790'400'000'000;
  t.timestamp_given = given;
  t.client = std::move(client);
  t.recorded_at = recorded;
  return t;
}

// Uid lengths around every word boundary of the text (its NUL included), up to the longest allowed.
std::vector<TransactionApplied> canonical_samples() {
  std::vector<TransactionApplied> out;
  const std::size_t lengths[] = {1, 6, 7, 8, 15, 16, 36, 63, 64};
  int k = 0;
  for (std::size_t length : lengths) {
    for (const char* client : {"", "svc-a", "batch-loader7"}) {
      std::string uid(length, 'a');
      for (std::size_t i = 0; i < length; ++i) uid[i] = "0123456789abcdef-"[(i + length) % 17];
      uid[0] = 'u';
      ++k;
      out.push_back(tx_with(uid, client, k % 2 ? TxKind::deposit : TxKind::withdraw, k % 3 == 0,
                            k % 2 ? 0 : 1'672'790'400'123'456));
    }
  }
  return out;
}

// The project's field-by-field record check, plus the recorded time the WAL carries (same_record leaves it out).
void expect_same(const TransactionApplied& a, const TransactionApplied& b) {
  EXPECT_TRUE(tally::testing::same_record(a, b));
  EXPECT_EQ(a.recorded_at, b.recorded_at);
}

std::optional<std::string> encoding(const Record& record) {
  return std::visit([](const auto& r) { return encode(r); }, record);
}

// decode_into a record reused across calls (as restart reuses one: it holds whatever came before, of any kind,
// its strings' capacity kept) accepts exactly what decode accepts, with the same record.
void decode_into_agrees(std::string_view bytes, const std::optional<Record>& decoded) {
  static Record reused = tx_with(std::string(64, 'p'), "previous-client", TxKind::withdraw, true, 9);
  const bool taken = decode_into(bytes, reused);
  EXPECT_EQ(taken, decoded.has_value());
  if (taken && decoded) EXPECT_EQ(encoding(reused), encoding(*decoded));
}

// The one property the shortcut must have: it accepts only what the general decode accepts, identically.
// Returns whether the shortcut took the bytes.
bool shortcut_agrees(const std::string& bytes) {
  const std::optional<TransactionApplied> fast = shortcut(bytes);
  const std::optional<Record> general = detail::decode_general(bytes);
  const std::optional<Record> both = decode(bytes);
  EXPECT_EQ(general.has_value(), both.has_value());
  decode_into_agrees(bytes, both);
  if (!fast) return false;
  EXPECT_TRUE(general.has_value()) << "the shortcut accepted bytes the general decode refuses";
  if (!general || !std::holds_alternative<TransactionApplied>(*general)) {
    ADD_FAILURE() << "the shortcut made a transaction of another record";
    return true;
  }
  expect_same(*fast, std::get<TransactionApplied>(*general));
  if (both) expect_same(*fast, std::get<TransactionApplied>(*both));
  return true;
}

TEST(RecordCodecFast, TakesWhatTheEncoderWrites) {
  for (const TransactionApplied& tx : canonical_samples()) {
    const std::optional<std::string> bytes = encode(tx);
    ASSERT_TRUE(bytes.has_value());
    const std::optional<TransactionApplied> fast = shortcut(*bytes);
    ASSERT_TRUE(fast.has_value()) << "uid " << tx.uid << " client '" << tx.client << "'";
    expect_same(*fast, tx);
    EXPECT_TRUE(shortcut_agrees(*bytes));
    // Misaligned in memory: the same answer.
    const std::string shifted = "x" + *bytes;
    const std::optional<TransactionApplied> moved =
        shortcut(std::string_view(shifted).substr(1));
    ASSERT_TRUE(moved.has_value());
    expect_same(*moved, tx);
  }
}

TEST(RecordCodecFast, EverySingleBitChangeIsJudgedAsTheGeneralDecodeJudgesIt) {
  std::size_t taken = 0, declined = 0;
  for (const TransactionApplied& tx : canonical_samples()) {
    const std::string bytes = *encode(tx);
    for (std::size_t bit = 0; bit < bytes.size() * 8; ++bit) {
      std::string changed = bytes;
      changed[bit / 8] = static_cast<char>(changed[bit / 8] ^ (1 << (bit % 8)));
      (shortcut_agrees(changed) ? taken : declined) += 1;
    }
  }
  // Both sides are reached: amounts, dates and uid characters change into other valid records (taken), while
  // pointers, sizes, stray bits and NULs send the bytes to the general decode (declined).
  EXPECT_GT(taken, 1000u);
  EXPECT_GT(declined, 1000u);
}

TEST(RecordCodecFast, CutOrLengthenedRecordsAreNotTaken) {
  for (const TransactionApplied& tx : canonical_samples()) {
    const std::string bytes = *encode(tx);
    for (std::size_t words = 0; words < bytes.size() / 8; ++words)
      EXPECT_FALSE(shortcut_agrees(bytes.substr(0, words * 8)));
    EXPECT_FALSE(shortcut_agrees(bytes + std::string(8, '\0')));
    EXPECT_FALSE(shortcut_agrees(bytes + std::string(3, '\0')));  // not whole words
  }
}

TEST(RecordCodecFast, RandomDamageNeverMakesTheTwoPathsDisagree) {
  std::mt19937_64 rng(815);
  const std::vector<TransactionApplied> samples = canonical_samples();
  std::size_t taken = 0;
  for (int round = 0; round < 50000; ++round) {
    std::string bytes = *encode(samples[static_cast<std::size_t>(round) % samples.size()]);
    const int changes = 1 + static_cast<int>(rng() % 6);
    for (int i = 0; i < changes; ++i) bytes[rng() % bytes.size()] = static_cast<char>(rng());
    taken += shortcut_agrees(bytes) ? 1 : 0;
  }
  EXPECT_GT(taken, 0u);
}

TEST(RecordCodecFast, OtherRecordKindsGoToTheGeneralDecode) {
  UserCreated user;
  user.id = 7;
  user.name = "Ada";
  user.idempotency_key = "k-7";
  user.created_at = 1'672'531'200'000'000;
  UserUpdated update;
  update.user_id = 7;
  update.low_balance_threshold = 500;
  update.at = 1'672'531'200'000'001;
  const TransactionApplied tx = tx_with("uid-1", "svc-a", TxKind::deposit, true, 5);
  const std::string others[] = {*encode(user), *encode(update), *encode(UidReservation{tx, false}),
                                *encode(UidReservation{tx, true})};
  for (const std::string& bytes : others) {
    EXPECT_FALSE(shortcut(bytes).has_value());
    const std::optional<Record> decoded = decode(bytes);
    ASSERT_TRUE(decoded.has_value());
    EXPECT_EQ(decoded->index(), detail::decode_general(bytes)->index());
    decode_into_agrees(bytes, decoded);
    decode_into_agrees(*encode(tx), decode(*encode(tx)));  // and back to a transaction, into the other kind
  }
}

TEST(RecordCodecFast, AnInvalidTransactionIsLeftToTheGeneralDecode) {
  TransactionApplied tx = tx_with("uid-1", "", TxKind::deposit, false, 0);
  tx.amount = 0;  // check_record refuses it
  const std::string bytes = detail::encode_unchecked(tx);
  EXPECT_FALSE(shortcut(bytes).has_value());
  EXPECT_FALSE(decode(bytes).has_value());
  decode_into_agrees(bytes, std::nullopt);
}

// --- UserCreated: the same property for the user shortcut (a tenth of a generated log's records).

std::optional<UserCreated> user_shortcut(std::string_view bytes) {
  UserCreated out;
  if (!detail::decode_canonical_user(bytes, out)) return std::nullopt;
  return out;
}

// Name lengths around the text's word boundaries, with and without an idempotency key, client and threshold.
std::vector<UserCreated> user_samples() {
  std::vector<UserCreated> out;
  const std::size_t lengths[] = {1, 7, 8, 15, 16, 40};
  int k = 0;
  for (std::size_t length : lengths) {
    for (const char* key : {"", "idem-7", "a-key-of-exactly-23-chr"}) {
      for (const char* client : {"", "svc-a"}) {
        UserCreated user;
        user.id = 1'000 + static_cast<UserId>(k);
        user.name = std::string(length, 'n');
        user.name[0] = 'A';
        user.idempotency_key = key;
        user.created_at = 1'672'531'200'000'000 + k;
        user.client = client;
        user.low_balance_threshold = k % 3 == 0 ? 0 : 250 * k;
        out.push_back(user);
        ++k;
      }
    }
  }
  return out;
}

// Whatever the user shortcut accepts, the general decode accepts as the same user; decode and decode_into agree
// with the general decode always. Returns whether the shortcut took the bytes.
bool user_shortcut_agrees(const std::string& bytes) {
  const std::optional<UserCreated> fast = user_shortcut(bytes);
  const std::optional<Record> general = detail::decode_general(bytes);
  const std::optional<Record> both = decode(bytes);
  EXPECT_EQ(general.has_value(), both.has_value());
  if (general && both) {
    EXPECT_EQ(encoding(*general), encoding(*both));
  }
  decode_into_agrees(bytes, general);
  static Record reused_user = user_samples().back();  // decode_into over a user record, too
  const bool taken = decode_into(bytes, reused_user);
  EXPECT_EQ(taken, general.has_value());
  if (taken && general) {
    EXPECT_EQ(encoding(reused_user), encoding(*general));
  }
  if (!fast) return false;
  EXPECT_TRUE(general.has_value()) << "the user shortcut accepted bytes the general decode refuses";
  if (!general || !std::holds_alternative<UserCreated>(*general)) {
    ADD_FAILURE() << "the user shortcut made a user of another record";
    return true;
  }
  codec_test::expect_same(*fast, std::get<UserCreated>(*general));
  return true;
}

TEST(RecordCodecFastUser, TakesWhatTheEncoderWrites) {
  for (const UserCreated& user : user_samples()) {
    const std::optional<std::string> bytes = encode(user);
    ASSERT_TRUE(bytes.has_value());
    const std::optional<UserCreated> fast = user_shortcut(*bytes);
    ASSERT_TRUE(fast.has_value()) << "name " << user.name << " key '" << user.idempotency_key << "'";
    codec_test::expect_same(*fast, user);
    EXPECT_TRUE(user_shortcut_agrees(*bytes));
    const std::string shifted = "x" + *bytes;  // misaligned in memory: the same answer
    const std::optional<UserCreated> moved = user_shortcut(std::string_view(shifted).substr(1));
    ASSERT_TRUE(moved.has_value());
    codec_test::expect_same(*moved, user);
  }
}

TEST(RecordCodecFastUser, EverySingleBitChangeIsJudgedAsTheGeneralDecodeJudgesIt) {
  std::size_t taken = 0, declined = 0;
  for (const UserCreated& user : user_samples()) {
    const std::string bytes = *encode(user);
    for (std::size_t bit = 0; bit < bytes.size() * 8; ++bit) {
      std::string changed = bytes;
      changed[bit / 8] = static_cast<char>(changed[bit / 8] ^ (1 << (bit % 8)));
      (user_shortcut_agrees(changed) ? taken : declined) += 1;
    }
  }
  EXPECT_GT(taken, 1000u);
  EXPECT_GT(declined, 1000u);
}

TEST(RecordCodecFastUser, CutLengthenedOrDamagedUsersNeverMakeThePathsDisagree) {
  const std::vector<UserCreated> samples = user_samples();
  for (const UserCreated& user : samples) {
    const std::string bytes = *encode(user);
    for (std::size_t words = 0; words < bytes.size() / 8; ++words)
      EXPECT_FALSE(user_shortcut_agrees(bytes.substr(0, words * 8)));
    EXPECT_FALSE(user_shortcut_agrees(bytes + std::string(8, '\0')));
    EXPECT_FALSE(user_shortcut_agrees(bytes + std::string(3, '\0')));
  }
  std::mt19937_64 rng(816);
  std::size_t taken = 0;
  for (int round = 0; round < 50000; ++round) {
    std::string bytes = *encode(samples[static_cast<std::size_t>(round) % samples.size()]);
    const int changes = 1 + static_cast<int>(rng() % 6);
    for (int i = 0; i < changes; ++i) bytes[rng() % bytes.size()] = static_cast<char>(rng());
    taken += user_shortcut_agrees(bytes) ? 1 : 0;
  }
  EXPECT_GT(taken, 0u);
}

TEST(RecordCodecFastUser, TransactionsAndInvalidUsersAreDeclined) {
  EXPECT_FALSE(user_shortcut(*encode(tx_with("uid-1", "svc-a", TxKind::deposit, true, 5))).has_value());
  UserCreated user = user_samples().front();
  user.name.clear();  // check_record refuses it
  const std::string bytes = detail::encode_unchecked(user);
  EXPECT_FALSE(user_shortcut(bytes).has_value());
  EXPECT_FALSE(user_shortcut_agrees(bytes));
  EXPECT_FALSE(decode(bytes).has_value());
}

}  // namespace
}  // namespace tally::wal
