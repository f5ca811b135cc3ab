// GET /v1/user/{id}/transactions: the history listing. Reads its parameters (limit, from, to, cursor), asks the
// user's actor for one page through LedgerApi::list_transactions, and answers
// {"transactions":[...],"next_cursor":"..."|null}, each transaction as GET /v1/transaction/{uid} shows it plus
// "balance", the balance right after it in listing order (timestamp, then arrival).
#include <charconv>
#include <string>

#include "ledger/limits.hpp"
#include "ledger/money.hpp"
#include "rest/history_cursor.hpp"
#include "rest/request_parse.hpp"
#include "rest/response_json.hpp"
#include "rest/routes.hpp"

namespace tally::rest {

namespace {

const std::string& limit_message() {
  static const std::string message = "limit must be a whole number from 1 to " +
                                     std::to_string(limits::history_page_transactions_max);
  return message;
}

ApiError parse_limit(std::string_view text, std::size_t& limit) {
  std::size_t value = 0;
  const char* end = text.data() + text.size();
  const auto [stop, error] = std::from_chars(text.data(), end, value);
  if (text.empty() || error != std::errc() || stop != end || value < 1 ||
      value > limits::history_page_transactions_max) {
    return unprocessable("invalid_limit", limit_message());
  }
  limit = value;
  return {};
}

ApiError parse_bound(std::string_view query, std::string_view name, UtcMicros& bound) {
  const std::optional<std::string_view> text = query_param(query, name);
  if (!text) return {};
  const std::optional<UtcMicros> at = parse_query_date(*text);
  if (!at) {
    const std::string field(name);
    return unprocessable("invalid_" + field,
                         field + " must be ISO 8601, e.g. 2022-05-05T00:00:00Z, within the timestamp range");
  }
  bound = *at;
  return {};
}

// The query string's parameters (the first of each name counts, as for ?date=), or the 422 they deserve.
ApiError parse_history_query(UserId user, std::string_view query, HistoryQuery& out) {
  if (const std::optional<std::string_view> limit = query_param(query, "limit")) {
    if (ApiError error = parse_limit(*limit, out.limit)) return error;
  }
  if (ApiError error = parse_bound(query, "from", out.from)) return error;
  if (ApiError error = parse_bound(query, "to", out.to)) return error;
  if (out.from > out.to) return unprocessable("invalid_range", "from must not be after to");
  if (const std::optional<std::string_view> cursor = query_param(query, "cursor")) {
    out.after = decode_history_cursor(user, *cursor);
    if (!out.after) {
      return unprocessable("invalid_cursor",
                           "cursor must be a next_cursor this user's listing answered with, unchanged");
    }
  }
  return {};
}

std::string history_json(UserId user, const HistoryPage& page) {
  std::string body;
  body.reserve(64 + 160 * page.items.size());
  body += "{\"transactions\":[";
  for (std::size_t i = 0; i < page.items.size(); ++i) {
    if (i > 0) body.push_back(',');
    append_transaction(body, page.items[i].tx);
    body.pop_back();  // the transaction object's '}': "balance" joins it
    body += ",\"balance\":\"";
    append_minor_units(body, page.items[i].balance);
    body += "\"}";
  }
  body += "],\"next_cursor\":";
  if (page.next) {
    body.push_back('"');
    body += encode_history_cursor(user, *page.next);
    body.push_back('"');
  } else {
    body += "null";
  }
  body.push_back('}');
  return body;
}

}  // namespace

void get_transactions(LedgerApi& ledger, std::string_view id_text, const HttpRequest& request,
                      ResponderPtr responder) {
  const std::optional<UserId> id = parse_user_id(id_text);
  if (!id || !ledger.balance_now(*id)) {
    send_error(*responder, {404, "user_not_found", "no such user"});
    return;
  }
  HistoryQuery query;
  if (ApiError error = parse_history_query(*id, request.query(), query)) {
    send_error(*responder, error);
    return;
  }
  const UserId user = *id;
  const bool asked = ledger.list_transactions(user, query, [responder, user](const HistoryPage& page) {
    responder->send(200, history_json(user, page));
  });
  if (!asked) send_error(*responder, {404, "user_not_found", "no such user"});
}

}  // namespace tally::rest
