// The keyed uid hash against hash flooding (ledger/seeded_hash.hpp, actors/tx_index_uid.hpp): under two seeds the
// same uids hash differently, keys that collide under one seed (found by a bounded brute-force search, as an
// attacker who knew the seed would) spread under another, the process's own seed is random and stable, and
// lookups are unaffected even for uids that crowd one shard's probe run under the running process's keys.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "actors/tx_index.hpp"
#include "actors/tx_index_uid.hpp"
#include "ledger/seeded_hash.hpp"

namespace {

using namespace tally;
using tx_index_detail::hash_uid;

constexpr HashKeys seed_a = hash_keys_from_seed(0x5eed'000a), seed_b = hash_keys_from_seed(0x5eed'000b);

// Canonical uuids (the 36-character word path) from a counter.
std::string uuid_of(std::uint64_t n) {
  char text[37];
  std::snprintf(text, sizeof text, "%08llx-0000-4000-8000-%012llx",
                static_cast<unsigned long long>((n >> 20) & 0xffffffffULL),
                static_cast<unsigned long long>(n * 0x9e3779b1ULL & 0xffffffffffffULL));
  return text;
}

// Uids of other lengths (seeded_hash's 16-byte steps): 1 to 64 bytes.
std::string other_of(std::uint64_t n) { return "u" + std::to_string(n) + std::string(n % 50, 'x'); }

// A uid's shard (hash mod 64, TxIndex's split) under `keys`.
std::size_t shard_under(const std::string& uid, const HashKeys& keys) { return hash_uid(uid, keys) % 64; }

// Up to `want` uids made by `make` that all land in shard 0 under seed A: what an attacker who knew the seed could
// build offline. Bounded: 64 * want * 4 candidates at most (each candidate lands there with probability 1/64).
template <class Make>
std::vector<std::string> crowding_shard_zero(Make make, std::size_t want) {
  std::vector<std::string> found;
  for (std::uint64_t n = 0; n < 64 * want * 4 && found.size() < want; ++n) {
    std::string uid = make(n);
    if (shard_under(uid, seed_a) == 0) found.push_back(std::move(uid));
  }
  return found;
}

TEST(UidHashSeed, TheSameUidsHashDifferentlyUnderTwoSeeds) {
  std::vector<std::string> uids = {"", "a", std::string(1, 'a') + '\0', "0123abcd-4567-89ef-0123-456789abcdef",
                                   "0123ABCD-4567-89EF-0123-456789ABCDEF", std::string(64, 'z')};
  for (std::uint64_t n = 0; n < 2000; ++n) uids.push_back(n % 2 ? uuid_of(n) : other_of(n));
  std::set<std::uint64_t> under_a;
  for (const std::string& uid : uids) {
    EXPECT_NE(hash_uid(uid, seed_a), hash_uid(uid, seed_b)) << uid;
    EXPECT_EQ(hash_uid(uid, seed_a), hash_uid(uid, seed_a)) << "a seed's hash is a function of the uid";
    under_a.insert(hash_uid(uid, seed_a));
  }
  EXPECT_EQ(under_a.size(), uids.size()) << "distinct uids, distinct 64-bit hashes (\"a\" and \"a\\0\" included)";
}

TEST(UidHashSeed, KeysThatCrowdOneShardUnderSeedASpreadUnderSeedB) {
  const std::size_t want = 256;
  for (const auto& crowd : {crowding_shard_zero(uuid_of, want), crowding_shard_zero(other_of, want)}) {
    ASSERT_EQ(crowd.size(), want) << "the bounded search found its collisions";
    std::vector<std::size_t> per_shard(64);
    for (const std::string& uid : crowd) {
      ASSERT_EQ(shard_under(uid, seed_a), 0u);
      ++per_shard[shard_under(uid, seed_b)];
    }
    // 4 per shard on average; a crowd that stayed together would put 256 in one.
    const std::size_t fullest = *std::max_element(per_shard.begin(), per_shard.end());
    const auto used = static_cast<std::size_t>(
        std::count_if(per_shard.begin(), per_shard.end(), [](std::size_t c) { return c > 0; }));
    EXPECT_LE(fullest, 16u) << crowd[0];
    EXPECT_GE(used, 48u) << crowd[0];
  }
}

// Whatever the seed, uids that differ only in their last characters (a counter: the generator's sequential uuids,
// "tx-<n>") spread over the 64 shards and the top 8 bits (a table's region): bounds at ~6 standard deviations,
// for 64 fixed seeds (before the finishing mix, 1 key in ~70 put a shard 35 % off its share).
TEST(UidHashSeed, SequentialUidsSpreadUnderEverySeed) {
  for (std::uint64_t seed = 0; seed < 64; ++seed) {
    const HashKeys keys = hash_keys_from_seed(seed);
    for (bool uuids : {true, false}) {
      std::vector<std::size_t> shards(64), regions(256);
      const std::size_t count = 32768;
      for (std::uint64_t i = 0; i < count; ++i) {
        char text[40];
        if (uuids) {
          std::snprintf(text, sizeof text, "00000000-0000-4000-8000-%012llx", static_cast<unsigned long long>(i));
        } else {
          std::snprintf(text, sizeof text, "tx-%llu", static_cast<unsigned long long>(i));
        }
        const std::uint64_t h = hash_uid(text, keys);
        ++shards[h % 64];
        ++regions[h >> 56];
      }
      for (std::size_t c : shards) ASSERT_NEAR(c, count / 64.0, 6 * std::sqrt(count / 64.0)) << seed << uuids;
      for (std::size_t c : regions) ASSERT_NEAR(c, count / 256.0, 6 * std::sqrt(count / 256.0)) << seed << uuids;
    }
  }
}

TEST(UidHashSeed, AFullTagCollisionUnderSeedAIsNoneUnderSeedB) {
  // Same shard and same 32-bit tag (38 bits) under seed A: only candidates in shard 0 are kept, then a birthday
  // search on the tag among them (~2^16 kept, ~2^22 hashed, expected).
  for (bool uuids : {true, false}) {
    std::unordered_map<std::uint64_t, std::string> seen;
    std::string first, second;
    for (std::uint64_t n = 0; n < 64'000'000 && second.empty(); ++n) {
      std::string uid = uuids ? uuid_of(n) : "k" + std::to_string(n);
      const std::uint64_t h = hash_uid(uid, seed_a);
      if (h % 64 != 0) continue;
      const auto [it, inserted] = seen.try_emplace(h >> 32, uid);
      if (!inserted) first = it->second, second = std::move(uid);
    }
    ASSERT_FALSE(second.empty()) << "no colliding pair in 64M candidates";
    ASSERT_EQ(hash_uid(first, seed_a) >> 32, hash_uid(second, seed_a) >> 32);
    ASSERT_EQ(hash_uid(first, seed_a) % 64, hash_uid(second, seed_a) % 64);
    const std::uint64_t a = hash_uid(first, seed_b), b = hash_uid(second, seed_b);
    EXPECT_NE((a >> 32) << 6 | (a & 63), (b >> 32) << 6 | (b & 63)) << first << " / " << second;
  }
}

TEST(UidHashSeed, TheProcessSeedIsRandomAndStable) {
  const HashKeys& keys = process_hash_keys();
  EXPECT_EQ(&keys, &process_hash_keys());
  EXPECT_EQ(hash_uid("stable"), hash_uid("stable"));
  EXPECT_EQ(TxIndex::hash_of("stable").value, hash_uid("stable", keys));
  // Two draws agree with probability 2^-64.
  EXPECT_NE(random_hash_seed(), random_hash_seed());
  EXPECT_NE(hash_uid("stable"), hash_uid("stable", hash_keys_from_seed(0)));
  std::set<std::uint64_t> distinct(std::begin(keys.word), std::end(keys.word));
  EXPECT_EQ(distinct.size(), 6u);
}

// Under the running process's keys: uids that all share a shard and the top 8 bits of their tag (so they probe
// one run of the shard's table), of both hash paths, and near misses of each. Every one is found by its own uid
// with its own record; the near misses are not found.
TEST(UidHashSeed, LookupsAreExactForUidsCrowdingOneProbeRun) {
  std::vector<std::string> crowd;
  const auto crowds = [](const std::string& uid) {
    const std::uint64_t h = TxIndex::hash_of(uid).value;
    return h % 64 == 5 && h >> 56 == 0x55;
  };
  for (std::uint64_t n = 0; n < 6'000'000 && crowd.size() < 96; ++n) {
    std::string uid = n % 2 ? uuid_of(n) : other_of(n);
    if (crowds(uid)) crowd.push_back(std::move(uid));
  }
  ASSERT_GE(crowd.size(), 64u) << "the bounded search found a crowd";
  TxIndex index;
  for (std::size_t i = 0; i < crowd.size(); ++i) {
    const TransactionApplied record{crowd[i], static_cast<UserId>(1 + i), TxKind::deposit,
                                    static_cast<MinorUnits>(100 + i), 1000, false, {}, 0};
    if (i % 2) {
      ASSERT_TRUE(index.restore(record));
    } else {
      ASSERT_EQ(index.claim(crowd[i], [] { return [] {}; }).result, TxIndex::ClaimResult::claimed);
      index.commit(record);
    }
  }
  ASSERT_EQ(index.size(), crowd.size());
  for (std::size_t i = 0; i < crowd.size(); ++i) {
    const auto got = index.find_committed(crowd[i]);
    ASSERT_TRUE(got.has_value()) << crowd[i];
    EXPECT_EQ(got->uid, crowd[i]);
    EXPECT_EQ(got->amount, static_cast<MinorUnits>(100 + i));
    std::string near = crowd[i];
    near.back() = near.back() == '0' ? '1' : '0';
    if (std::find(crowd.begin(), crowd.end(), near) == crowd.end()) {
      EXPECT_FALSE(index.find_committed(near).has_value()) << near;
    }
  }
}

}  // namespace
