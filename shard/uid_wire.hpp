// The peer-only routes' bodies (docs/sharding.md, the uid protocol): a transaction in exact internal units
// (minor units, UTC micros, whether the client gave the timestamp), so what a shard reserves or judges is exactly
// what its owner would record. JSON: {"uid","user_id","kind":"DEPOSIT"|"WITHDRAW","amount_minor","at_micros",
// "timestamp_given"}.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "ledger/records.hpp"

namespace tally::shard {

nlohmann::json tx_to_json(const TransactionApplied& tx);
// nullopt unless every field is there, of its type, and the record passes ledger/record_checks.hpp.
std::optional<TransactionApplied> tx_from_json(const nlohmann::json& json);
// A peer's decision {"state": "...", "existing": {tx}}: state "" when the answer is missing or has none; existing
// only when present and a valid transaction.
struct PeerDecision {
  std::string state;
  std::optional<TransactionApplied> existing;
};
PeerDecision read_decision(const std::optional<nlohmann::json>& answer);
// The body parsed as a JSON object, or nullopt.
std::optional<nlohmann::json> parse_object(const std::string& body);

}  // namespace tally::shard
