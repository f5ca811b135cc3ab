// wal/record_codec against input nobody meant: random bytes and mutated records never crash decode and whatever it
// accepts is valid; well-formed messages with arbitrary field values are accepted exactly when the limits allow.
#include <capnp/message.h>
#include <capnp/serialize.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <random>
#include <string>
#include <variant>

#include "ledger/limits.hpp"
#include "ledger/record_checks.hpp"
#include "tests/unit/wal_codec_samples.hpp"
#include "wal/record_codec.hpp"
#include "wal/wal_record.capnp.h"

namespace tally::wal::codec_test {
namespace {

// Whatever decode accepts must satisfy the invariants it promises.
void expect_valid(const Record& record) {
  std::visit([](const auto& r) { EXPECT_EQ(check_record(r), RecordFault::none); }, record);
  if (const auto* u = std::get_if<UserCreated>(&record)) {
    EXPECT_GT(u->id, 0u);
    EXPECT_GE(u->name.size(), 1u);
    EXPECT_LE(u->name.size(), limits::user_name_bytes_max);
    EXPECT_LE(u->idempotency_key.size(), limits::idempotency_key_bytes_max);
  } else {
    const auto* reservation = std::get_if<UidReservation>(&record);  // a uid reservation carries a transaction
    const auto& t = reservation ? reservation->tx : std::get<TransactionApplied>(record);
    EXPECT_GE(t.uid.size(), 1u);
    EXPECT_LE(t.uid.size(), limits::uid_bytes_max);
    EXPECT_GT(t.user_id, 0u);
    EXPECT_GE(t.amount, 1);
    EXPECT_LE(t.amount, limits::amount_minor_max);
    EXPECT_TRUE(t.kind == TxKind::deposit || t.kind == TxKind::withdraw);
  }
}

// Arbitrary bytes: decode must return (a crash, an escaping exception or a sanitizer report fails the test), and
// anything it accepts must be valid. Random bytes practically never form a well-formed message, so which values
// decode accepts is checked by the next test, on well-formed messages.
TEST(RecordCodec, RandomBytesNeverCrash) {
  std::mt19937_64 rng(20240601);
  for (int round = 0; round < 20000; ++round) {
    const std::size_t words = 1 + rng() % 64;
    std::string bytes(words * 8, '\0');
    for (char& c : bytes) c = static_cast<char>(rng() & 0xffu);
    if (round % 2 == 0) bytes.replace(0, 4, std::string(4, '\0'));  // one segment: gets past the segment table
    const std::optional<Record> decoded = decode(bytes);
    if (decoded) expect_valid(*decoded);
  }
}

// Field values for the test below: the edges of every limit, or a random value; text of printable ASCII
// (0x20..0x7e), or the same with one byte no stored text may hold: a C0 control, DEL, a byte that never starts
// UTF-8 (0xff) or an overlong lead (0xc0).
class ArbitraryValues {
 public:
  explicit ArbitraryValues(std::uint64_t seed) : rng_(seed) {}

  std::uint64_t next() { return rng_(); }

  std::int64_t pick(std::initializer_list<std::int64_t> edges) {
    return rng_() % 4 == 0 ? static_cast<std::int64_t>(rng_()) : *(edges.begin() + rng_() % edges.size());
  }

  // `clean` says whether the text is free of the poison bytes.
  std::string text(std::initializer_list<std::size_t> sizes, bool& clean) {
    std::string t(*(sizes.begin() + rng_() % sizes.size()), 'x');
    for (char& c : t) c = static_cast<char>(0x20 + rng_() % 0x5f);
    clean = t.empty() || rng_() % 3 != 0;
    if (!clean) {
      static constexpr unsigned char poison[] = {0x01, 0x7f, 0xff, 0xc0};
      t[rng_() % t.size()] = static_cast<char>(poison[rng_() % 4]);
    }
    return t;
  }

 private:
  std::mt19937_64 rng_;
};

bool in_utc_range(std::int64_t at) { return at >= limits::utc_micros_min && at <= limits::utc_micros_max; }

// Writes a user.created with arbitrary fields into `root` and `want`; returns whether the limits allow it.
bool write_arbitrary_user(ArbitraryValues& values, schema::WalRecord::Builder root, Record& want) {
  UserCreated u;
  u.id = static_cast<UserId>(values.pick({0, 1, 2, -1, static_cast<std::int64_t>(limits::users_max)}));
  bool name_clean = false, key_clean = false;
  // ASCII: bytes are characters, so user_name_chars_max bounds the length here.
  u.name = values.text({0, 1, 7, limits::user_name_chars_max, limits::user_name_chars_max + 1}, name_clean);
  u.idempotency_key =
      values.text({0, 1, limits::idempotency_key_bytes_max, limits::idempotency_key_bytes_max + 1}, key_clean);
  u.created_at = values.pick({0, -1, limits::utc_micros_min, limits::utc_micros_max, INT64_MIN, INT64_MAX});
  auto b = root.initUserCreated();
  b.setId(u.id);
  b.setName(capnp::Text::Reader(u.name.data(), u.name.size()));
  b.setIdempotencyKey(capnp::Text::Reader(u.idempotency_key.data(), u.idempotency_key.size()));
  b.setCreatedAtMicros(u.created_at);
  want = u;
  return u.id != 0 && u.id < limits::users_max && !u.name.empty() && name_clean &&
         u.name.size() <= limits::user_name_chars_max && key_clean &&
         u.idempotency_key.size() <= limits::idempotency_key_bytes_max && in_utc_range(u.created_at);
}

// Writes a transaction with arbitrary fields (a kind from a newer schema among them) into `root` and `want`;
// returns whether the limits allow it.
bool write_arbitrary_tx(ArbitraryValues& values, schema::WalRecord::Builder root, Record& want) {
  TransactionApplied t;
  bool uid_clean = false;
  t.uid = values.text({0, 1, 36, limits::uid_bytes_max, limits::uid_bytes_max + 1}, uid_clean);
  t.user_id = static_cast<UserId>(values.pick({0, 1, -1}));
  const std::uint16_t kind = static_cast<std::uint16_t>(values.next() % 3);  // 2: a kind from a newer schema
  t.kind = kind == 1 ? TxKind::withdraw : TxKind::deposit;
  t.amount = values.pick({0, 1, -1, limits::amount_minor_max, limits::amount_minor_max + 1, INT64_MIN});
  t.at = values.pick({0, limits::utc_micros_min, limits::utc_micros_min - 1, limits::utc_micros_max,
                      limits::utc_micros_max + 1, INT64_MIN, INT64_MAX});
  t.timestamp_given = values.next() % 2;
  auto b = root.initTransactionApplied();
  b.setUid(capnp::Text::Reader(t.uid.data(), t.uid.size()));
  b.setUserId(t.user_id);
  b.setKind(static_cast<schema::TxKind>(kind));
  b.setAmountMinor(t.amount);
  b.setAtMicros(t.at);
  b.setTimestampGiven(t.timestamp_given);
  want = t;
  return !t.uid.empty() && uid_clean && t.uid.size() <= limits::uid_bytes_max && t.user_id != 0 && kind <= 1 &&
         t.amount >= 1 && t.amount <= limits::amount_minor_max && in_utc_range(t.at);
}

// Well-formed messages with arbitrary field values (edges of every limit, out-of-range enum and union values):
// decode accepts exactly those the limits allow (an oracle written from ledger/limits.hpp, not from the codec)
// and gives back every field as written. Both outcomes must occur, or the test did not test.
TEST(RecordCodec, ArbitraryFieldValuesAreAcceptedExactlyWhenValid) {
  ArbitraryValues values(7);
  int accepted = 0, rejected = 0;
  for (int round = 0; round < 60000; ++round) {
    capnp::MallocMessageBuilder message;
    auto root = message.initRoot<schema::WalRecord>();
    Record want;
    const bool valid =
        round % 2 == 0 ? write_arbitrary_user(values, root, want) : write_arbitrary_tx(values, root, want);
    const kj::Array<capnp::word> flat = capnp::messageToFlatArray(message);
    const kj::ArrayPtr<const kj::byte> bytes = flat.asBytes();
    const std::optional<Record> decoded =
        decode(std::string_view(reinterpret_cast<const char*>(bytes.begin()), bytes.size()));
    ASSERT_EQ(decoded.has_value(), valid) << "round " << round;
    if (!decoded) {
      ++rejected;
      continue;
    }
    ++accepted;
    ASSERT_EQ(decoded->index(), want.index());
    if (const auto* u = std::get_if<UserCreated>(&want)) expect_same(std::get<UserCreated>(*decoded), *u);
    else expect_same(std::get<TransactionApplied>(*decoded), std::get<TransactionApplied>(want));
  }
  EXPECT_GT(accepted, 1000);
  EXPECT_GT(rejected, 1000);
}

TEST(RecordCodec, MutatedRecordsNeverCrash) {
  std::mt19937_64 rng(99);
  const std::string seeds[] = {bytes_of(sample_user()), bytes_of(sample_tx())};
  int accepted = 0;
  for (int round = 0; round < 20000; ++round) {
    std::string bytes = seeds[round % 2];
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int i = 0; i < flips; ++i) {
      const std::size_t at = rng() % bytes.size();
      bytes[at] = static_cast<char>(bytes[at] ^ static_cast<char>(1u << (rng() % 8)));
    }
    const std::optional<Record> decoded = decode(bytes);
    if (decoded) {
      ++accepted;
      expect_valid(*decoded);
    }
  }
  // Many single flips land in text bytes or plain integers and stay valid records; that is fine (the frame CRC
  // catches them), but it shows this test reaches the field checks and not only the pointer validation.
  EXPECT_GT(accepted, 0);
}

}  // namespace
}  // namespace tally::wal::codec_test
