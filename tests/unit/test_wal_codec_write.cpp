// Tests of the direct transaction encoder (wal/record_codec_fast.hpp, encode side): wal::encode, encode_append
// and RecordGroup::add write exactly the bytes the Cap'n Proto builder writes (detail::encode_unchecked, the
// reference), byte for byte, on random records (every uid and client length, both kinds, extreme numbers), and
// refuse exactly what check_record refuses; a group's frames are append_frame's frames of those bytes.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <random>
#include <string>

#include "ledger/limits.hpp"
#include "ledger/record_checks.hpp"
#include "record_checks.hpp"
#include "wal/frame.hpp"
#include "wal/record_codec.hpp"
#include "wal/record_codec_fast.hpp"
#include "wal/wal_writer.hpp"

namespace tally::wal {
namespace {

std::string random_text(std::mt19937_64& rng, std::size_t length) {
  std::string text(length, '\0');
  for (char& c : text) c = static_cast<char>(' ' + rng() % 95);
  return text;
}

// Any record (valid or not): the direct writer lays out whatever it is given, as the builder does.
TransactionApplied random_tx(std::mt19937_64& rng) {
  const std::int64_t extremes[] = {0, 1, -1, std::numeric_limits<std::int64_t>::min(),
                                   std::numeric_limits<std::int64_t>::max(), 1'672'790'400'000'000};
  auto number = [&]() -> std::int64_t {
    return rng() % 3 == 0 ? extremes[rng() % 6] : static_cast<std::int64_t>(rng());
  };
  TransactionApplied t;
  t.uid = random_text(rng, 1 + rng() % limits::uid_bytes_max);
  t.user_id = rng() % 4 == 0 ? std::numeric_limits<std::uint64_t>::max() : rng() % 10'000'000;
  t.kind = rng() % 2 ? TxKind::deposit : TxKind::withdraw;
  t.amount = number();
  t.at = number();
  t.timestamp_given = rng() % 2 != 0;
  t.client = rng() % 3 == 0 ? std::string() : random_text(rng, 1 + rng() % limits::client_name_bytes_max);
  t.recorded_at = number();
  return t;
}

std::string direct(const TransactionApplied& t) {
  std::string out(detail::canonical_transaction_bytes(t), '\0');
  detail::encode_canonical_transaction(t, out.data());
  return out;
}

TEST(WalCodecWrite, DirectWriterMatchesTheBuilderByteForByte) {
  std::mt19937_64 rng(20261201);
  for (int i = 0; i < 20'000; ++i) {
    const TransactionApplied t = random_tx(rng);
    const std::string reference = detail::encode_unchecked(t);
    ASSERT_EQ(direct(t), reference) << "uid " << t.uid.size() << " bytes, client " << t.client.size();
  }
}

TEST(WalCodecWrite, EveryUidAndClientLength) {
  std::mt19937_64 rng(7);
  for (std::size_t uid = 1; uid <= limits::uid_bytes_max; ++uid) {
    for (std::size_t client = 0; client <= limits::client_name_bytes_max; ++client) {
      TransactionApplied t = random_tx(rng);
      t.uid = random_text(rng, uid);
      t.client = random_text(rng, client);
      ASSERT_EQ(direct(t), detail::encode_unchecked(t)) << uid << " " << client;
    }
  }
}

TEST(WalCodecWrite, EncodeRefusesExactlyWhatTheCheckRefuses) {
  std::mt19937_64 rng(99);
  int valid = 0, refused = 0;
  for (int i = 0; i < 20'000; ++i) {
    TransactionApplied t = random_tx(rng);
    if (i % 2 == 0) {  // half of them within the rules, so both answers are exercised
      t.uid = "u" + std::to_string(rng());
      t.amount = 1 + static_cast<std::int64_t>(rng() % 1'000'000);
      t.at = 1'672'790'400'000'000 + static_cast<std::int64_t>(rng() % 1'000'000'000);
      t.recorded_at = t.at;
      t.client = rng() % 2 ? "" : "svc";
      t.user_id = 1 + rng() % 1000;
    }
    const bool ok = check_record(t) == RecordFault::none;
    (ok ? valid : refused) += 1;
    const std::optional<std::string> encoded = encode(t);
    std::string appended = "prefix!!";
    ASSERT_EQ(encoded.has_value(), ok);
    ASSERT_EQ(encode_append(t, appended), ok);
    if (ok) {
      ASSERT_EQ(*encoded, detail::encode_unchecked(t));
      ASSERT_EQ(appended, "prefix!!" + *encoded);
      const std::optional<Record> back = decode(*encoded);
      ASSERT_TRUE(back && std::holds_alternative<TransactionApplied>(*back));
      EXPECT_TRUE(tally::testing::same_record(std::get<TransactionApplied>(*back), t));
    } else {
      ASSERT_EQ(appended, "prefix!!");
    }
  }
  EXPECT_GT(valid, 5'000);
  EXPECT_GT(refused, 5'000);
}

TEST(WalCodecWrite, GroupFramesInPlaceAsAppendFrameDoes) {
  std::mt19937_64 rng(3);
  RecordGroup group;
  std::string expected_frames;
  std::size_t added = 0;
  for (int i = 0; i < 500; ++i) {
    TransactionApplied t = random_tx(rng);
    if (i % 3 != 0) {
      t.uid = "g" + std::to_string(i);
      t.amount = 1 + i;
      t.at = t.recorded_at = 1'672'790'400'000'000 + i;
      t.user_id = 7;
      t.client = i % 2 ? "" : "svc";
    }
    const std::optional<std::string> payload = encode(t);
    ASSERT_EQ(group.add(t), payload.has_value());
    if (payload) {
      append_frame(expected_frames, *payload);
      ++added;
    }
  }
  EXPECT_EQ(group.records(), added);
  EXPECT_GT(added, 300u);
  // The old way, payload strings added to a group, gives the same frames.
  RecordGroup reference;
  for (std::size_t at = 0; at < expected_frames.size();) {
    const FrameRead frame = read_frame(expected_frames, at);
    ASSERT_EQ(frame.status, FrameStatus::ok);
    reference.add(frame.payload);
    at = frame.next_offset;
  }
  EXPECT_EQ(group.bytes(), reference.bytes());
  EXPECT_EQ(group.bytes(), expected_frames);
}

}  // namespace
}  // namespace tally::wal
