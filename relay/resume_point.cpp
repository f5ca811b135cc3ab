// Resume intents: their text form ("<first> <count> <after> <prev_stream_seq>") and their check against the stream.
#include "relay/resume_point.hpp"

#include <charconv>

namespace tally::relay {
namespace {

std::string msg_id(int shard, std::uint64_t seq) { return std::to_string(shard) + "-" + std::to_string(seq); }

bool read_number(std::string_view& text, std::uint64_t& out) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  if (ec != std::errc() || end == text.data()) return false;
  text.remove_prefix(static_cast<std::size_t>(end - text.data()));
  return true;
}

}  // namespace

std::string encode_intent(const ResumeIntent& intent) {
  return std::to_string(intent.first) + " " + std::to_string(intent.count) + " " + std::to_string(intent.after) +
         " " + std::to_string(intent.prev_stream_seq);
}

std::optional<ResumeIntent> parse_intent(std::string_view text) {
  ResumeIntent intent;
  std::uint64_t* fields[] = {&intent.first, &intent.count, &intent.after, &intent.prev_stream_seq};
  for (std::size_t k = 0; k < 4; ++k) {
    if (k > 0) {
      if (text.empty() || text.front() != ' ') return std::nullopt;
      text.remove_prefix(1);
    }
    if (!read_number(text, *fields[k])) return std::nullopt;
  }
  if (!text.empty() || intent.first == 0 || intent.count == 0) return std::nullopt;
  return intent;
}

Resolved resolve_intent(const ResumeIntent& intent, int shard, const ReadMsgId& read, ShardTail& out,
                        std::string& error) {
  std::string id;
  // held(j): the page's j-th event (1-based) is at after + j. The stored part of a page is a prefix.
  auto held = [&](std::uint64_t j, bool& ok) {
    ok = read(intent.after + j, id, error);
    return ok && id == msg_id(shard, intent.first + j - 1);
  };
  bool ok = true;
  std::uint64_t low = 0, high = intent.count;  // the page's stored prefix has a length in [low, high]
  while (low < high) {
    const std::uint64_t mid = low + (high - low + 1) / 2;
    if (held(mid, ok)) low = mid;
    else if (!ok) return Resolved::failed;
    else high = mid - 1;
  }
  if (low > 0) {
    out = {intent.first + low - 1, intent.after + low};
    return Resolved::found;
  }
  if (intent.first == 1) {  // the page was the shard's first, and none of it landed
    out = {0, 0};
    return Resolved::found;
  }
  if (intent.prev_stream_seq == 0) return Resolved::unverifiable;
  if (!read(intent.prev_stream_seq, id, error)) return Resolved::failed;
  if (id != msg_id(shard, intent.first - 1)) return Resolved::unverifiable;
  out = {intent.first - 1, intent.prev_stream_seq};
  return Resolved::found;
}

}  // namespace tally::relay
