// The v1 endpoints, one function each: validate input, call the ledger, map its outcome to status and JSON.
// Each takes ownership of the request's Responder; the answer may be sent after the function returns.
#pragma once

#include <cstddef>
#include <memory>
#include <string_view>

#include "actors/ledger_service.hpp"
#include "rest/api_error.hpp"
#include "rest/http_request_parser.hpp"
#include "rest/responder.hpp"
#include "rest/server_state.hpp"

namespace tally::rest {

using ResponderPtr = std::shared_ptr<Responder>;

// Picks the endpoint for a request: 404 route_not_found, 405 with Allow, 503 shutting_down once draining (but
// /healthz), 500 if an endpoint throws.
void route_request(LedgerService& ledger, ServerState& state, const HttpRequest& request, ResponderPtr responder);

// The largest body the request's route accepts, known from its head: the edge refuses more before reading it.
std::size_t route_body_bytes_max(HttpMethod method, std::string_view path);

void create_user(LedgerService& ledger, const HttpRequest& request, ResponderPtr responder);
void get_user(LedgerService& ledger, std::string_view id_text, ResponderPtr responder);
void get_balance(LedgerService& ledger, std::string_view id_text, const HttpRequest& request, ResponderPtr responder);
void put_transaction(LedgerService& ledger, const HttpRequest& request, ResponderPtr responder);
void put_transaction_batch(LedgerService& ledger, const HttpRequest& request, ResponderPtr responder);
void get_transaction(LedgerService& ledger, std::string_view uid_text, ResponderPtr responder);

void send_error(Responder& responder, const ApiError& error);

}  // namespace tally::rest
