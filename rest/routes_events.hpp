// The change feed's endpoints (docs/notifications.md) and PATCH /v1/user/{id}, which makes user.updated events:
// GET /v1/events (a page, or a long-poll), GET /v1/events/stream (Server-Sent Events). Parsing and answering
// here; waiting readers are the EventsDispatcher's.
#pragma once

#include <string_view>

#include "ledger/ledger_api.hpp"
#include "rest/events_dispatcher.hpp"
#include "rest/http_request.hpp"
#include "rest/responder.hpp"

namespace tally::rest {

// The query of a feed read: after, limit, wait, types, user_id (and, for a stream, the Last-Event-ID header,
// which wins over after=). No error, or the 422 that names the bad parameter.
ApiError parse_events_query(const HttpRequest& request, bool stream, EventsQuery& out);

void get_events(EventsDispatcher* events, const HttpRequest& request, ResponderPtr responder);
void get_events_stream(EventsDispatcher* events, const HttpRequest& request, ResponderPtr responder);
// `client`: the API client's name from the request's key ("" in open mode), stored in the update record.
void patch_user(LedgerApi& ledger, std::string_view id_text, const HttpRequest& request, std::string client,
                ResponderPtr responder);

}  // namespace tally::rest
