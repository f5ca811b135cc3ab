// Where a shard's events end in the stream, found exactly without reading the stream back: before each page the
// relay records its intent in a JetStream key-value bucket (one key per shard), then publishes the page chained on
// the stream's last sequence. A page's k-th message, if stored, is at stream sequence after+1+k and nowhere else
// (relay/jetstream.hpp), so the stream itself says how much of the last page landed: a few message reads
// (docs/notifications.md, "Where the relay resumes").
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace tally::relay {

// The page [first, first + count) of one shard, published when the stream ended at `after`. Every event of the
// shard before `first` was in the stream then; the one before it (first - 1) at prev_stream_seq (0: not known).
struct ResumeIntent {
  std::uint64_t first = 0, count = 0, after = 0, prev_stream_seq = 0;
};

std::string encode_intent(const ResumeIntent& intent);
// nullopt for anything encode_intent did not write.
std::optional<ResumeIntent> parse_intent(std::string_view text);

// The shard's newest event in the stream and where it is.
struct ShardTail {
  std::uint64_t seq = 0, stream_seq = 0;
};

// What the stream holds at a sequence: the message id, "" for no message (deleted, or past its end); false: the
// stream could not be read (error set).
using ReadMsgId = std::function<bool(std::uint64_t stream_seq, std::string& id, std::string& error)>;

enum class Resolved { found, unverifiable, failed };

// Checks the intent against the stream: the longest prefix of the page it holds (a binary search over the
// page's places: at most ~log2(count) + 2 reads). unverifiable: the stream does not hold what the intent says
// came before the page (purged, or another stream): the caller falls back to reading the stream back.
Resolved resolve_intent(const ResumeIntent& intent, int shard, const ReadMsgId& read, ShardTail& out,
                        std::string& error);

}  // namespace tally::relay
