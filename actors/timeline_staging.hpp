// Recovery's timelines, built per user at the end instead of one insert per record while the log streams by.
// In the log's order each insert lands in a random user's cold timeline and, with dates out of order, probes
// cold index entries to find its place (the uid stage's largest cost). Here the entries are only collected
// while the uid index is staged, into buckets of 4,096 consecutive user ids (in log order within a bucket); at
// the end each bucket is grouped by user (a counting pass small enough to stay in cache), each user's entries
// are ordered by timestamp with log order breaking ties (a stable sort: the order TxTimeline keeps, so the
// listing is the same) and handed over in that order, so every insert is an append to a block just touched.
// Buckets are split into parts, so the parts can run on several threads at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "ledger/records.hpp"
#include "ledger/utc_time.hpp"

namespace tally {

class TimelineStaging {
 public:
  using Entry = const char*;  // a TxIndex entry (actors/tx_index_entry.hpp)

  // One thread, log order. `at`: the entry's timestamp (the record's; checked against the entry here, while the
  // entry just written is in cache: at build it is each entry's only read, a cache miss, for a user of one leaf).
  void add(UserId user, UtcMicros at, Entry entry);
  std::size_t size() const { return size_; }

  // Calls insert_run(user, entries, count) once for every user of part `part` of `parts` (every parts-th
  // bucket) that has entries, user by user, each user's entries by timestamp then log order. Parts may run at
  // once on different threads (each reads only its own buckets); none may add() meanwhile.
  template <class InsertRun>
  void build(std::size_t part, std::size_t parts, InsertRun&& insert_run) const {
    std::vector<Staged> order;
    std::vector<std::uint32_t> starts;
    std::vector<Entry> run;
    for (std::size_t bucket = part; bucket < buckets_.size(); bucket += parts) {
      group(bucket, order, starts);
      for (std::size_t low = 0; low < users_per_bucket; ++low) {
        if (starts[low] == starts[low + 1]) continue;
        const UserId user = (static_cast<UserId>(bucket) << users_per_bucket_log2) | low;
        run.clear();
        for (std::uint32_t k = starts[low]; k < starts[low + 1]; ++k) run.push_back(entry_of(order[k]));
        insert_run(user, run.data(), run.size());
      }
    }
  }
  void clear();  // frees the staged entries

 private:
  static constexpr unsigned users_per_bucket_log2 = 12;
  static constexpr std::size_t users_per_bucket = std::size_t{1} << users_per_bucket_log2;
  static constexpr unsigned address_bits = 48;  // a user-space address; the user's low bits above it
  struct Staged {
    UtcMicros at;
    std::uint64_t key;  // entry address | (user % users_per_bucket) << address_bits
  };
  static Entry entry_of(const Staged& s) {
    // NOLINTNEXTLINE(performance-no-int-to-ptr): the address add() stored
    return reinterpret_cast<Entry>(s.key & ((std::uint64_t{1} << address_bits) - 1));
  }
  // The bucket's entries by user (starts[u]..starts[u + 1] for its u-th user), each user's by timestamp.
  void group(std::size_t bucket, std::vector<Staged>& order, std::vector<std::uint32_t>& starts) const;

  std::vector<std::vector<Staged>> buckets_;  // by user id / users_per_bucket; log order within each
  std::size_t size_ = 0;
};

}  // namespace tally
