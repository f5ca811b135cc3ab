// tally-relay's reading of a /v1/events answer: each event's exact text (the NATS message body), its shard, seq
// and type, and the refusal of anything else; and what JetStream's acks of a page add up to (PageAcks).
#include <gtest/gtest.h>

#include "relay/feed_page.hpp"
#include "relay/page_acks.hpp"

namespace tally::relay {
namespace {

TEST(FeedPage, CutsEachEventOutByteForByte) {
  const std::string a = R"({"seq":7,"type":"user.created","time":"2026-01-01T00:00:00Z","shard":0,"user_id":1,)"
                        R"("name":"br}ce \"[x]\" \u00e9","low_balance_threshold":"0.00"})";
  const std::string b = R"({"seq":9,"type":"transaction.applied","time":"2026-01-01T00:00:00Z","shard":3,"user_id":1,)"
                        R"("transaction":{"uid":"u{1}","user_id":1,"type":"DEPOSIT","amount":"1.00",)"
                        R"("timestamp":"2026-01-01T00:00:00Z"},"balance":"1.00"})";
  std::string error;
  const std::string body = R"({"events":[)" + a + "," + b + R"(],"last":12})";  // the page's texts are views into it
  const std::optional<FeedPage> page = parse_feed_page(body, error);
  ASSERT_TRUE(page) << error;
  ASSERT_EQ(page->events.size(), 2u);
  EXPECT_EQ(page->events[0].json, a);
  EXPECT_EQ(page->events[1].json, b);
  EXPECT_EQ(page->events[1].shard, 3);
  EXPECT_EQ(page->events[1].seq, 9u);
  EXPECT_EQ(page->events[1].type, "transaction.applied");
  EXPECT_EQ(page->last, 12u);
}

TEST(FeedPage, AStringEndsAtAQuoteAfterAnEvenRunOfBackslashes) {
  // "a\\" is a string ending in one backslash; "b\\\"}" one holding a backslash, a quote and a brace.
  const std::string a = R"({"seq":1,"type":"user.created","shard":0,"name":"a\\","low_balance_threshold":"0.00"})";
  const std::string b = R"({"seq":2,"type":"user.created","shard":0,"name":"b\\\"}","low_balance_threshold":"0.00"})";
  const std::string body = R"({"events":[)" + a + "," + b + R"(],"last":2})";
  std::string error;
  const std::optional<FeedPage> page = parse_feed_page(body, error);
  ASSERT_TRUE(page) << error;
  ASSERT_EQ(page->events.size(), 2u);
  EXPECT_EQ(page->events[0].json, a);
  EXPECT_EQ(page->events[1].json, b);
  EXPECT_FALSE(parse_feed_page(R"({"events":[{"seq":1,"type":"x","shard":0,"n":"c\"}],"last":1})", error))
      << "an escaped quote does not close the string";
}

TEST(FeedPage, AnEmptyPageHasOnlyLast) {
  std::string error;
  const std::optional<FeedPage> page = parse_feed_page(R"({"events":[],"last":4})", error);
  ASSERT_TRUE(page) << error;
  EXPECT_TRUE(page->events.empty());
  EXPECT_EQ(page->last, 4u);
}

TEST(FeedPage, RefusesWhatIsNotAPage) {
  for (const char* body : {
           "", "[]", R"({"events":[]})", R"({"last":1})", R"({"events":[{"seq":1}],"last":1})",
           R"({"events":[{"seq":2,"type":"x","shard":0},{"seq":1,"type":"x","shard":0}],"last":2})",
           R"({"error":{"code":"cursor_expired","message":"m","oldest":3}})",
           R"({"events":[{"seq":1,"type":"x","shard":0}],"last":1)",  // cut short
           R"({"events":[{"seq":1,"type":"x","shard":0} 7],"last":1})",
           R"({"events":[{"x":{"seq":1,"type":"x","shard":0}}],"last":1})",  // only the event's own members count
           R"({"events":[{"seq":-1,"type":"x","shard":0}],"last":1})",
       }) {
    std::string error;
    EXPECT_FALSE(parse_feed_page(body, error)) << body;
    EXPECT_FALSE(error.empty()) << body;
  }
}

TEST(PageAcks, HeldStopsAtTheFirstEventNotStoredWhateverCameAfter) {
  PageAcks acks;
  acks.begin(0, {5, 6, 7, 8});
  acks.record(0, 8, PageAcks::Outcome::stored, 104, "");  // answers may come in any order
  acks.record(0, 5, PageAcks::Outcome::stored, 101, "");
  acks.record(0, 7, PageAcks::Outcome::stored, 103, "");
  acks.record(0, 6, PageAcks::Outcome::refused, 0, "message size exceeds maximum allowed");
  PageAcks::Prefix p = acks.prefix();
  EXPECT_EQ(p.held, 1u);
  EXPECT_FALSE(p.clean);
  EXPECT_NE(p.first_problem.find("seq 6: message size"), std::string::npos) << p.first_problem;
  acks.begin(0, {5, 6});
  acks.record(0, 5, PageAcks::Outcome::stored, 101, "");
  p = acks.prefix();
  EXPECT_EQ(p.held, 1u);  // 6 has no answer yet: not held
  EXPECT_NE(p.first_problem.find("seq 6: no answer"), std::string::npos) << p.first_problem;
}

TEST(PageAcks, CleanOnlyWhenEveryEventWasStoredNow) {
  PageAcks acks;
  acks.begin(2, {1, 2, 3});
  acks.record(2, 1, PageAcks::Outcome::stored, 11, "");
  acks.record(2, 2, PageAcks::Outcome::stored, 12, "");
  acks.record(2, 3, PageAcks::Outcome::stored, 13, "");
  acks.record(1, 3, PageAcks::Outcome::refused, 0, "another shard's late answer");  // ignored
  acks.record(2, 4, PageAcks::Outcome::refused, 0, "not of this page");              // ignored
  PageAcks::Prefix p = acks.prefix();
  EXPECT_TRUE(p.clean);
  EXPECT_EQ(p.held, 3u);
  EXPECT_EQ(p.last_stream_seq, 13u);
  acks.begin(2, {1, 2});
  acks.record(2, 1, PageAcks::Outcome::duplicate, 11, "");
  acks.record(2, 2, PageAcks::Outcome::stored, 14, "");
  p = acks.prefix();
  EXPECT_EQ(p.held, 2u);  // a duplicate is in the stream
  EXPECT_FALSE(p.clean);  // but the stream's last sequence is not known from the acks
}

}  // namespace
}  // namespace tally::relay
