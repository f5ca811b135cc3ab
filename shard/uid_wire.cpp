// The uid protocol's JSON. See shard/uid_wire.hpp.
#include "shard/uid_wire.hpp"

#include "ledger/record_checks.hpp"

namespace tally::shard {

nlohmann::json tx_to_json(const TransactionApplied& tx) {
  return nlohmann::json{{"uid", tx.uid},
                        {"user_id", tx.user_id},
                        {"kind", to_string(tx.kind)},
                        {"amount_minor", tx.amount},
                        {"at_micros", tx.at},
                        {"timestamp_given", tx.timestamp_given},
                        {"client", tx.client}};
}

std::optional<TransactionApplied> tx_from_json(const nlohmann::json& json) {
  if (!json.is_object()) return std::nullopt;
  try {
    TransactionApplied tx;
    tx.uid = json.at("uid").get<std::string>();
    tx.user_id = json.at("user_id").get<UserId>();
    const std::string kind = json.at("kind").get<std::string>();
    if (kind != "DEPOSIT" && kind != "WITHDRAW") return std::nullopt;
    tx.kind = kind == "DEPOSIT" ? TxKind::deposit : TxKind::withdraw;
    tx.amount = json.at("amount_minor").get<MinorUnits>();
    tx.at = json.at("at_micros").get<UtcMicros>();
    tx.timestamp_given = json.at("timestamp_given").get<bool>();
    // Who sent it (docs/security.md); absent from a peer built before attribution: none.
    if (const auto client = json.find("client"); client != json.end()) tx.client = client->get<std::string>();
    if (check_record(tx) != RecordFault::none) return std::nullopt;
    return tx;
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

PeerDecision read_decision(const std::optional<nlohmann::json>& answer) {
  PeerDecision decision;
  if (!answer) return decision;
  if (const auto state = answer->find("state"); state != answer->end() && state->is_string()) {
    decision.state = state->get<std::string>();
  }
  if (const auto existing = answer->find("existing"); existing != answer->end()) {
    decision.existing = tx_from_json(*existing);
  }
  return decision;
}

std::optional<nlohmann::json> parse_object(const std::string& body) {
  nlohmann::json json = nlohmann::json::parse(body, nullptr, false);
  if (json.is_discarded() || !json.is_object()) return std::nullopt;
  return json;
}

}  // namespace tally::shard
