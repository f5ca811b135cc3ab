// tally-relay's reading of a /v1/events answer: each event's exact text (the NATS message body), its shard, seq
// and type, and the refusal of anything else.
#include <gtest/gtest.h>

#include "relay/feed_page.hpp"

namespace tally::relay {
namespace {

TEST(FeedPage, CutsEachEventOutByteForByte) {
  const std::string a = R"({"seq":7,"type":"user.created","time":"2026-01-01T00:00:00Z","shard":0,"user_id":1,)"
                        R"("name":"br}ce \"[x]\" \u00e9","low_balance_threshold":"0.00"})";
  const std::string b = R"({"seq":9,"type":"transaction.applied","time":"2026-01-01T00:00:00Z","shard":3,"user_id":1,)"
                        R"("transaction":{"uid":"u{1}","user_id":1,"type":"DEPOSIT","amount":"1.00",)"
                        R"("timestamp":"2026-01-01T00:00:00Z"},"balance":"1.00"})";
  std::string error;
  const std::optional<FeedPage> page = parse_feed_page(R"({"events":[)" + a + "," + b + R"(],"last":12})", error);
  ASSERT_TRUE(page) << error;
  ASSERT_EQ(page->events.size(), 2u);
  EXPECT_EQ(page->events[0].json, a);
  EXPECT_EQ(page->events[1].json, b);
  EXPECT_EQ(page->events[1].shard, 3);
  EXPECT_EQ(page->events[1].seq, 9u);
  EXPECT_EQ(page->events[1].type, "transaction.applied");
  EXPECT_EQ(page->last, 12u);
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
       }) {
    std::string error;
    EXPECT_FALSE(parse_feed_page(body, error)) << body;
    EXPECT_FALSE(error.empty()) << body;
  }
}

}  // namespace
}  // namespace tally::relay
