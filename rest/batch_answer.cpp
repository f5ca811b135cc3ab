// BatchAnswer's collecting side: the arena the ledger's items are copied into, the strings of the items that come
// whole (refusals, items relayed from other shards), and the answer the last item sends, in position order.
// (Rendering a ledger result into an item is routes.cpp's BatchAnswer::item_done, beside the outcome's errors.)
#include <algorithm>
#include <cstdint>
#include <cstring>

#include "ledger/assert.hpp"
#include "rest/routes.hpp"

namespace tally::rest {

namespace {
// The arena's size per item: an applied item's answer with a uuid uid and a fractional timestamp (~190 bytes)
// with room to spare; longer ones (409s carrying the existing transaction, 64-byte uids) may spend it, and the
// items placed after that get a string of their own.
constexpr std::size_t batch_arena_bytes_per_item = 256;
}  // namespace

BatchAnswer::BatchAnswer(ResponderPtr r, std::size_t n)
    : responder(std::move(r)),
      placed_(n),
      own_(n),
      arena_bytes_(std::min<std::size_t>(n * batch_arena_bytes_per_item, UINT32_MAX)),
      arena_(new char[arena_bytes_]),  // not zeroed: only the bytes placed are read
      remaining_(n) {}

void BatchAnswer::finish_one() {
  const std::size_t before = remaining_.fetch_sub(1, std::memory_order_acq_rel);
  TALLY_ASSERT(before > 0, "no more results than items");
  if (before != 1) return;
  std::string body;
  std::size_t total = 2;
  for (std::size_t i = 0; i < placed_.size(); ++i) total += (placed_[i].bytes != 0 ? placed_[i].bytes : own_[i].size()) + 1;
  body.reserve(total);
  body.push_back('[');
  for (std::size_t i = 0; i < placed_.size(); ++i) {
    if (i) body.push_back(',');
    if (placed_[i].bytes != 0) {
      body.append(arena_.get() + placed_[i].offset, placed_[i].bytes);
    } else {
      body += own_[i];
    }
  }
  body.push_back(']');
  responder->send(200, body);
}

void BatchAnswer::place(std::size_t index, std::string_view json) {
  TALLY_ASSERT(index < placed_.size() && placed_[index].bytes == 0 && own_[index].empty() && !json.empty(),
               "each batch position is answered once");
  const std::size_t offset = arena_used_.fetch_add(json.size(), std::memory_order_relaxed);
  if (offset + json.size() <= arena_bytes_) {
    std::memcpy(arena_.get() + offset, json.data(), json.size());
    placed_[index] = Placed{static_cast<std::uint32_t>(offset), static_cast<std::uint32_t>(json.size())};
  } else {
    own_[index].assign(json.data(), json.size());  // the arena is spent (long items): a string of its own
  }
  finish_one();
}

void BatchAnswer::item_json(std::size_t index, std::string json) {
  TALLY_ASSERT(index < placed_.size() && placed_[index].bytes == 0 && own_[index].empty() && !json.empty(),
               "each batch position is answered once");
  own_[index] = std::move(json);
  finish_one();
}

}  // namespace tally::rest
