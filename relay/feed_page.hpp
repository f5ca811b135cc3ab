// One answer of GET /v1/events as the relay needs it: each event's JSON text exactly as tallyd sent it (the NATS
// message body, byte for byte), with the shard, seq and type read from it, and `last`. The texts are views into
// the answer's body (no copy per event): the page is valid while that body is.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tally::relay {

struct RawEvent {
  std::string_view json;  // the event's object, as it appeared in the page
  int shard = 0;
  std::uint64_t seq = 0;
  std::string_view type;
};

struct FeedPage {
  std::vector<RawEvent> events;
  std::uint64_t last = 0;
};

// Views into `body`, which must outlive the page. nullopt (with `error` set) for a body that is not
// {"events":[{…},…],"last":N} with seq, type and shard in
// every event, seqs ascending.
std::optional<FeedPage> parse_feed_page(std::string_view body, std::string& error);

}  // namespace tally::relay
