// Recovery's timelines, built per user at the end instead of one insert per record while the log streams by.
// In the log's order each insert lands in a random user's cold timeline and, with dates out of order, probes
// cold index entries to find its place (the uid stage's largest cost). Here the entries are only collected (in
// log order) while the uid index is staged; at the end each user's entries are grouped (a counting pass by user),
// ordered by timestamp with log order breaking ties (a stable sort: the order TxTimeline keeps, so the listing is
// the same) and handed over in that order, so every insert is an append to a block just touched. Users split
// into parts by id range, so the parts can run on several threads at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "ledger/records.hpp"
#include "ledger/utc_time.hpp"

namespace tally {

class TimelineStaging {
 public:
  using Entry = const char*;  // a TxIndex entry (actors/tx_index_entry.hpp): its timestamp is read from it

  // One thread, log order.
  void add(UserId user, Entry entry);
  void reserve(std::size_t entries);  // about this many will be added (spares regrowing the arrays)
  std::size_t size() const { return entries_.size(); }

  // Calls insert(user, entry) for every entry of the users of part `part` of `parts` (an id range), user by
  // user in id order, each user's entries by timestamp then log order. Parts may run at once on different
  // threads (each reads the staged arrays and writes only its own scratch); none may add() meanwhile.
  template <class Insert>
  void build(std::size_t part, std::size_t parts, Insert&& insert) const {
    const Part mine = group(part, parts);
    const std::size_t count = mine.order.size();
    for (UserId user = mine.first_user; user < mine.end_user; ++user) {
      const std::uint32_t begin = mine.starts[user - mine.first_user], end = mine.starts[user - mine.first_user + 1];
      for (std::uint32_t k = begin; k < end; ++k) {
        // The insert reads its entry (timestamp, amount): a cache miss, started a few entries ahead.
        if (k + prefetch_distance < count) __builtin_prefetch(mine.order[k + prefetch_distance].entry);
        insert(user, mine.order[k].entry);
      }
    }
  }
  void clear();  // frees the staged arrays

 private:
  static constexpr std::size_t prefetch_distance = 8;
  struct Timed {
    UtcMicros at;
    Entry entry;
  };
  struct Part {
    UserId first_user = 0, end_user = 0;  // users [first_user, end_user)
    std::vector<std::uint32_t> starts;    // per user of the part, where its entries start in `order` (+ the end)
    std::vector<Timed> order;             // the part's entries, by user, then timestamp, then log order
  };
  Part group(std::size_t part, std::size_t parts) const;

  std::vector<Entry> entries_;        // log order
  std::vector<std::uint32_t> users_;  // the user of entries_[k]
  UserId max_user_ = 0;
};

}  // namespace tally
