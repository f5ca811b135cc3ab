// Tests of wal/record_codec: both record kinds round-trip exactly, invalid field values and unknown schema members
// are refused, old records still read, encode writes Cap'n Proto's flat form. Arbitrary, random and mutated input:
// test_wal_codec_robustness.cpp.
#include <capnp/any.h>
#include <capnp/message.h>
#include <capnp/serialize.h>
#include <gtest/gtest.h>

#include <cstring>

#include <random>
#include <string>

#include "ledger/limits.hpp"
#include "ledger/record_checks.hpp"
#include "tests/unit/wal_codec_samples.hpp"
#include "wal/record_codec.hpp"
#include "wal/wal_record.capnp.h"

namespace tally::wal::codec_test {
namespace {

TEST(RecordCodec, UserCreatedRoundTrips) {
  expect_round_trip(sample_user());
  UserCreated no_key = sample_user();
  no_key.idempotency_key.clear();
  expect_round_trip(no_key);
  UserCreated longest = sample_user();
  longest.id = limits::users_max - 1;
  longest.name.clear();
  for (std::size_t i = 0; i < limits::user_name_chars_max; ++i) longest.name += "\xF0\x9F\x99\x82";  // U+1F642
  ASSERT_EQ(longest.name.size(), limits::user_name_bytes_max);
  longest.idempotency_key = std::string(limits::idempotency_key_bytes_max, 'k');
  longest.created_at = limits::utc_micros_min;
  expect_round_trip(longest);
}

TEST(RecordCodec, TransactionAppliedRoundTrips) {
  expect_round_trip(sample_tx());
  TransactionApplied t = sample_tx();
  t.kind = TxKind::deposit;
  t.uid = std::string(limits::uid_bytes_max, 'u');
  t.amount = limits::amount_minor_max;
  t.timestamp_given = false;
  t.at = -1;  // before the epoch is still a valid instant
  expect_round_trip(t);
  t.amount = 1;
  t.uid = "x";
  expect_round_trip(t);
  t.client = "billing.eu-1_A";
  expect_round_trip(t);
  t.client = std::string(limits::client_name_bytes_max, 'c');
  expect_round_trip(t);
}

TEST(RecordCodec, ClientRoundTripsAndFollowsTheKeyFilesNameRules) {
  UserCreated u = sample_user();
  u.client = "ad-engine";
  expect_round_trip(u);
  TransactionApplied t = sample_tx();
  for (const std::string& bad : {std::string("has space"), std::string("a:b"), std::string("caf\xC3\xA9"),
                                 std::string(limits::client_name_bytes_max + 1, 'c')}) {
    t.client = bad;
    u.client = bad;
    EXPECT_EQ(check_record(t), RecordFault::client) << bad;
    EXPECT_EQ(check_record(u), RecordFault::client) << bad;
    EXPECT_FALSE(encode(t).has_value()) << bad;
    EXPECT_FALSE(decode(detail::encode_unchecked(t)).has_value()) << "the decoder refuses it too: " << bad;
  }
}

// Layout facts relied on below: an 8-byte segment table, the root pointer, then WalRecord's data word,
// whose first 16 bits are the union discriminant (0 = userCreated, 1 = transactionApplied, 2 = userUpdated,
// 3 = uidReserved, 4 = uidReleased: docs/sharding.md).
constexpr std::size_t discriminant_offset = 16;

// The merge of attribution and the change feed: every field of both, together, in every record kind.
TEST(RecordCodec, ClientAndFeedFieldsRoundTripTogether) {
  UserCreated u = sample_user();
  u.client = "billing";
  u.low_balance_threshold = 2'500;
  expect_round_trip(u);
  TransactionApplied t = sample_tx();
  t.client = "ad-engine";
  t.recorded_at = t.at + 7;
  expect_round_trip(t);
  UserUpdated update{42, 1'000, 1'672'531'200'000'001, "ops"};
  expect_round_trip(update);
  const std::optional<std::string> bytes = encode(update);
  ASSERT_TRUE(bytes.has_value());
  EXPECT_EQ(static_cast<unsigned char>((*bytes)[discriminant_offset]), 2u) << "userUpdated is @2";
  update.client = "has space";
  EXPECT_EQ(check_record(update), RecordFault::client);
  EXPECT_FALSE(encode(update).has_value());
  EXPECT_FALSE(decode(detail::encode_unchecked(update)).has_value()) << "the decoder refuses it too";
  update.client.clear();
  expect_round_trip(update);  // open mode: no client
}

namespace {
std::string from_hex(std::string_view hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  return out;
}
}  // namespace

// Records as the code before attribution wrote them (its schema, without `client`: produced with
// `capnp encode` of that schema, git show 785549c:wal/wal_record.capnp): they read, with no client.
TEST(RecordCodec, ReadsRecordsWrittenBeforeAttributionAsNoClient) {
  const std::string old_tx = from_hex(
      "0000000009000000000000000100010001000000000000000000000004000100010000000000000000000100000000003930000000000000"
      "006093dd64f1050001000000320000006f6c642d31000000");
  const std::optional<Record> tx = decode(old_tx);
  ASSERT_TRUE(tx.has_value());
  const auto& t = std::get<TransactionApplied>(*tx);
  EXPECT_EQ(t.uid, "old-1");
  EXPECT_EQ(t.amount, 12345);
  EXPECT_TRUE(t.timestamp_given);
  EXPECT_EQ(t.client, "");
  const std::string old_user = from_hex(
      "00000000090000000000000001000100000000000000000000000000020002000100000000000000006093dd64f10500050000003200"
      "0000050000000a00000076617379610000000000000000000000");
  const std::optional<Record> user = decode(old_user);
  ASSERT_TRUE(user.has_value());
  EXPECT_EQ(std::get<UserCreated>(*user).name, "vasya");
  EXPECT_EQ(std::get<UserCreated>(*user).client, "");
}

TEST(RecordCodec, DecodesMisalignedInput) {
  const std::string bytes = bytes_of(sample_tx());
  std::string shifted = "?" + bytes;
  const std::optional<Record> decoded = decode(std::string_view(shifted).substr(1));
  ASSERT_TRUE(decoded.has_value());
  expect_same(std::get<TransactionApplied>(*decoded), sample_tx());
}

// Each invalid record: the encoder refuses it (it never reaches the log) and, written anyway, the decoder refuses
// its bytes. The two sides share check_record, so this is the pairing of the write-side and read-side checks.
template <typename T>
void expect_refused_both_ways(const T& record, const char* what) {
  EXPECT_NE(check_record(record), RecordFault::none) << what;
  EXPECT_FALSE(encode(record).has_value()) << what;
  EXPECT_FALSE(decode(detail::encode_unchecked(record)).has_value()) << what;
}

TEST(RecordCodec, RejectsInvalidFieldValuesOnBothSides) {
  auto tx = [](auto change) {
    TransactionApplied t = sample_tx();
    change(t);
    return t;
  };
  expect_refused_both_ways(tx([](auto& t) { t.uid.clear(); }), "empty uid");
  expect_refused_both_ways(tx([](auto& t) { t.uid = std::string(limits::uid_bytes_max + 1, 'u'); }), "long uid");
  expect_refused_both_ways(tx([](auto& t) { t.uid = "tab\there"; }), "uid with a control char");
  expect_refused_both_ways(tx([](auto& t) { t.uid = "caf\xC3\xA9"; }), "non-ASCII uid");
  expect_refused_both_ways(tx([](auto& t) { t.amount = 0; }), "zero amount");
  expect_refused_both_ways(tx([](auto& t) { t.amount = -5; }), "negative amount");
  expect_refused_both_ways(tx([](auto& t) { t.amount = limits::amount_minor_max + 1; }), "amount over the cap");
  expect_refused_both_ways(tx([](auto& t) { t.user_id = 0; }), "user 0");
  expect_refused_both_ways(tx([](auto& t) { t.at = limits::utc_micros_max + 1; }), "past 9999-12-31");
  expect_refused_both_ways(tx([](auto& t) { t.at = limits::utc_micros_min - 1; }), "before 0001-01-01");
  expect_round_trip(tx([](auto& t) { t.at = limits::utc_micros_max; }));
  expect_round_trip(tx([](auto& t) { t.at = limits::utc_micros_min; }));

  auto user = [](auto change) {
    UserCreated u = sample_user();
    change(u);
    return u;
  };
  expect_refused_both_ways(user([](auto& u) { u.id = 0; }), "user id 0");
  expect_refused_both_ways(user([](auto& u) { u.id = limits::users_max; }), "user id at users_max");
  expect_refused_both_ways(user([](auto& u) { u.name.clear(); }), "empty name");
  expect_refused_both_ways(user([](auto& u) { u.name = std::string(limits::user_name_chars_max + 1, 'n'); }),
                           "201 characters");
  expect_refused_both_ways(user([](auto& u) { u.name = "bad \xC3"; }), "cut-off UTF-8");
  expect_refused_both_ways(user([](auto& u) { u.name = "\xC0\xAF"; }), "overlong UTF-8");
  expect_refused_both_ways(user([](auto& u) { u.name = "\xED\xA0\x80"; }), "UTF-8 surrogate");
  expect_refused_both_ways(user([](auto& u) { u.name = std::string("nul\0", 4); }), "NUL in a name");
  expect_refused_both_ways(user([](auto& u) { u.name = "nel\xC2\x85"; }), "C1 control in a name");
  expect_refused_both_ways(user([](auto& u) { u.idempotency_key = std::string(129, 'k'); }), "long key");
  expect_refused_both_ways(user([](auto& u) { u.idempotency_key = "k\x7f"; }), "DEL in a key");
  expect_refused_both_ways(user([](auto& u) { u.created_at = limits::utc_micros_min - 1; }), "created in year 0");
}

TEST(RecordCodec, RejectsWrongSizesAndTrailingData) {
  const std::string bytes = bytes_of(sample_user());
  EXPECT_FALSE(decode("").has_value());
  EXPECT_FALSE(decode(std::string_view(bytes).substr(0, bytes.size() - 1)).has_value());
  EXPECT_FALSE(decode(std::string_view(bytes).substr(0, bytes.size() - 8)).has_value());
  EXPECT_FALSE(decode(bytes + std::string(8, '\0')).has_value());
}

TEST(RecordCodec, RejectsUnknownUnionMember) {
  std::string tx = bytes_of(sample_tx());
  ASSERT_EQ(static_cast<unsigned char>(bytes_of(sample_user())[discriminant_offset]), 0u);
  ASSERT_EQ(static_cast<unsigned char>(tx[discriminant_offset]), 1u);
  for (unsigned char which : {5, 6, 0xff}) {
    tx[discriminant_offset] = static_cast<char>(which);
    EXPECT_FALSE(decode(tx).has_value()) << "which " << int{which};
  }
}

TEST(RecordCodec, UidReservationsRoundTrip) {
  for (const bool released : {false, true}) {
    const std::optional<std::string> bytes = encode(UidReservation{sample_tx(), released});
    ASSERT_TRUE(bytes.has_value());
    EXPECT_EQ(static_cast<unsigned char>((*bytes)[discriminant_offset]), released ? 4u : 3u);
    const std::optional<Record> decoded = decode(*bytes);
    ASSERT_TRUE(decoded.has_value());
    const auto& reservation = std::get<UidReservation>(*decoded);
    EXPECT_EQ(reservation.released, released);
    expect_same(reservation.tx, sample_tx());
  }
  TransactionApplied invalid = sample_tx();
  invalid.amount = 0;
  EXPECT_FALSE(encode(UidReservation{invalid, false}).has_value()) << "the record rule holds for reservations";
}

TEST(RecordCodec, RejectsUnknownTxKind) {
  TransactionApplied deposit = sample_tx(), withdraw = sample_tx();
  deposit.kind = TxKind::deposit;
  withdraw.kind = TxKind::withdraw;
  const std::string a = bytes_of(deposit), b = bytes_of(withdraw);
  ASSERT_EQ(a.size(), b.size());
  std::size_t differing = a.size(), count = 0;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i] != b[i]) {
      differing = i;
      ++count;
    }
  ASSERT_EQ(count, 1u);  // the kind is the only difference, so this byte is the enum
  std::string future = b;
  future[differing] = 7;
  EXPECT_FALSE(decode(future).has_value());
}

// Found by fuzz/fuzz_wal_reader (corpus: regress-padding-bits-accepted): decode accepted a transaction with a
// stray byte in the padding after `kind` and `timestampGiven`; re-encoding it dropped the byte. Bits no known
// field owns are content this build cannot apply (a newer build's Bool would live there), so they are refused.
TEST(RecordCodec, RejectsBitsNoKnownFieldOwns) {
  const std::string tx = bytes_of(sample_tx());
  // Layout: segment table, root pointer, WalRecord's data word (discriminant in bits 0..15) and pointer, then
  // TransactionApplied's data: userId, then kind (bits 0..15) and timestampGiven (bit 16) in the second word.
  constexpr std::size_t tx_second_word = 40;
  ASSERT_TRUE(decode(tx).has_value());
  for (const std::size_t at : {tx_second_word + 2, tx_second_word + 4, tx_second_word + 7, discriminant_offset + 3}) {
    std::string stray = tx;
    stray[at] = static_cast<char>(stray[at] | (at == tx_second_word + 2 ? 0x02 : 0x63));
    EXPECT_FALSE(decode(stray).has_value()) << "byte " << at;
  }
  std::string flag = tx;  // the timestampGiven bit itself is a known field
  flag[tx_second_word + 2] = static_cast<char>(flag[tx_second_word + 2] ^ 0x01);
  ASSERT_TRUE(decode(flag).has_value());
  EXPECT_NE(std::get<TransactionApplied>(*decode(flag)).timestamp_given, sample_tx().timestamp_given);
}

// A record from a newer build whose TransactionApplied has one more (pointer) field: refused when that field is
// set, read when it holds its default (null), as an older record reads in a newer build.
TEST(RecordCodec, RefusesFieldsAppendedByANewerBuildUnlessDefault) {
  const auto newer = [](bool set_new_field) {
    capnp::MallocMessageBuilder message;
    capnp::AnyStruct::Builder root = message.getRoot<capnp::AnyPointer>().initAsAnyStruct(1, 1);
    root.getDataSection()[0] = 1;  // discriminant: transactionApplied
    capnp::AnyStruct::Builder tx = root.getPointerSection()[0].initAsAnyStruct(4, 3);  // uid, client, a new one
    const TransactionApplied sample = sample_tx();
    std::memcpy(tx.getDataSection().begin(), &sample.user_id, 8);
    tx.getDataSection()[8] = 1;                           // kind: withdraw
    tx.getDataSection()[10] = 1;                          // timestampGiven
    std::memcpy(tx.getDataSection().begin() + 16, &sample.amount, 8);
    std::memcpy(tx.getDataSection().begin() + 24, &sample.at, 8);
    tx.getPointerSection()[0].setAs<capnp::Text>(sample.uid);
    if (set_new_field) tx.getPointerSection()[2].setAs<capnp::Text>("fee: 1.00");
    const kj::Array<capnp::word> flat = capnp::messageToFlatArray(message);
    return std::string(reinterpret_cast<const char*>(flat.asBytes().begin()), flat.asBytes().size());
  };
  const std::optional<Record> plain = decode(newer(false));
  ASSERT_TRUE(plain.has_value());
  expect_same(std::get<TransactionApplied>(*plain), sample_tx());
  EXPECT_FALSE(decode(newer(true)).has_value());
}

// From fuzz_snapshot_reader (corpus: regress-absent-idempotency-key): a UserCreated whose pointer section ends
// before idempotencyKey (as an older schema would write it) reads as "no key", like an explicit empty text.
// The fuzz harness had counted the absent pointer as content the re-encoding changes; it is the same "none".
TEST(RecordCodec, ReadsAUserWrittenWithoutTheKeyPointerAsNoKey) {
  capnp::MallocMessageBuilder message;
  capnp::AnyStruct::Builder root = message.getRoot<capnp::AnyPointer>().initAsAnyStruct(1, 1);
  capnp::AnyStruct::Builder user = root.getPointerSection()[0].initAsAnyStruct(2, 1);  // discriminant 0: user
  const UserCreated sample = sample_user();
  std::memcpy(user.getDataSection().begin(), &sample.id, 8);
  std::memcpy(user.getDataSection().begin() + 8, &sample.created_at, 8);
  user.getPointerSection()[0].setAs<capnp::Text>(sample.name);
  const kj::Array<capnp::word> flat = capnp::messageToFlatArray(message);
  const std::optional<Record> decoded =
      decode(std::string_view(reinterpret_cast<const char*>(flat.asBytes().begin()), flat.asBytes().size()));
  ASSERT_TRUE(decoded.has_value());
  UserCreated expected = sample;
  expected.idempotency_key.clear();
  expect_same(std::get<UserCreated>(*decoded), expected);
}

}  // namespace
}  // namespace tally::wal::codec_test

namespace tally::wal::codec_test {
namespace {

// encode writes the flat form itself (one segment, and a reused first segment per thread): byte for byte what
// Cap'n Proto's messageToFlatArray makes of the same message, encode after encode on one thread.
TEST(RecordCodec, EncodeIsCapnpFlatFormAndReusesItsSegmentCleanly) {
  for (int round = 0; round < 3; ++round) {
    TransactionApplied tx = sample_tx();
    tx.uid = std::string(static_cast<std::size_t>(1 + round * 30), 'u');  // longer and shorter uids in turn
    const std::optional<std::string> bytes = encode(tx);
    ASSERT_TRUE(bytes.has_value());
    ASSERT_EQ(bytes->size() % sizeof(capnp::word), 0u);
    kj::Array<capnp::word> words = kj::heapArray<capnp::word>(bytes->size() / sizeof(capnp::word));
    std::memcpy(words.begin(), bytes->data(), bytes->size());
    capnp::FlatArrayMessageReader reader(words.asPtr());
    capnp::MallocMessageBuilder copy;
    copy.setRoot(reader.getRoot<schema::WalRecord>());
    const kj::Array<capnp::word> expected = capnp::messageToFlatArray(copy);
    ASSERT_EQ(expected.asBytes().size(), bytes->size());
    EXPECT_EQ(std::memcmp(expected.asBytes().begin(), bytes->data(), bytes->size()), 0);
    const std::optional<Record> back = decode(*bytes);
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(std::get<TransactionApplied>(*back).uid, tx.uid);
  }
}

}  // namespace
}  // namespace tally::wal::codec_test
