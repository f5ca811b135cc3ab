// The cluster's pure rules (shard/layout.hpp, ledger/user_id_space.hpp), the data directory's shard identity
// (disk/shard_identity.hpp) and the batch splitter's JSON array reader (rest/routes_cluster_batch.hpp).
#include <gtest/gtest.h>

#include <stdlib.h>

#include <string>

#include "disk/file_system.hpp"
#include "disk/shard_identity.hpp"
#include "ledger/user_id_space.hpp"
#include "rest/routes_cluster_batch.hpp"
#include "shard/layout.hpp"

namespace tally {
namespace {

TEST(ShardLayout, Fnv1a64MatchesTheReferenceVectors) {
  EXPECT_EQ(shard::fnv1a_64(""), 0xcbf29ce484222325ull);
  EXPECT_EQ(shard::fnv1a_64("a"), 0xaf63dc4c8601ec8cull);
  EXPECT_EQ(shard::fnv1a_64("foobar"), 0x85944171f73967e8ull);
  shard::ShardLayout three;
  three.count = 3;
  EXPECT_EQ(three.home_of_uid("foobar"), 0x85944171f73967e8ull % 3);
  EXPECT_EQ(shard::ShardLayout{}.home_of_uid("foobar"), 0u);
}

TEST(ShardLayout, UserIdsCarryTheirShard) {
  const UserIdSpace one{};
  EXPECT_EQ(one.first(), 1u);
  EXPECT_TRUE(one.holds(1) && one.holds(2) && !one.holds(0));
  const UserIdSpace zero_of_three{3, 0}, two_of_three{3, 2};
  EXPECT_EQ(zero_of_three.first(), 3u);
  EXPECT_EQ(two_of_three.first(), 2u);
  EXPECT_TRUE(zero_of_three.holds(6) && !zero_of_three.holds(7) && !zero_of_three.holds(0));
  EXPECT_TRUE(two_of_three.holds(5) && !two_of_three.holds(6));
  EXPECT_EQ(zero_of_three.index_of(3) + 1, zero_of_three.index_of(6));  // dense: one slot per id of the space
  shard::ShardLayout layout;
  layout.count = 3;
  EXPECT_EQ(layout.owner_of_user(7), 1u);
}

TEST(ShardLayout, ShardFromFlagOrHostName) {
  EXPECT_EQ(shard::host_ordinal("tally-2"), 2);
  EXPECT_EQ(shard::host_ordinal("my-tally-17"), 17);
  EXPECT_FALSE(shard::host_ordinal("tally").has_value());
  EXPECT_FALSE(shard::host_ordinal("tally-").has_value());
  EXPECT_FALSE(shard::host_ordinal("tally-2a").has_value());

  shard::LayoutSettings settings;
  settings.shards = 3;
  settings.host_name = "tally-2";
  settings.peer_template = "http://tally-{}.tally-peers:8000/";
  std::string refusal;
  const std::optional<shard::ShardLayout> layout = shard::resolve_layout(settings, refusal);
  ASSERT_TRUE(layout.has_value()) << refusal;
  EXPECT_EQ(layout->self, 2u);
  EXPECT_EQ(layout->peers.at(1), "http://tally-1.tally-peers:8000");
  settings.shard = 0;  // the flag wins over the host name
  EXPECT_EQ(shard::resolve_layout(settings, refusal)->self, 0u);
}

TEST(ShardLayout, RefusesWhatCannotBeRight) {
  shard::LayoutSettings settings;
  settings.shards = 3;
  settings.host_name = "vm";
  std::string refusal;
  EXPECT_FALSE(shard::resolve_layout(settings, refusal).has_value());
  EXPECT_NE(refusal.find("no shard number"), std::string::npos) << refusal;
  settings.shard = 3;
  settings.peers = "http://a,http://b,http://c";
  EXPECT_FALSE(shard::resolve_layout(settings, refusal).has_value());
  EXPECT_NE(refusal.find("not in 0..2"), std::string::npos) << refusal;
  settings.shard = 1;
  settings.peers = "http://a,http://b";
  EXPECT_FALSE(shard::resolve_layout(settings, refusal).has_value());
  EXPECT_NE(refusal.find("lists 2 URLs"), std::string::npos) << refusal;
  settings.peers = "http://a,ftp://b,http://c";
  EXPECT_FALSE(shard::resolve_layout(settings, refusal).has_value());
  settings.peers.clear();
  EXPECT_FALSE(shard::resolve_layout(settings, refusal).has_value()) << "N > 1 needs peers";
  shard::LayoutSettings single;  // one shard: no peers, shard 0
  const std::optional<shard::ShardLayout> one = shard::resolve_layout(single, refusal);
  ASSERT_TRUE(one.has_value());
  EXPECT_FALSE(one->clustered());
}

TEST(ShardIdentity, RecordedOnceThenChecked) {
  char pattern[] = "/tmp/tally-shard-identity-XXXXXX";
  ASSERT_NE(::mkdtemp(pattern), nullptr);
  disk::FileSystem& fs = disk::posix_file_system();
  const disk::DataDir dir(pattern);
  std::string refusal;
  ASSERT_TRUE(disk::check_shard_identity(fs, dir, {3, 1}, refusal).ok());
  EXPECT_TRUE(refusal.empty());
  std::string text;
  ASSERT_TRUE(fs.read_all(dir.shard_identity_file(), text).ok());
  EXPECT_EQ(text, "shards 3\nshard 1\n");
  ASSERT_TRUE(disk::check_shard_identity(fs, dir, {3, 1}, refusal).ok());
  EXPECT_TRUE(refusal.empty());
  ASSERT_TRUE(disk::check_shard_identity(fs, dir, {3, 2}, refusal).ok());
  EXPECT_NE(refusal.find("belongs to shard 1 of 3 shards"), std::string::npos) << refusal;
  ASSERT_TRUE(disk::check_shard_identity(fs, dir, {4, 1}, refusal).ok());
  EXPECT_FALSE(refusal.empty());
  fs.remove(dir.shard_identity_file());
  ::rmdir(pattern);
}

TEST(BatchSplit, ReadsTheItemsOfAnArrayAsWritten) {
  const auto items = rest::split_json_array(R"( [ {"a":"x,]}"} , [1,2], "s\"]" ,3 ] )");
  ASSERT_TRUE(items.has_value());
  ASSERT_EQ(items->size(), 4u);
  EXPECT_EQ((*items)[0], R"({"a":"x,]}"})");
  EXPECT_EQ((*items)[1], "[1,2]");
  EXPECT_EQ((*items)[2], R"("s\"]")");
  EXPECT_EQ((*items)[3], "3");
  EXPECT_TRUE(rest::split_json_array("[]")->empty());
  EXPECT_FALSE(rest::split_json_array("{}").has_value());
  EXPECT_FALSE(rest::split_json_array("[[1]").has_value());
}

}  // namespace
}  // namespace tally
