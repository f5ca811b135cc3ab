// TimelineStaging: collect in log order, then group one part's users by a counting pass and order each user's
// entries by timestamp (stable, so log order breaks ties).
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

void TimelineStaging::add(UserId user, Entry entry) {
  TALLY_ASSERT(user < limits::users_max && entries_.size() < UINT32_MAX, "a staged user id and count fit 32 bits");
  entries_.push_back(entry);
  users_.push_back(static_cast<std::uint32_t>(user));
  max_user_ = std::max(max_user_, user);
}

void TimelineStaging::reserve(std::size_t entries) {
  entries_.reserve(entries);
  users_.reserve(entries);
}

void TimelineStaging::clear() {
  entries_ = std::vector<Entry>();
  users_ = std::vector<std::uint32_t>();
  max_user_ = 0;
}

TimelineStaging::Part TimelineStaging::group(std::size_t part, std::size_t parts) const {
  TALLY_ASSERT(parts > 0 && part < parts, "a part of the users");
  Part mine;
  const UserId users_end = max_user_ + 1;
  mine.first_user = users_end * part / parts;
  mine.end_user = users_end * (part + 1) / parts;
  const std::size_t span = mine.end_user - mine.first_user;
  mine.starts.assign(span + 1, 0);
  const std::size_t n = entries_.size();
  for (std::size_t k = 0; k < n; ++k) {
    const UserId user = users_[k];
    if (user >= mine.first_user && user < mine.end_user) ++mine.starts[user - mine.first_user + 1];
  }
  for (std::size_t u = 0; u < span; ++u) mine.starts[u + 1] += mine.starts[u];
  std::vector<std::uint32_t> next(mine.starts.begin(), mine.starts.end() - 1);
  mine.order.resize(mine.starts[span]);
  // In log order: each arena shard's entries are read in the order they were written.
  for (std::size_t k = 0; k < n; ++k) {
    const UserId user = users_[k];
    if (user < mine.first_user || user >= mine.end_user) continue;
    mine.order[next[user - mine.first_user]++] = Timed{tx_index_detail::entry_at(entries_[k]), entries_[k]};
  }
  auto earlier = [](const Timed& a, const Timed& b) { return a.at < b.at; };
  for (std::size_t u = 0; u < span; ++u) {
    Timed* begin = mine.order.data() + mine.starts[u];
    Timed* end = mine.order.data() + mine.starts[u + 1];
    if (static_cast<std::size_t>(end - begin) > insertion_sort_max) {
      std::stable_sort(begin, end, earlier);
      continue;
    }
    for (Timed* i = begin + 1; i < end; ++i) {  // stable: moves an entry only past later-stamped ones
      const Timed moving = *i;
      Timed* j = i;
      for (; j > begin && moving.at < (j - 1)->at; --j) *j = *(j - 1);
      *j = moving;
    }
  }
  return mine;
}

}  // namespace tally
