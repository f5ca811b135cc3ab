// Tests of wal/frame: CRC32C against published vectors and a bit-at-a-time reference, masking, the segment
// header, and that every kind of damage to a frame is detected (never read back as ok).
#include <gtest/gtest.h>

#include <random>
#include <stdexcept>
#include <string>

#include "ledger/limits.hpp"
#include "wal/frame.hpp"

namespace tally::wal::detail {
std::uint32_t crc32c_portable(std::string_view data, std::uint32_t crc);  // defined in wal/frame.cpp
}

namespace tally::wal {
namespace {

// Deliberately the slowest, most obvious CRC32C: the reference the fast paths are checked against.
std::uint32_t crc32c_bitwise(std::string_view data) {
  std::uint32_t crc = 0xFFFFFFFFu;
  for (unsigned char byte : data) {
    crc ^= byte;
    for (int i = 0; i < 8; ++i) crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1u)));
  }
  return ~crc;
}

std::uint32_t masked(std::uint32_t crc) { return ((crc >> 15) | (crc << 17)) + 0xa282ead8u; }

std::uint32_t le32(const std::string& s, std::size_t at) {
  std::uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(s[at + static_cast<std::size_t>(i)]);
  return v;
}

std::string random_bytes(std::mt19937_64& rng, std::size_t n) {
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng() & 0xffu);
  return s;
}

TEST(Crc32c, KnownVectors) {
  EXPECT_EQ(crc32c("123456789"), 0xE3069283u);
  EXPECT_EQ(crc32c(""), 0u);
  EXPECT_EQ(crc32c(std::string(32, '\0')), 0x8A9136AAu);
  EXPECT_EQ(crc32c(std::string(32, '\xff')), 0x62A8AB43u);
  std::string ascending, descending;
  for (int i = 0; i < 32; ++i) {
    ascending.push_back(static_cast<char>(i));
    descending.push_back(static_cast<char>(31 - i));
  }
  EXPECT_EQ(crc32c(ascending), 0x46DD794Eu);
  EXPECT_EQ(crc32c(descending), 0x113FDB5Cu);
  EXPECT_EQ(crc32c_bitwise("123456789"), 0xE3069283u);  // the reference itself is right
}

TEST(Crc32c, FastPathsMatchReferenceAtEveryLengthAndAlignment) {
  std::mt19937_64 rng(42);
  const std::string buffer = random_bytes(rng, 4096 + 16);
  for (std::size_t align = 0; align < 8; ++align) {
    for (std::size_t len = 0; len < 300; ++len) {
      const std::string_view piece(buffer.data() + align, len);
      const std::uint32_t expected = crc32c_bitwise(piece);
      ASSERT_EQ(crc32c(piece), expected) << "align " << align << " len " << len;
      ASSERT_EQ(detail::crc32c_portable(piece, 0), expected) << "align " << align << " len " << len;
    }
  }
  const std::string_view big(buffer.data() + 3, 4096);
  EXPECT_EQ(crc32c(big), crc32c_bitwise(big));
  EXPECT_EQ(detail::crc32c_portable(big, 0), crc32c_bitwise(big));
}

TEST(Crc32c, ExtendingEqualsWhole) {
  std::mt19937_64 rng(7);
  const std::string data = random_bytes(rng, 1000);
  for (std::size_t split = 0; split <= data.size(); split += 37) {
    const std::string_view a(data.data(), split), b(data.data() + split, data.size() - split);
    EXPECT_EQ(crc32c(b, crc32c(a)), crc32c(data));
    EXPECT_EQ(detail::crc32c_portable(b, detail::crc32c_portable(a, 0)), crc32c(data));
  }
}

TEST(SegmentHeader, LayoutAndValidation) {
  std::string header;
  append_segment_header(header);
  ASSERT_EQ(header.size(), segment_header_bytes);
  EXPECT_EQ(header.substr(0, 8), "TALLYWAL");
  EXPECT_EQ(le32(header, 8), 1u);
  EXPECT_EQ(le32(header, 12), masked(crc32c(std::string_view(header).substr(0, 12))));
  EXPECT_TRUE(valid_segment_header(header));
  EXPECT_TRUE(valid_segment_header(header + "trailing data is not the header's business"));
  EXPECT_FALSE(valid_segment_header(header.substr(0, 15)));
  EXPECT_FALSE(valid_segment_header(""));
  for (std::size_t bit = 0; bit < header.size() * 8; ++bit) {
    std::string damaged = header;
    damaged[bit / 8] = static_cast<char>(damaged[bit / 8] ^ (1 << (bit % 8)));
    EXPECT_FALSE(valid_segment_header(damaged)) << "bit " << bit;
  }
}

TEST(SegmentHeader, UnknownVersionWithCorrectCrcIsRejected) {
  std::string header = "TALLYWAL";
  header += std::string("\x02\x00\x00\x00", 4);
  const std::uint32_t crc = masked(crc32c(header));
  for (int i = 0; i < 4; ++i) header.push_back(static_cast<char>((crc >> (8 * i)) & 0xffu));
  EXPECT_FALSE(valid_segment_header(header));
}

TEST(Frame, RoundTripKeepsAlignmentAndOrder) {
  std::mt19937_64 rng(1);
  std::vector<std::string> payloads;
  for (std::size_t size : {std::size_t{8}, std::size_t{16}, std::size_t{800}, limits::wal_record_bytes_max, std::size_t{24}})
    payloads.push_back(random_bytes(rng, size));
  std::string log;
  append_segment_header(log);
  for (const auto& p : payloads) append_frame(log, p);

  std::size_t offset = segment_header_bytes;
  for (const auto& p : payloads) {
    ASSERT_EQ(offset % 8, 0u);
    const FrameRead r = read_frame(log, offset);
    ASSERT_EQ(r.status, FrameStatus::ok);
    EXPECT_EQ(r.payload, p);
    EXPECT_EQ(r.next_offset, offset + frame_header_bytes + p.size());
    offset = r.next_offset;
  }
  EXPECT_EQ(offset, log.size());
  EXPECT_EQ(read_frame(log, offset).status, FrameStatus::end);
}

TEST(Frame, WireFormatIsLengthThenMaskedCrcOfLengthAndPayload) {
  const std::string payload = "abcdefgh12345678";
  std::string frame;
  append_frame(frame, payload);
  ASSERT_EQ(frame.size(), 8 + payload.size());
  EXPECT_EQ(le32(frame, 0), payload.size());
  EXPECT_EQ(le32(frame, 4), masked(crc32c_bitwise(frame.substr(0, 4) + payload)));
  EXPECT_EQ(frame.substr(8), payload);
}

TEST(Frame, RejectsInvalidPayloads) {
  std::string out;
  EXPECT_THROW(append_frame(out, ""), std::invalid_argument);
  EXPECT_THROW(append_frame(out, "1234567"), std::invalid_argument);
  EXPECT_THROW(append_frame(out, std::string(limits::wal_record_bytes_max + 8, 'x')), std::invalid_argument);
  EXPECT_TRUE(out.empty());
}

TEST(Frame, TruncationAtEveryLengthIsDetected) {
  std::string frame;
  append_frame(frame, std::string(40, 'q'));
  for (std::size_t cut = 1; cut < frame.size(); ++cut)
    EXPECT_EQ(read_frame(frame.substr(0, cut), 0).status, FrameStatus::truncated) << "cut " << cut;
  EXPECT_EQ(read_frame("", 0).status, FrameStatus::end);
}

TEST(Frame, BadLengthsAreDetected) {
  auto with_length = [](std::uint32_t length) {
    std::string s;
    for (int i = 0; i < 4; ++i) s.push_back(static_cast<char>((length >> (8 * i)) & 0xffu));
    return s + std::string(4 + 200, '\0');
  };
  EXPECT_EQ(read_frame(with_length(0), 0).status, FrameStatus::bad_length);
  EXPECT_EQ(read_frame(with_length(12), 0).status, FrameStatus::bad_length);
  EXPECT_EQ(read_frame(with_length(static_cast<std::uint32_t>(limits::wal_record_bytes_max + 8)), 0).status,
            FrameStatus::bad_length);
  EXPECT_EQ(read_frame(with_length(0xFFFFFFF8u), 0).status, FrameStatus::bad_length);
}

TEST(Frame, EveryFlippedBitIsDetected) {
  std::mt19937_64 rng(3);
  const std::string payload = random_bytes(rng, 48);
  std::string frame;
  append_frame(frame, payload);
  for (std::size_t bit = 0; bit < frame.size() * 8; ++bit) {
    std::string damaged = frame;
    damaged[bit / 8] = static_cast<char>(damaged[bit / 8] ^ (1 << (bit % 8)));
    const FrameStatus status = read_frame(damaged, 0).status;
    EXPECT_NE(status, FrameStatus::ok) << "bit " << bit;
    if (bit >= 32) {
      EXPECT_EQ(status, FrameStatus::bad_crc) << "bit " << bit;  // length intact: must be the CRC
    }
  }
}

TEST(Frame, ReadsAtAnOffsetInsideLargerData) {
  std::string log = "XXXXXXXX";
  append_frame(log, "payload!");
  append_frame(log, "second__payload_");
  const FrameRead first = read_frame(log, 8);
  ASSERT_EQ(first.status, FrameStatus::ok);
  EXPECT_EQ(first.payload, "payload!");
  const FrameRead second = read_frame(log, first.next_offset);
  ASSERT_EQ(second.status, FrameStatus::ok);
  EXPECT_EQ(second.payload, "second__payload_");
  EXPECT_EQ(read_frame(log, second.next_offset).status, FrameStatus::end);
}

}  // namespace
}  // namespace tally::wal
