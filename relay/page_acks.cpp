// PageAcks: a seq is found by binary search in the page's ascending seqs; the prefix stops at the first event not
// known to be in the stream (pending, i.e. no answer yet, counts as not held).
#include "relay/page_acks.hpp"

#include <algorithm>

namespace tally::relay {

void PageAcks::begin(int shard, const std::vector<std::uint64_t>& seqs) {
  std::lock_guard<std::mutex> lock(mutex_);
  shard_ = shard;
  seqs_ = seqs;
  outcomes_.assign(seqs.size(), Outcome::pending);
  stream_seqs_.assign(seqs.size(), 0);
  whys_.assign(seqs.size(), std::string());
}

void PageAcks::record(int shard, std::uint64_t seq, Outcome outcome, std::uint64_t stream_seq,
                      const std::string& why) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (shard != shard_) return;
  const auto at = std::lower_bound(seqs_.begin(), seqs_.end(), seq);
  if (at == seqs_.end() || *at != seq) return;
  const auto k = static_cast<std::size_t>(at - seqs_.begin());
  outcomes_[k] = outcome;
  stream_seqs_[k] = stream_seq;
  whys_[k] = why;
}

PageAcks::Prefix PageAcks::prefix() const {
  std::lock_guard<std::mutex> lock(mutex_);
  Prefix p;
  std::size_t k = 0;
  bool duplicates = false;
  for (; k < outcomes_.size(); ++k) {
    if (outcomes_[k] == Outcome::duplicate) duplicates = true;
    else if (outcomes_[k] != Outcome::stored) break;
  }
  p.held = k;
  p.clean = k == outcomes_.size() && !duplicates;
  if (p.clean && k > 0) p.last_stream_seq = stream_seqs_[k - 1];
  if (k < outcomes_.size()) {
    p.first_problem = "seq " + std::to_string(seqs_[k]) + ": " +
                      (outcomes_[k] == Outcome::pending ? std::string("no answer") : whys_[k]);
  } else if (duplicates) {
    p.first_problem = "some were duplicates";
  }
  return p;
}

}  // namespace tally::relay
