// The JSON the API answers with, written directly into a string (no DOM): records, users, balances, errors.
// Amounts are always decimal strings with two places; timestamps are always UTC with a 'Z'.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "ledger/outcomes.hpp"
#include "ledger/records.hpp"
#include "rest/api_error.hpp"

namespace tally::rest {

void append_json_string(std::string& out, std::string_view text);

// The one writer of a transaction's JSON (single answers, batch items, and any listing): it carries "client".
void append_transaction(std::string& out, const TransactionApplied& tx);
void append_user(std::string& out, const UserView& user);
void append_balance(std::string& out, UserId user_id, MinorUnits balance, std::optional<UtcMicros> date);

// {"error":{"code":...,"message":...}}; with `existing_json`, also "existing": <that JSON>.
void append_error(std::string& out, const ApiError& error, std::string_view existing_json = {});

}  // namespace tally::rest
