// The v1 endpoints, one function each: validate input, call the ledger, map its outcome to status and JSON.
// Each takes ownership of the request's Responder; the answer may be sent after the function returns.
#pragma once

#include <memory>
#include <string_view>

#include <pistache/http.h>

#include "actors/ledger_service.hpp"
#include "rest/api_error.hpp"
#include "rest/responder.hpp"

namespace tally::rest {

using ResponderPtr = std::shared_ptr<Responder>;

void create_user(LedgerService& ledger, const Pistache::Http::Request& request, ResponderPtr responder);
void get_user(LedgerService& ledger, std::string_view id_text, ResponderPtr responder);
void get_balance(LedgerService& ledger, std::string_view id_text, const Pistache::Http::Request& request,
                 ResponderPtr responder);
void put_transaction(LedgerService& ledger, const Pistache::Http::Request& request, ResponderPtr responder);
void put_transaction_batch(LedgerService& ledger, const Pistache::Http::Request& request, ResponderPtr responder);
void get_transaction(LedgerService& ledger, std::string_view uid_text, ResponderPtr responder);

void send_error(Responder& responder, const ApiError& error);

}  // namespace tally::rest
