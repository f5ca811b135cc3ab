// Endpoint bodies. Outcome -> HTTP mapping lives here and only here, so every endpoint answers alike.
// Reads of "now" are answered on the HTTP thread from published durable state; everything else is async.
#include "rest/routes.hpp"

#include <atomic>
#include <cstdint>
#include <vector>

#include <spdlog/spdlog.h>

#include "ledger/assert.hpp"
#include "ledger/limits.hpp"
#include "rest/request_metrics.hpp"
#include "rest/request_parse.hpp"
#include "rest/response_json.hpp"
#include "rest/route_table.hpp"
#include "rest/routes_cluster.hpp"
#include "rest/routes_events.hpp"

namespace tally::rest {

namespace {

// The error a refused outcome answers with, the same for a single request and for a batch item. Together with
// the success answers (200, 201 for a new user) every outcome has its status: the switch names each one.
ApiError error_of(Outcome outcome) {
  switch (outcome) {
    case Outcome::user_not_found: return {404, "user_not_found", "no such user"};
    case Outcome::insufficient_funds:
      return {402, "insufficient_funds", "the balance would be negative at or after the transaction's timestamp"};
    case Outcome::balance_too_large:
      return {422, "balance_too_large", "the balance would exceed the largest allowed balance"};
    case Outcome::conflict: return {409, "uid_conflict", "this uid was already used for a different transaction"};
    case Outcome::too_many_users: return {503, "too_many_users", "this shard holds the maximum number of users"};
    case Outcome::storage_full:
      return {503, "storage_full", "the write-ahead log could not be written; nothing was recorded, retry later"};
    case Outcome::storage_failed:
      return {503, "storage_failed", "the server cannot persist right now; nothing was recorded"};
    case Outcome::shutting_down:
      return {503, "shutting_down", "the server cannot persist right now; nothing was recorded"};
    case Outcome::shard_unavailable:
      return {503, "shard_unavailable",
              "a shard this request needs did not answer (or its uid is being decided there); retry the same request"};
    case Outcome::record_refused:
      return {500, "internal", "the record failed the write-ahead log's own check; nothing was recorded"};
    case Outcome::applied:
    case Outcome::replayed:
      TALLY_ASSERT(false, "a success is answered with its record, not as an error");
      break;
  }
  TALLY_ASSERT(false, "an outcome outside the enumeration");
  return {500, "internal", "unexpected outcome"};
}

// Refusals a client should retry after a pause (Retry-After).
bool worth_retrying(Outcome outcome) {
  return outcome == Outcome::storage_full || outcome == Outcome::storage_failed ||
         outcome == Outcome::shutting_down || outcome == Outcome::shard_unavailable;
}

}  // namespace

void send_outcome_error(Responder& responder, Outcome outcome) {
  const ApiError error = error_of(outcome);
  std::string body;
  append_error(body, error);
  responder.send(error.status, body, worth_retrying(outcome) ? limits::http_retry_after_seconds : 0);
}

void send_error(Responder& responder, const ApiError& error) {
  std::string body;
  append_error(body, error);
  responder.send(error.status, body);
}

void create_user(LedgerApi& ledger, const HttpRequest& request, std::string client, ResponderPtr responder) {
  std::string key;
  if (request.idempotency_key) {
    if (ApiError error = check_idempotency_key(*request.idempotency_key)) {
      send_error(*responder, error);
      return;
    }
    key = *request.idempotency_key;
  }
  CreateUserRequest parsed;
  if (ApiError error = parse_create_user(request.body, parsed)) {
    send_error(*responder, error);
    return;
  }
  ledger.create_user(std::move(parsed.name), std::move(key), parsed.low_balance_threshold, std::move(client),
                     [responder](const UserResult& result) {
    std::string body;
    if (result.outcome == Outcome::applied || result.outcome == Outcome::replayed) {
      append_user(body, result.user);
      responder->send(201, body);
    } else if (result.outcome == Outcome::conflict) {
      std::string existing;
      append_user(existing, result.user);
      append_error(body, {409, "idempotency_key_conflict", "this Idempotency-Key was used with a different body"},
                   existing);
      responder->send(409, body);
    } else {
      send_outcome_error(*responder, result.outcome);
    }
  });
}

void get_user(LedgerApi& ledger, std::string_view id_text, ResponderPtr responder) {
  const std::optional<UserId> id = parse_user_id(id_text);
  const std::optional<UserView> user = id ? ledger.find_user(*id) : std::nullopt;
  if (!user) {
    send_outcome_error(*responder, Outcome::user_not_found);
    return;
  }
  std::string body;
  append_user(body, *user);
  responder->send(200, body);
}

void get_balance(LedgerApi& ledger, std::string_view id_text, const HttpRequest& request, ResponderPtr responder) {
  const std::optional<UserId> id = parse_user_id(id_text);
  const std::optional<MinorUnits> now = id ? ledger.balance_now(*id) : std::nullopt;
  if (!now) {
    send_outcome_error(*responder, Outcome::user_not_found);
    return;
  }
  // The raw value of the first date= (percent-decoded by parse_query_date), as Pistache's query map gave it.
  const std::optional<std::string_view> date_text = query_param(request.query(), "date");
  if (!date_text) {
    std::string body;
    append_balance(body, *id, *now, std::nullopt);
    responder->send(200, body);
    return;
  }
  const std::optional<UtcMicros> at = parse_query_date(*date_text);
  if (!at) {
    send_error(*responder, unprocessable("invalid_date", "date must be ISO 8601, e.g. 2022-05-05T00:00:00Z"));
    return;
  }
  const UserId user_id = *id;
  const UtcMicros when = *at;
  ledger.balance_at(user_id, when, [responder, user_id, when](MinorUnits balance) {
    std::string body;
    append_balance(body, user_id, balance, when);
    responder->send(200, body);
  });
}

namespace {
// A transaction's JSON with a uuid uid, a timestamp and a client name fits this: one allocation, not a growth
// per field.
constexpr std::size_t transaction_json_bytes_typical = 256;

void answer_transaction(Responder& responder, const TxResult& result) {
  count_transaction(responder, result);
  if (result.outcome == Outcome::applied || result.outcome == Outcome::replayed) {
    // Rendered into this thread's scratch text (its capacity kept from answer to answer: the WAL thread answers
    // every durable PUT), then copied once into the answer's own buffer by the responder.
    thread_local std::string scratch;
    scratch.clear();
    scratch.reserve(transaction_json_bytes_typical);
    append_transaction(scratch, result.record);
    responder.send(200, scratch);
    return;
  }
  std::string body;
  if (result.outcome == Outcome::conflict) {
    std::string existing;
    append_transaction(existing, result.record);
    append_error(body, error_of(Outcome::conflict), existing);
    responder.send(409, body);
  } else {
    send_outcome_error(responder, result.outcome);
  }
}
}  // namespace

void put_transaction(LedgerApi& ledger, const HttpRequest& request, std::string client, ResponderPtr responder) {
  TransactionApplied tx;
  if (ApiError error = parse_transaction(request.body, ledger.now(), tx)) {
    count_invalid_transactions(*responder, 1);
    send_error(*responder, error);
    return;
  }
  tx.client = std::move(client);
  ledger.apply(std::move(tx), [responder](const TxResult& result) { answer_transaction(*responder, result); });
}

void BatchAnswer::item_done(std::size_t index, const TxResult& result) {
  count_transaction(*responder, result);
  if (result.outcome == Outcome::applied || result.outcome == Outcome::replayed) {
    // Rendered into this thread's scratch text (its capacity kept from item to item), then placed.
    thread_local std::string item;
    item.assign("{\"status\":200,\"transaction\":");
    append_transaction(item, result.record);
    item.push_back('}');
    place(index, item);
    return;
  }
  std::string existing;
  if (result.outcome == Outcome::conflict) append_transaction(existing, result.record);
  place(index, batch_item_error(error_of(result.outcome), existing));
}

std::string batch_item_error(const ApiError& error, std::string_view existing_json) {
  std::string out = "{\"status\":" + std::to_string(error.status) + ",";
  std::string err;
  append_error(err, error, existing_json);
  out.append(err, 1, std::string::npos);  // splice {"error":...} into the item object
  return out;
}

void put_transaction_batch(LedgerApi& ledger, const HttpRequest& request, const std::string& client,
                           ResponderPtr responder) {
  std::vector<TransactionApplied> items;
  std::vector<ApiError> errors;
  if (ApiError error = parse_transaction_batch(request.body, ledger.now(), items, errors)) {
    send_error(*responder, error);
    return;
  }
  static_assert(limits::batch_transactions_max <= UINT32_MAX, "a batch position fits the ledger's uint32");
  TALLY_ASSERT(errors.size() == items.size() && items.size() <= limits::batch_transactions_max,
               "one verdict per item, at most a batch's worth");
  if (items.empty()) {
    responder->send(200, "[]");
    return;
  }
  auto answer = std::make_shared<BatchAnswer>(std::move(responder), items.size());
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (errors[i]) {
      count_invalid_transactions(*answer->responder, 1);
      answer->item_json(i, batch_item_error(errors[i]));
    }
  }
  std::vector<TransactionApplied> valid;
  std::vector<std::uint32_t> positions;
  valid.reserve(items.size());
  positions.reserve(items.size());
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (errors[i]) continue;
    items[i].client = client;
    valid.push_back(std::move(items[i]));
    positions.push_back(static_cast<std::uint32_t>(i));
  }
  if (!valid.empty()) ledger.apply_batch(std::move(valid), std::move(positions), answer);
}

void get_transaction(LedgerApi& ledger, std::string_view uid_text, ResponderPtr responder) {
  const std::string uid = percent_decode(uid_text);
  const std::optional<TransactionApplied> tx = valid_uid(uid) ? ledger.find_transaction(uid) : std::nullopt;
  if (!tx) {
    send_error(*responder, {404, "transaction_not_found", "no such transaction"});
    return;
  }
  std::string body;
  append_transaction(body, *tx);
  responder->send(200, body);
}

// ---------------------------------------------------------------------------------------------------------------
// Routing

namespace {

void not_found(Responder& responder) { send_error(responder, {404, "route_not_found", "no such route"}); }

void route(LedgerApi& ledger, ServerState& state, RequestGate& gate, const HttpRequest& request,
           const ResponderPtr& responder, shard::ClusterApi* cluster) {
  const HttpMethod method = request.method;
  const std::vector<std::string_view> parts = route_path_segments(request.path());
  const bool get = method == HttpMethod::get;
  const bool put_or_post = method == HttpMethod::put || method == HttpMethod::post;

  if (parts.size() == 1 && parts[0] == "healthz") {
    responder->set_route_label(route_label(RouteId::health));
    if (!get) return responder->method_not_allowed("GET");
    // Counts for operators and the memory benchmark; all O(1) reads.
    const LedgerCounts counts = ledger.counts();
    return responder->send(200, "{\"status\":\"ok\",\"users\":" + std::to_string(counts.users) +
                                    ",\"transactions\":" + std::to_string(counts.transactions) +
                                    ",\"live_actors\":" + std::to_string(counts.live_actors) + "}");
  }
  if (parts.size() == 1 && parts[0] == "readyz") {
    if (!get) return responder->method_not_allowed("GET");
    return answer_ready(state, *responder);
  }
  if (state.draining.load(std::memory_order_acquire)) {
    return responder->send(503, "{\"error\":{\"code\":\"shutting_down\",\"message\":\"the server is stopping\"}}",
                           limits::http_retry_after_seconds);
  }
  // 404, 405, 401 and 403 come from the route table (rest/route_table.hpp), which also answers /openapi.json,
  // /docs and /metrics; `client` is who the request's key names ("" in open mode).
  std::string client;
  if (answer_from_route_table(request, parts, responder, gate, client)) return;
  if (!parts.empty() && parts[0] == "internal") return serve_peer_route(cluster, request, responder);
  if (parts.size() < 2 || parts[0] != "v1") return not_found(*responder);
  if (cluster != nullptr && route_in_cluster(ledger, *cluster, request, parts, responder)) return;
  const std::string_view noun = parts[1];
  if (noun == "user") {
    if (parts.size() == 2) {
      if (method != HttpMethod::post) return responder->method_not_allowed("POST");
      return create_user(ledger, request, std::move(client), responder);
    }
    if (parts.size() == 3) {
      if (method == HttpMethod::patch) return patch_user(ledger, parts[2], request, std::move(client), responder);
      if (!get) return responder->method_not_allowed("GET, PATCH");
      return get_user(ledger, parts[2], responder);
    }
    if (parts.size() == 4 && parts[3] == "balance") {
      if (!get) return responder->method_not_allowed("GET");
      return get_balance(ledger, parts[2], request, responder);
    }
    if (parts.size() == 4 && parts[3] == "transactions") {
      if (!get) return responder->method_not_allowed("GET");
      return get_transactions(ledger, parts[2], request, responder);
    }
  } else if (noun == "transaction") {
    if (parts.size() == 2) {
      if (!put_or_post) return responder->method_not_allowed("PUT, POST");
      return put_transaction(ledger, request, std::move(client), responder);
    }
    if (parts.size() == 3) {
      if (!get) return responder->method_not_allowed("GET");
      return get_transaction(ledger, parts[2], responder);
    }
  } else if (noun == "events" && get && (parts.size() == 2 || (parts.size() == 3 && parts[2] == "stream"))) {
    return parts.size() == 2 ? get_events(state.events, request, responder)
                             : get_events_stream(state.events, request, responder);
  } else if (noun == "transactions" && parts.size() == 2) {
    if (!put_or_post) return responder->method_not_allowed("PUT, POST");
    return put_transaction_batch(ledger, request, client, responder);
  }
  not_found(*responder);
}

}  // namespace

void route_request(LedgerApi& ledger, ServerState& state, RequestGate& gate, const HttpRequest& request,
                   ResponderPtr responder, shard::ClusterApi* cluster) {
  state.requests.fetch_add(1, std::memory_order_relaxed);
  try {
    route(ledger, state, gate, request, responder, cluster);
  } catch (const std::exception& e) {
    spdlog::error("request {} {} failed: {}", request.method_name, request.path(), e.what());
    // Unless the endpoint had answered before it threw: an answer goes out once.
    if (!responder->answered()) send_error(*responder, {500, "internal", "internal error"});
  }
}

std::size_t route_body_bytes_max(HttpMethod method, std::string_view path) {
  const bool put_or_post = method == HttpMethod::put || method == HttpMethod::post;
  if (put_or_post) {
    // The same reading as route(), without its vector: this runs for every PUT head.
    if (route_path_is(path, {"v1", "transactions"})) return limits::batch_request_body_bytes_max;
  }
  return limits::request_body_bytes_max;
}

}  // namespace tally::rest
