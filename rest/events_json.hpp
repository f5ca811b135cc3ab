// The JSON of change-feed events (docs/notifications.md, rest/openapi.json's Event schemas): the one encoding
// /v1/events, /v1/events/stream and, byte for byte, the relay's NATS messages carry.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "feed/event.hpp"

namespace tally::rest {

// {"seq":7,"type":"transaction.applied","time":"…Z","shard":0,"user_id":1,…}
void append_event(std::string& out, const feed::Event& event, int shard);
// {"events":[…],"last":SEQ}
std::string events_page(const std::vector<feed::Event>& events, std::uint64_t last, int shard);

}  // namespace tally::rest
