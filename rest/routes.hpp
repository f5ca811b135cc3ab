// The v1 endpoints, one function each: validate input, call the ledger, map its outcome to status and JSON.
// Each takes ownership of the request's Responder; the answer may be sent after the function returns.
// The ledger is anything implementing LedgerApi (the service, or whatever stands in front of it); "now" is its clock.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/ledger_api.hpp"
#include "rest/api_error.hpp"
#include "rest/http_request_parser.hpp"
#include "rest/request_gate.hpp"
#include "rest/responder.hpp"
#include "rest/server_state.hpp"
#include "shard/cluster_api.hpp"

namespace tally::rest {

using ResponderPtr = std::shared_ptr<Responder>;

// Picks the endpoint for a request: 404 route_not_found, 405 with Allow, 503 shutting_down once draining (but
// /healthz), 401/403 from `gate` (rest/request_gate.hpp), 500 if an endpoint throws.
// `cluster`: null on a single node; otherwise requests this shard does not own go to their owner
// (rest/routes_cluster.hpp).
void route_request(LedgerApi& ledger, ServerState& state, RequestGate& gate, const HttpRequest& request,
                   ResponderPtr responder, shard::ClusterApi* cluster = nullptr);

// The largest body the request's route accepts, known from its head: the edge refuses more before reading it.
std::size_t route_body_bytes_max(HttpMethod method, std::string_view path);

// `client`: the admitted API client's name, stored with the record ("" in open mode).
void create_user(LedgerApi& ledger, const HttpRequest& request, std::string client, ResponderPtr responder);
void get_user(LedgerApi& ledger, std::string_view id_text, ResponderPtr responder);
void get_balance(LedgerApi& ledger, std::string_view id_text, const HttpRequest& request, ResponderPtr responder);
void put_transaction(LedgerApi& ledger, const HttpRequest& request, std::string client, ResponderPtr responder);
void put_transaction_batch(LedgerApi& ledger, const HttpRequest& request, const std::string& client,
                           ResponderPtr responder);
void get_transaction(LedgerApi& ledger, std::string_view uid_text, ResponderPtr responder);
// GET /v1/user/{id}/transactions (rest/routes_history.cpp)
void get_transactions(LedgerApi& ledger, std::string_view id_text, const HttpRequest& request,
                      ResponderPtr responder);

void send_error(Responder& responder, const ApiError& error);
// The error answer of a refused outcome (status, code, Retry-After when worth retrying).
void send_outcome_error(Responder& responder, Outcome outcome);

// Collects one JSON item per batch position, in order; the last item to arrive sends the whole answer (200, the
// array). Positions are filled by the ledger (item_done) or directly (item_json: a refused item, or an item
// relayed from the shard that owns it). The ledger's items are copied into one arena allocated with the answer
// (a place in it taken by an atomic add: they arrive from several threads), not a string each.
struct BatchAnswer : BatchSink {
  BatchAnswer(ResponderPtr r, std::size_t n);
  void item_done(std::size_t index, const TxResult& result) override;
  void item_json(std::size_t index, std::string json);

  ResponderPtr responder;

 private:
  struct Placed {  // an item's text in arena_; bytes 0: it is in own_ instead
    std::uint32_t offset = 0;
    std::uint32_t bytes = 0;
  };
  void place(std::size_t index, std::string_view json);
  void finish_one();

  std::vector<Placed> placed_;
  std::vector<std::string> own_;  // {"status":200,"transaction":{...}} or {"status":4xx,"error":{...}}
  std::size_t arena_bytes_;
  std::unique_ptr<char[]> arena_;
  std::atomic<std::size_t> arena_used_{0};
  std::atomic<std::size_t> remaining_;
};

// A batch item's JSON for a refusal: {"status":4xx,"error":{...}} (with "existing" when given).
std::string batch_item_error(const ApiError& error, std::string_view existing_json = {});

}  // namespace tally::rest
