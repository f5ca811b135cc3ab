// history_page: one page of the listing from a user's TxTimeline. The first position is the later of "the first
// transaction stamped at or after `from`" and the cursor's position; the page then walks on until it holds
// `limit` transactions or passes `to`, and one more step tells whether a next page exists (and where it starts).
#include <algorithm>
#include <cstdint>

#include "actors/tx_index_entry.hpp"
#include "actors/tx_timeline.hpp"

namespace tally {

namespace {

// The position a cursor names: its timestamp's first transaction plus its skip, never past that timestamp's last
// (a skip larger than the transactions stamped there can only come from a hand-made cursor).
std::size_t position_of(const TxTimeline& timeline, const HistoryPosition& after) {
  const std::size_t first = timeline.count_before(after.at);
  const std::size_t past = after.at == INT64_MAX ? timeline.size() : timeline.count_before(after.at + 1);
  return first + static_cast<std::size_t>(std::min<std::uint64_t>(after.skip, past - first));
}

}  // namespace

HistoryPage history_page(const TxTimeline& timeline, const HistoryQuery& query) {
  HistoryPage page;
  if (query.limit == 0 || query.from > query.to) return page;
  std::size_t position = timeline.count_before(query.from);
  if (query.after) position = std::max(position, position_of(timeline, *query.after));
  if (position >= timeline.size()) return page;
  page.items.reserve(std::min(query.limit, timeline.size() - position));
  timeline.walk_from(position, [&](TxTimeline::Entry entry, MinorUnits balance) {
    const UtcMicros at = tx_index_detail::entry_at(entry);
    if (at > query.to) return false;
    if (page.items.size() == query.limit) {
      page.next = HistoryPosition{at, position - timeline.count_before(at)};
      return false;
    }
    page.items.push_back(HistoryItem{tx_index_detail::read_entry(entry), balance});
    ++position;
    return true;
  });
  return page;
}

}  // namespace tally
