// parse_feed_page: one pass over the body with a small JSON scanner that follows strings and nesting: the top-level
// members "events" and "last", each event's exact text (what is published is what tallyd wrote) and, from the
// event's own top-level members, seq, type and shard. No document tree is built and nothing is copied: at the
// relay's rate a DOM parse and its allocations were most of the relay's CPU (docs/notifications.md, "Cost on the
// write path, and the relay's rate").
// Each byte is looked at once; inside strings memchr jumps from quote to quote.
#include "relay/feed_page.hpp"

#include <cctype>
#include <cstring>

namespace tally::relay {
namespace {

std::size_t skip_space(std::string_view s, std::size_t i) {
  while (i < s.size() && (s[i] == ' ' || s[i] == '\n' || s[i] == '\r' || s[i] == '\t')) ++i;
  return i;
}

// The closing quote of the string opening at s[at]; npos if it does not close. memchr finds each candidate quote
// (most of an event's bytes are inside strings); one after an odd number of backslashes is escaped.
std::size_t string_end(std::string_view s, std::size_t at) {
  for (std::size_t from = at + 1; from < s.size();) {
    const void* hit = std::memchr(s.data() + from, '"', s.size() - from);
    if (hit == nullptr) return std::string_view::npos;
    const std::size_t quote = static_cast<std::size_t>(static_cast<const char*>(hit) - s.data());
    std::size_t backslashes = 0;
    while (quote - backslashes > at + 1 && s[quote - backslashes - 1] == '\\') ++backslashes;
    if (backslashes % 2 == 0) return quote;
    from = quote + 1;
  }
  return std::string_view::npos;
}

// One past the end of the JSON value starting at s[at]; npos if it does not end or is not a value.
std::size_t value_end(std::string_view s, std::size_t at) {
  if (at >= s.size()) return std::string_view::npos;
  const char first = s[at];
  if (first != '{' && first != '[' && first != '"') {  // number or literal
    std::size_t i = at;
    while (i < s.size() && (std::isalnum(static_cast<unsigned char>(s[i])) || s[i] == '-' || s[i] == '+' ||
                            s[i] == '.'))
      ++i;
    return i == at ? std::string_view::npos : i;
  }
  int depth = 0;
  for (std::size_t i = at; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '"') {
      i = string_end(s, i);
      if (i == std::string_view::npos) return i;
      if (depth == 0) return i + 1;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if ((c == '}' || c == ']') && --depth == 0) {
      return i + 1;
    }
  }
  return std::string_view::npos;
}

// Reads the object at s[at] in place: for each member, read_value(key, where) reads the value starting at s[where]
// and returns one past its end (npos: refused). One past the object's '}'; npos if it is not an object.
template <typename F>
std::size_t object_end(std::string_view s, std::size_t at, F&& read_value) {
  constexpr std::size_t npos = std::string_view::npos;
  if (at >= s.size() || s[at] != '{') return npos;
  std::size_t i = skip_space(s, at + 1);
  if (i < s.size() && s[i] == '}') return i + 1;
  while (i < s.size()) {
    if (s[i] != '"') return npos;
    const std::size_t key_end = string_end(s, i);
    if (key_end == npos) return npos;
    const std::string_view key = s.substr(i + 1, key_end - i - 1);
    i = skip_space(s, key_end + 1);
    if (i >= s.size() || s[i] != ':') return npos;
    const std::size_t end = read_value(key, skip_space(s, i + 1));
    if (end == npos) return npos;
    i = skip_space(s, end);
    if (i < s.size() && s[i] == '}') return i + 1;
    if (i >= s.size() || s[i] != ',') return npos;
    i = skip_space(s, i + 1);
  }
  return npos;
}

bool read_unsigned(std::string_view text, std::uint64_t& out) {
  if (text.empty() || text.size() > 19) return false;
  out = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return false;
    out = out * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return true;
}

// The event object at s[at]: its text, and seq, type (a string without escapes) and shard, all required. One past
// its end; npos if it is not such an event. Each byte is looked at once (nested values are skipped, not read).
std::size_t read_event(std::string_view s, std::size_t at, RawEvent& out) {
  bool seq = false, type = false, shard = false;
  const std::size_t end = object_end(s, at, [&](std::string_view key, std::size_t where) {
    const std::size_t value_stop = value_end(s, where);
    if (value_stop == std::string_view::npos) return value_stop;
    const std::string_view value = s.substr(where, value_stop - where);
    std::uint64_t n = 0;
    if (key == "seq") {
      seq = read_unsigned(value, out.seq);
    } else if (key == "shard") {
      shard = read_unsigned(value, n) && n <= 0xffff;
      out.shard = static_cast<int>(n);
    } else if (key == "type") {
      type = value.size() >= 2 && value.front() == '"' && value.find('\\') == std::string_view::npos;
      if (type) out.type = value.substr(1, value.size() - 2);
    }
    return value_stop;
  });
  if (end == std::string_view::npos || !seq || !type || !shard) return std::string_view::npos;
  out.json = s.substr(at, end - at);
  return end;
}

// The array of events at s[at] ('['): one past its ']', npos (with `error`) if an event is malformed, seqs do not
// ascend, or it is not such an array.
std::size_t read_events(std::string_view s, std::size_t at, std::vector<RawEvent>& out, std::string& error) {
  std::size_t i = skip_space(s, at + 1);
  if (i < s.size() && s[i] == ']') return i + 1;
  while (i < s.size()) {
    RawEvent event;
    const std::size_t end = read_event(s, i, event);
    if (end == std::string_view::npos) {
      error = "event " + std::to_string(out.size()) + " of the page is malformed";
      return end;
    }
    if (!out.empty() && event.seq <= out.back().seq) {
      error = "seqs do not ascend in the page";
      return std::string_view::npos;
    }
    out.push_back(event);
    i = skip_space(s, end);
    if (i < s.size() && s[i] == ']') return i + 1;
    if (i >= s.size() || s[i] != ',') break;
    i = skip_space(s, i + 1);
  }
  error = "the page's events are not a JSON array";
  return std::string_view::npos;
}

}  // namespace

std::optional<FeedPage> parse_feed_page(std::string_view body, std::string& error) {
  const std::size_t start = skip_space(body, 0);
  std::size_t end = body.size();
  while (end > start && skip_space(body, end - 1) == end) --end;
  const std::string_view page_text = body.substr(0, end);
  FeedPage page;
  bool has_events = false, has_last = false, events_ok = true;
  const std::size_t object = object_end(page_text, start, [&](std::string_view key, std::size_t where) {
    if (key == "events") {
      has_events = where < page_text.size() && page_text[where] == '[';
      const std::size_t stop = has_events ? read_events(page_text, where, page.events, error) : std::string_view::npos;
      events_ok = has_events && stop != std::string_view::npos;
      return stop;
    }
    const std::size_t stop = value_end(page_text, where);
    if (key == "last" && stop != std::string_view::npos)
      has_last = read_unsigned(page_text.substr(where, stop - where), page.last);
    return stop;
  });
  if (!events_ok) return std::nullopt;  // read_events said why
  if (object != end || !has_events || !has_last) {
    error = "not an events page: " + std::string(body.substr(0, 200));
    return std::nullopt;
  }
  return page;
}

}  // namespace tally::relay
