// parse_feed_page: one pass over the body with a small JSON scanner that follows strings and nesting: the top-level
// members "events" and "last", each event's exact text (what is published is what tallyd wrote) and, from the
// event's own top-level members, seq, type and shard. No document tree is built: at the relay's rate a DOM parse
// and its allocations were most of the relay's CPU (docs/notifications.md, "Relay rate").
#include "relay/feed_page.hpp"

#include <cctype>

namespace tally::relay {
namespace {

std::size_t skip_space(std::string_view s, std::size_t i) {
  while (i < s.size() && (s[i] == ' ' || s[i] == '\n' || s[i] == '\r' || s[i] == '\t')) ++i;
  return i;
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
  bool in_string = false;
  for (std::size_t i = at; i < s.size(); ++i) {
    const char c = s[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"' && (in_string = false, depth == 0)) return i + 1;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if ((c == '}' || c == ']') && --depth == 0) {
      return i + 1;
    }
  }
  return std::string_view::npos;
}

// Calls f(key, value text) for each member of the object text `object` ('{' … '}'); false if it is not one.
template <typename F>
bool for_each_member(std::string_view object, F&& f) {
  if (object.empty() || object.front() != '{') return false;
  std::size_t i = skip_space(object, 1);
  if (i < object.size() && object[i] == '}') return i + 1 == object.size();
  while (i < object.size()) {
    if (object[i] != '"') return false;
    const std::size_t key_end = value_end(object, i);
    if (key_end == std::string_view::npos) return false;
    const std::string_view key = object.substr(i + 1, key_end - i - 2);
    i = skip_space(object, key_end);
    if (i >= object.size() || object[i] != ':') return false;
    i = skip_space(object, i + 1);
    const std::size_t end = value_end(object, i);
    if (end == std::string_view::npos) return false;
    f(key, object.substr(i, end - i));
    i = skip_space(object, end);
    if (i < object.size() && object[i] == '}') return i + 1 == object.size();
    if (i >= object.size() || object[i] != ',') return false;
    i = skip_space(object, i + 1);
  }
  return false;
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

// An event object: its text, and seq, type (a string without escapes) and shard, all required.
bool read_event(std::string_view text, RawEvent& out) {
  bool seq = false, type = false, shard = false;
  const bool object = for_each_member(text, [&](std::string_view key, std::string_view value) {
    std::uint64_t n = 0;
    if (key == "seq") {
      seq = read_unsigned(value, out.seq);
    } else if (key == "shard") {
      shard = read_unsigned(value, n) && n <= 0xffff;
      out.shard = static_cast<int>(n);
    } else if (key == "type") {
      type = value.size() >= 2 && value.front() == '"' && value.find('\\') == std::string_view::npos;
      if (type) out.type.assign(value.substr(1, value.size() - 2));
    }
  });
  if (!object || !seq || !type || !shard) return false;
  out.json.assign(text);
  return true;
}

bool read_events(std::string_view array, std::vector<RawEvent>& out, std::string& error) {
  std::size_t i = skip_space(array, 1);
  while (i < array.size() && array[i] != ']') {
    const std::size_t end = array[i] == '{' ? value_end(array, i) : std::string_view::npos;
    RawEvent event;
    if (end == std::string_view::npos || !read_event(array.substr(i, end - i), event)) {
      error = "event " + std::to_string(out.size()) + " of the page is malformed";
      return false;
    }
    if (!out.empty() && event.seq <= out.back().seq) {
      error = "seqs do not ascend in the page";
      return false;
    }
    out.push_back(std::move(event));
    i = skip_space(array, end);
    if (i < array.size() && array[i] == ',') i = skip_space(array, i + 1);
  }
  return true;
}

}  // namespace

std::optional<FeedPage> parse_feed_page(std::string_view body, std::string& error) {
  const std::size_t start = skip_space(body, 0);
  std::size_t end = body.size();
  while (end > start && skip_space(body, end - 1) == end) --end;
  FeedPage page;
  bool has_events = false, has_last = false, ok = true;
  const bool object = for_each_member(body.substr(start, end - start), [&](std::string_view key,
                                                                           std::string_view value) {
    if (!ok) return;
    if (key == "events") {
      has_events = !value.empty() && value.front() == '[';
      ok = has_events && read_events(value, page.events, error);
    } else if (key == "last") {
      has_last = read_unsigned(value, page.last);
    }
  });
  if (!ok) return std::nullopt;
  if (!object || !has_events || !has_last) {
    error = "not an events page: " + std::string(body.substr(0, 200));
    return std::nullopt;
  }
  return page;
}

}  // namespace tally::relay
