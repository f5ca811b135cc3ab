// parse_feed_page: the JSON is parsed once (nlohmann) for the fields, and each element's exact text is cut out of
// the body by a scanner that follows strings and nesting, so what is published is what tallyd wrote. That the cut
// matches the parse is checked by count and by each text starting with its event's seq (tallyd writes seq first).
#include "relay/feed_page.hpp"

#include <nlohmann/json.hpp>

namespace tally::relay {
namespace {

// The end (one past) of the JSON value starting at body[at] ('{' or '['); npos if it does not end.
std::size_t value_end(std::string_view body, std::size_t at) {
  int depth = 0;
  bool in_string = false;
  for (std::size_t i = at; i < body.size(); ++i) {
    const char c = body[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      if (--depth == 0) return i + 1;
    }
  }
  return std::string_view::npos;
}

// The texts of the elements of the array value starting at body[at] == '['.
bool split_array(std::string_view body, std::size_t at, std::vector<std::string_view>& out) {
  std::size_t i = at + 1;
  while (i < body.size()) {
    while (i < body.size() && (body[i] == ' ' || body[i] == ',' || body[i] == '\n')) ++i;
    if (i < body.size() && body[i] == ']') return true;
    if (i >= body.size() || body[i] != '{') return false;
    const std::size_t end = value_end(body, i);
    if (end == std::string_view::npos) return false;
    out.push_back(body.substr(i, end - i));
    i = end;
  }
  return false;
}

}  // namespace

std::optional<FeedPage> parse_feed_page(std::string_view body, std::string& error) {
  const nlohmann::json doc = nlohmann::json::parse(body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("events") || !doc["events"].is_array() ||
      !doc.contains("last") || !doc["last"].is_number_unsigned()) {
    error = "not an events page: " + std::string(body.substr(0, 200));
    return std::nullopt;
  }
  const std::size_t array = body.find("\"events\":[");
  std::vector<std::string_view> texts;
  if (array == std::string_view::npos || !split_array(body, array + 9, texts) ||
      texts.size() != doc["events"].size()) {
    error = "cannot find the events' text in the page";
    return std::nullopt;
  }
  FeedPage page;
  page.last = doc["last"].get<std::uint64_t>();
  for (std::size_t k = 0; k < texts.size(); ++k) {
    const nlohmann::json& event = doc["events"][k];
    if (!event.is_object() || !event.contains("seq") || !event["seq"].is_number_unsigned() ||
        !event.contains("type") || !event["type"].is_string() || !event.contains("shard") ||
        !event["shard"].is_number_unsigned() || texts[k].find("\"seq\":" + std::to_string(event["seq"].get<std::uint64_t>()) + ",") != 1) {
      error = "event " + std::to_string(k) + " of the page is malformed";
      return std::nullopt;
    }
    RawEvent raw{std::string(texts[k]), event["shard"].get<int>(), event["seq"].get<std::uint64_t>(),
                 event["type"].get<std::string>()};
    if (!page.events.empty() && raw.seq <= page.events.back().seq) {
      error = "seqs do not ascend in the page";
      return std::nullopt;
    }
    page.events.push_back(std::move(raw));
  }
  return page;
}

}  // namespace tally::relay
