// The v1 endpoints, one function each: validate input, call the ledger, map its outcome to status and JSON.
// Each takes ownership of the request's Responder; the answer may be sent after the function returns.
// The ledger is anything implementing LedgerApi (the service, or whatever stands in front of it); "now" is its clock.
#pragma once

#include <cstddef>
#include <memory>
#include <string_view>

#include "ledger/ledger_api.hpp"
#include "rest/api_error.hpp"
#include "rest/http_request_parser.hpp"
#include "rest/responder.hpp"
#include "rest/server_state.hpp"

namespace tally::rest {

using ResponderPtr = std::shared_ptr<Responder>;

// Picks the endpoint for a request: 404 route_not_found, 405 with Allow, 503 shutting_down once draining (but
// /healthz), 500 if an endpoint throws.
void route_request(LedgerApi& ledger, ServerState& state, const HttpRequest& request, ResponderPtr responder);

// The largest body the request's route accepts, known from its head: the edge refuses more before reading it.
std::size_t route_body_bytes_max(HttpMethod method, std::string_view path);

void create_user(LedgerApi& ledger, const HttpRequest& request, ResponderPtr responder);
void get_user(LedgerApi& ledger, std::string_view id_text, ResponderPtr responder);
void get_balance(LedgerApi& ledger, std::string_view id_text, const HttpRequest& request, ResponderPtr responder);
void put_transaction(LedgerApi& ledger, const HttpRequest& request, ResponderPtr responder);
void put_transaction_batch(LedgerApi& ledger, const HttpRequest& request, ResponderPtr responder);
void get_transaction(LedgerApi& ledger, std::string_view uid_text, ResponderPtr responder);

void send_error(Responder& responder, const ApiError& error);
// The error answer of a refused outcome (status, code, Retry-After when worth retrying).
void send_outcome_error(Responder& responder, Outcome outcome);

}  // namespace tally::rest
