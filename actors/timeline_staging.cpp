// TimelineStaging: collect by bucket of users in log order, then group one bucket at a time by a counting pass
// and order each user's entries by timestamp (stable, so log order breaks ties).
#include "actors/timeline_staging.hpp"

#include <algorithm>

#include "actors/tx_index_entry.hpp"
#include "ledger/assert.hpp"
#include "ledger/limits.hpp"

namespace tally {

namespace {
// Most users hold a few entries: an insertion sort (stable) beats std::stable_sort's buffer for them.
constexpr std::size_t insertion_sort_max = 32;
}  // namespace

void TimelineStaging::add(UserId user, UtcMicros at, Entry entry) {
  const auto address = reinterpret_cast<std::uintptr_t>(entry);
  TALLY_ASSERT(user < limits::users_max && address >> address_bits == 0, "a staged user id and address fit");
  TALLY_ASSERT(tx_index_detail::entry_at(entry) == at, "a staged timestamp is its entry's");
  const std::size_t bucket = user >> users_per_bucket_log2;
  if (bucket >= buckets_.size()) buckets_.resize(bucket + 1);
  buckets_[bucket].push_back(Staged{at, address | (std::uint64_t{user % users_per_bucket} << address_bits)});
  ++size_;
}

void TimelineStaging::clear() {
  buckets_ = std::vector<std::vector<Staged>>();
  size_ = 0;
}

void TimelineStaging::group(std::size_t bucket, std::vector<Staged>& order, std::vector<std::uint32_t>& starts) const {
  const std::vector<Staged>& staged = buckets_[bucket];
  TALLY_ASSERT(staged.size() < UINT32_MAX, "a bucket's positions fit 32 bits");
  starts.assign(users_per_bucket + 1, 0);
  for (const Staged& s : staged) ++starts[(s.key >> address_bits) + 1];
  for (std::size_t u = 0; u < users_per_bucket; ++u) starts[u + 1] += starts[u];
  std::vector<std::uint32_t> next(starts.begin(), starts.end() - 1);
  order.resize(staged.size());
  for (const Staged& s : staged) order[next[s.key >> address_bits]++] = s;  // log order kept per user
  auto earlier = [](const Staged& a, const Staged& b) { return a.at < b.at; };
  for (std::size_t u = 0; u < users_per_bucket; ++u) {
    Staged* begin = order.data() + starts[u];
    Staged* end = order.data() + starts[u + 1];
    if (static_cast<std::size_t>(end - begin) > insertion_sort_max) {
      std::stable_sort(begin, end, earlier);
      continue;
    }
    for (Staged* i = begin + 1; i < end; ++i) {  // stable: moves an entry only past later-stamped ones
      const Staged moving = *i;
      Staged* j = i;
      for (; j > begin && moving.at < (j - 1)->at; --j) *j = *(j - 1);
      *j = moving;
    }
  }
}

}  // namespace tally
