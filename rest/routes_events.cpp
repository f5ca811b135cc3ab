// Feed reads: every query parameter checked before the log is read (a bad one is a 422 naming it, and changes
// nothing); then the dispatcher answers, now or once events come. PATCH /v1/user/{id}: the threshold's update.
#include "rest/routes_events.hpp"

#include <string>

#include "ledger/limits.hpp"
#include "rest/request_parse.hpp"
#include "rest/response_json.hpp"
#include "rest/routes.hpp"

namespace tally::rest {
namespace {

// A decimal without sign, at most `max`; nullopt otherwise.
std::optional<std::uint64_t> parse_decimal(std::string_view text, std::uint64_t max) {
  if (text.empty() || text.size() > 20) return std::nullopt;
  std::uint64_t value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    const std::uint64_t digit = static_cast<std::uint64_t>(c - '0');
    if (value > (max - digit) / 10) return std::nullopt;
    value = value * 10 + digit;
  }
  return value;
}

ApiError parse_types(std::string_view list, feed::EventFilter& filter) {
  filter.types = 0;
  const std::string text = percent_decode(list);
  std::string_view rest = text;
  for (;;) {
    const std::size_t comma = rest.find(',');
    const std::string_view name = rest.substr(0, comma);
    const std::optional<feed::EventType> type = feed::parse_event_type(name);
    if (!type)
      return unprocessable("invalid_types", "types must be a comma-separated list of event types (user.created, "
                                            "user.updated, transaction.applied, balance.funds_available, "
                                            "balance.funds_depleted), not \"" + std::string(name) + "\"");
    filter.types |= 1u << static_cast<unsigned>(*type);
    if (comma == std::string_view::npos) return {};
    rest.remove_prefix(comma + 1);
  }
}

}  // namespace

ApiError parse_events_query(const HttpRequest& request, bool stream, EventsQuery& out) {
  const std::string_view query = request.query();
  out = EventsQuery{};
  out.limit = limits::feed_read_events_default;
  std::optional<std::string_view> after = query_param(query, "after");
  if (stream) {
    if (const std::optional<std::string_view> resume = request.header("Last-Event-ID")) after = trim_ows(*resume);
  }
  if (after) {
    const std::optional<std::uint64_t> value = parse_decimal(*after, UINT64_MAX);
    if (!value) return unprocessable("invalid_cursor", "after (or Last-Event-ID) must be a seq: a decimal integer >= 0");
    out.after = *value;
  }
  if (const std::optional<std::string_view> limit = query_param(query, "limit"); limit && !stream) {
    const std::optional<std::uint64_t> value = parse_decimal(*limit, limits::feed_read_events_max);
    if (!value || *value == 0)
      return unprocessable("invalid_limit",
                           "limit must be an integer from 1 to " + std::to_string(limits::feed_read_events_max));
    out.limit = static_cast<std::size_t>(*value);
  }
  if (const std::optional<std::string_view> wait = query_param(query, "wait"); wait && !stream) {
    const std::optional<std::uint64_t> value = parse_decimal(*wait, limits::feed_wait_seconds_max);
    if (!value)
      return unprocessable("invalid_wait", "wait must be a whole number of seconds from 0 to " +
                                               std::to_string(limits::feed_wait_seconds_max));
    out.wait_seconds = static_cast<int>(*value);
  }
  if (const std::optional<std::string_view> types = query_param(query, "types")) {
    if (ApiError error = parse_types(*types, out.filter)) return error;
  }
  if (const std::optional<std::string_view> user = query_param(query, "user_id")) {
    const std::optional<UserId> id = parse_user_id(*user);
    if (!id) return unprocessable("invalid_user_id", "user_id must be a positive integer");
    out.filter.user_id = *id;
  }
  return {};
}

void get_events(EventsDispatcher* events, const HttpRequest& request, ResponderPtr responder) {
  if (events == nullptr) return send_error(*responder, {404, "route_not_found", "this server has no change feed"});
  EventsQuery query;
  if (ApiError error = parse_events_query(request, false, query)) return send_error(*responder, error);
  events->poll(query, std::move(responder));
}

void get_events_stream(EventsDispatcher* events, const HttpRequest& request, ResponderPtr responder) {
  if (events == nullptr) return send_error(*responder, {404, "route_not_found", "this server has no change feed"});
  EventsQuery query;
  if (ApiError error = parse_events_query(request, true, query)) return send_error(*responder, error);
  events->stream(query, std::move(responder));
}

void patch_user(LedgerApi& ledger, std::string_view id_text, const HttpRequest& request, std::string client,
                ResponderPtr responder) {
  const std::optional<UserId> id = parse_user_id(id_text);
  if (!id || !ledger.find_user(*id))
    return send_error(*responder, {404, "user_not_found", "no such user"});
  UserUpdated update;
  update.user_id = *id;
  if (ApiError error = parse_user_update(request.body, update)) return send_error(*responder, error);
  update.client = std::move(client);  // who changed it (auth); "" in open mode
  ledger.update_user(update, [responder](const UserResult& result) {
    if (result.outcome == Outcome::applied) {
      std::string body;
      append_user(body, result.user);
      return responder->send(200, body);
    }
    send_outcome_error(*responder, result.outcome);
  });
}

}  // namespace tally::rest
