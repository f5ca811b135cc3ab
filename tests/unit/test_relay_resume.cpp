// tally-relay's resume intents (relay/resume_point.hpp): their text form, and the check against a stream (a map
// from stream sequence to message id standing in for JetStream) that finds how much of the last page landed.
#include <gtest/gtest.h>

#include <map>

#include "relay/resume_point.hpp"

namespace tally::relay {
namespace {

struct FakeStream {
  std::map<std::uint64_t, std::string> ids;
  int reads = 0;
  ReadMsgId reader() {
    return [this](std::uint64_t at, std::string& id, std::string&) {
      ++reads;
      const auto found = ids.find(at);
      id = found == ids.end() ? "" : found->second;
      return true;
    };
  }
};

TEST(ResumeIntent, RoundTripsAndRefusesAnythingElse) {
  const ResumeIntent intent{12, 1000, 345, 340};
  const auto back = parse_intent(encode_intent(intent));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->first, 12u);
  EXPECT_EQ(back->count, 1000u);
  EXPECT_EQ(back->after, 345u);
  EXPECT_EQ(back->prev_stream_seq, 340u);
  for (const char* bad : {"", "1 2 3", "1 2 3 4 ", "1  2 3 4", "0 2 3 4", "1 0 3 4", "x 2 3 4", "1 2 3 -4"})
    EXPECT_FALSE(parse_intent(bad)) << bad;
}

TEST(ResumeIntent, FindsTheStoredPrefixOfThePageWithAFewReads) {
  // Shard 2's page 101..1100 published when the stream ended at 5000; its first 637 events landed at 5001..5637,
  // then another publisher's messages.
  FakeStream stream;
  for (std::uint64_t k = 1; k <= 637; ++k) stream.ids[5000 + k] = "2-" + std::to_string(100 + k);
  for (std::uint64_t k = 5638; k <= 5700; ++k) stream.ids[k] = "7-" + std::to_string(k);
  ShardTail tail;
  std::string error;
  ASSERT_EQ(resolve_intent({101, 1000, 5000, 4990}, 2, stream.reader(), tail, error), Resolved::found);
  EXPECT_EQ(tail.seq, 737u);
  EXPECT_EQ(tail.stream_seq, 5637u);
  EXPECT_LE(stream.reads, 12);
  // All of it: the last place holds the page's last event.
  for (std::uint64_t k = 638; k <= 1000; ++k) stream.ids[5000 + k] = "2-" + std::to_string(100 + k);
  ASSERT_EQ(resolve_intent({101, 1000, 5000, 4990}, 2, stream.reader(), tail, error), Resolved::found);
  EXPECT_EQ(tail.seq, 1100u);
  EXPECT_EQ(tail.stream_seq, 6000u);
}

TEST(ResumeIntent, NoneOfThePageLandedTrustsOnlyWhatTheStreamHoldsBeforeIt) {
  FakeStream stream;
  stream.ids[4990] = "2-100";
  stream.ids[5001] = "7-1";  // another publisher got there first: the page's first message was refused
  ShardTail tail;
  std::string error;
  ASSERT_EQ(resolve_intent({101, 10, 5000, 4990}, 2, stream.reader(), tail, error), Resolved::found);
  EXPECT_EQ(tail.seq, 100u);
  EXPECT_EQ(tail.stream_seq, 4990u);
  // The shard's first page: nothing before it.
  ASSERT_EQ(resolve_intent({1, 10, 5000, 0}, 2, stream.reader(), tail, error), Resolved::found);
  EXPECT_EQ(tail.seq, 0u);
  // Not known where the event before the page is, or the stream no longer holds it there (purged): no guess.
  EXPECT_EQ(resolve_intent({101, 10, 5000, 0}, 2, stream.reader(), tail, error), Resolved::unverifiable);
  stream.ids.erase(4990);
  EXPECT_EQ(resolve_intent({101, 10, 5000, 4990}, 2, stream.reader(), tail, error), Resolved::unverifiable);
  stream.ids[4990] = "3-100";  // another shard's event with the same seq
  EXPECT_EQ(resolve_intent({101, 10, 5000, 4990}, 2, stream.reader(), tail, error), Resolved::unverifiable);
}

TEST(ResumeIntent, AFailedReadIsReportedNotGuessed) {
  const ReadMsgId failing = [](std::uint64_t, std::string&, std::string& error) {
    error = "NATS gone";
    return false;
  };
  ShardTail tail;
  std::string error;
  EXPECT_EQ(resolve_intent({101, 10, 5000, 4990}, 2, failing, tail, error), Resolved::failed);
  EXPECT_EQ(error, "NATS gone");
}

}  // namespace
}  // namespace tally::relay
