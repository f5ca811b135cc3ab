// Validation of API input, field by field, in the order a client fixes them: shape (400) before values (422).
// Nothing here touches state: a request that fails here changes nothing.
#include "rest/request_parse.hpp"

#include <type_traits>

#include "ledger/limits.hpp"
#include "rest/json_fields.hpp"
#include "rest/json_plain.hpp"

namespace tally::rest {

namespace {

const char* kind_name(JsonKind kind) {
  switch (kind) {
    case JsonKind::null: return "null";
    case JsonKind::boolean: return "a boolean";
    case JsonKind::integer:
    case JsonKind::number: return "a number";
    case JsonKind::string: return "a string";
    case JsonKind::object: return "an object";
    case JsonKind::array: return "an array";
  }
  return "?";
}

ApiError wrong_type(std::string_view field, const char* expected, JsonKind got) {
  return bad_request("invalid_type",
                     std::string(field) + " must be " + expected + ", not " + kind_name(got));
}

ApiError missing(std::string_view field) {
  return unprocessable("missing_field", std::string(field) + " is required");
}

// "5 minutes", "90 seconds", "1500 ms": a limit in microseconds, in the largest unit that divides it.
std::string describe_micros(std::int64_t micros) {
  struct Unit {
    std::int64_t micros;
    const char* one;
    const char* many;
  };
  static constexpr Unit units[] = {{3'600'000'000, "hour", "hours"},
                                   {60'000'000, "minute", "minutes"},
                                   {1'000'000, "second", "seconds"},
                                   {1'000, "ms", "ms"}};
  for (const Unit& unit : units) {
    if (micros % unit.micros != 0) continue;
    const std::int64_t n = micros / unit.micros;
    return std::to_string(n) + " " + (n == 1 ? unit.one : unit.many);
  }
  return std::to_string(micros) + " microseconds";
}

// "1 to 64" for a length limit.
std::string one_to(std::size_t max) { return "1 to " + std::to_string(max); }

// One transaction's fields, from the document (JsonObject) or, for a plain batch, from views of the body
// (JsonObjectView): the same checks in the same order, so both give the same item or the same error.
// A transaction's five fields in one pass over the object: their names differ in length, so a key's length picks
// the one name it can be. Each name's first field, as find_field would find it.
template <class Field>
struct TransactionFields {
  const Field* uid = nullptr;
  const Field* type = nullptr;
  const Field* amount = nullptr;
  const Field* user_id = nullptr;
  const Field* timestamp = nullptr;

  template <class Object>
  explicit TransactionFields(const Object& object) {
    for (const Field& field : object) {
      const Field** slot = nullptr;
      std::string_view name;
      switch (field.key.size()) {
        case 3: slot = &uid, name = "uid"; break;
        case 4: slot = &type, name = "type"; break;
        case 6: slot = &amount, name = "amount"; break;
        case 7: slot = &user_id, name = "user_id"; break;
        case 9: slot = &timestamp, name = "timestamp"; break;
        default: continue;
      }
      if (*slot == nullptr && std::string_view(field.key) == name) *slot = &field;
    }
  }
};

// Shape first: every present field must have an acceptable JSON type, and the four required ones be present.
template <class Field>
ApiError check_transaction_shape(const TransactionFields<Field>& fields) {
  const Field* uid = fields.uid;
  const Field* type = fields.type;
  const Field* amount = fields.amount;
  const Field* user_id = fields.user_id;
  const Field* timestamp = fields.timestamp;
  if (uid && uid->kind != JsonKind::string) return wrong_type("uid", "a string", uid->kind);
  if (type && type->kind != JsonKind::string) return wrong_type("type", "a string", type->kind);
  if (amount && amount->kind != JsonKind::string && amount->kind != JsonKind::integer &&
      amount->kind != JsonKind::number) {
    return wrong_type("amount", "a number or a decimal string", amount->kind);
  }
  if (user_id && user_id->kind != JsonKind::integer) return wrong_type("user_id", "an integer", user_id->kind);
  if (timestamp && timestamp->kind != JsonKind::string && timestamp->kind != JsonKind::null) {
    return wrong_type("timestamp", "an ISO 8601 string", timestamp->kind);
  }

  if (!uid) return missing("uid");
  if (!type) return missing("type");
  if (!amount) return missing("amount");
  if (!user_id) return missing("user_id");
  return {};
}

// A "timestamp" string: ISO 8601, within the ledger's range, microseconds at most, not too far ahead of `now`.
ApiError parse_given_timestamp(std::string_view text, UtcMicros now, UtcMicros& out) {
  const std::optional<ParsedTime> at = parse_iso8601(text);
  if (!at) {
    return unprocessable("invalid_timestamp", "timestamp must be ISO 8601, e.g. 2023-01-04T00:00:00Z, naming an "
                                              "instant from " + format_iso8601(limits::utc_micros_min) + " to " +
                                              format_iso8601(limits::utc_micros_max));
  }
  if (at->sub_micro_digits) {
    return unprocessable("invalid_timestamp", "timestamp has more precision than microseconds");
  }
  if (at->micros > now + limits::future_skew_micros_max) {
    return unprocessable("timestamp_in_future", "timestamp is more than " +
                                                    describe_micros(limits::future_skew_micros_max) +
                                                    " ahead of the server clock");
  }
  out = at->micros;
  return {};
}

template <class Object>
ApiError parse_transaction_object(const Object& object, UtcMicros now, TransactionApplied& out) {
  const TransactionFields<std::decay_t<decltype(*object.begin())>> fields(object);
  if (ApiError shape = check_transaction_shape(fields)) return shape;
  const auto* uid = fields.uid;
  const auto* type = fields.type;
  const auto* amount = fields.amount;
  const auto* user_id = fields.user_id;
  const auto* timestamp = fields.timestamp;

  if (!valid_uid(uid->text)) {
    return unprocessable("invalid_uid",
                         "uid must be " + one_to(limits::uid_bytes_max) + " printable ASCII characters");
  }
  if (type->text == "DEPOSIT") {
    out.kind = TxKind::deposit;
  } else if (type->text == "WITHDRAW") {
    out.kind = TxKind::withdraw;
  } else {
    return unprocessable("invalid_transaction_type", "type must be \"DEPOSIT\" or \"WITHDRAW\"");
  }
  if (!amount->text.empty() && amount->text[0] == '-') {
    return unprocessable("invalid_amount", "amount must be greater than zero");
  }
  const AmountParse parsed = parse_amount(amount->text);
  if (parsed.error != AmountError::none) {
    return unprocessable("invalid_amount", describe(parsed.error));
  }
  out.amount = parsed.minor;
  const std::optional<UserId> id =
      user_id->text.empty() || user_id->text[0] == '-' ? std::nullopt : parse_user_id(user_id->text);
  if (!id) return unprocessable("invalid_user_id", "user_id must be a positive integer");
  out.user_id = *id;

  out.timestamp_given = timestamp && timestamp->kind == JsonKind::string;
  if (out.timestamp_given) {
    if (ApiError refused = parse_given_timestamp(timestamp->text, now, out.at)) return refused;
  } else {
    out.at = now;
  }
  // Appended into the empty string: an assignment takes libstdc++'s slower replace path.
  out.uid.clear();
  out.uid.append(uid->text.data(), uid->text.size());
  return {};
}

// "low_balance_threshold": an amount like a transaction's (a number or a decimal string, two decimals at most),
// from 0.00 up to the largest amount.
ApiError parse_threshold(const JsonField& field, MinorUnits& out) {
  if (field.kind != JsonKind::string && field.kind != JsonKind::integer && field.kind != JsonKind::number)
    return wrong_type("low_balance_threshold", "a number or a decimal string", field.kind);
  const AmountParse parsed = parse_amount(field.text);
  if (parsed.error == AmountError::not_positive) {
    out = 0;
    return {};
  }
  if (parsed.error != AmountError::none || !valid_threshold(parsed.minor))
    return unprocessable("invalid_threshold", std::string("low_balance_threshold must be an amount from 0.00 to ") +
                                                  format_minor_units(limits::amount_minor_max) + ": " +
                                                  (parsed.error != AmountError::none ? describe(parsed.error)
                                                                                     : "out of range"));
  out = parsed.minor;
  return {};
}

}  // namespace

ApiError parse_user_update(std::string_view body, UserUpdated& out) {
  const JsonDocument doc = read_json(body, 0);
  if (!doc.ok) return bad_request("malformed_json", doc.error);
  if (doc.top_is_array) return bad_request("malformed_json", "the body must be a JSON object");
  const JsonField* threshold = nullptr;
  for (const JsonField& field : doc.objects.front()) {
    if (field.key == "low_balance_threshold") {
      threshold = &field;
    } else if (field.key == "name" || field.key == "id" || field.key == "balance") {
      return unprocessable("read_only_field", field.key + " cannot be changed");
    } else {
      return unprocessable("unknown_field", field.key + " is not a user setting (low_balance_threshold is)");
    }
  }
  if (!threshold) return missing("low_balance_threshold");
  if (threshold->kind == JsonKind::null) {  // RFC 7396: null removes a member, which here means the default
    out.low_balance_threshold = 0;
    return {};
  }
  return parse_threshold(*threshold, out.low_balance_threshold);
}

ApiError parse_create_user(std::string_view body, CreateUserRequest& out) {
  const JsonDocument doc = read_json(body, 0);
  if (!doc.ok) return bad_request("malformed_json", doc.error);
  if (doc.top_is_array) return bad_request("malformed_json", "the body must be a JSON object");
  const JsonField* name = find_field(doc.objects.front(), "name");
  if (!name) return missing("name");
  if (name->kind != JsonKind::string) return wrong_type("name", "a string", name->kind);
  switch (check_user_name(name->text)) {
    case NameFault::none: break;
    case NameFault::not_utf8: return unprocessable("invalid_name", "name must be UTF-8");
    case NameFault::length:
      return unprocessable("invalid_name", "name must be " + one_to(limits::user_name_chars_max) + " characters");
    case NameFault::control_chars:
      return unprocessable("invalid_name", "name must not contain control characters");
  }
  out.name = name->text;
  if (const JsonField* threshold = find_field(doc.objects.front(), "low_balance_threshold"))
    return parse_threshold(*threshold, out.low_balance_threshold);
  return {};
}

ApiError check_idempotency_key(std::string_view key) {
  if (valid_idempotency_key(key)) return {};
  return unprocessable("invalid_idempotency_key", "Idempotency-Key must be " +
                                                      one_to(limits::idempotency_key_bytes_max) +
                                                      " printable ASCII characters");
}

ApiError parse_transaction(std::string_view body, UtcMicros now, TransactionApplied& out) {
  // A plain object (nearly every single PUT) is read as views of the body: no document, field vector or string
  // per field; anything else, each error included, is read and worded by read_json as before.
  thread_local PlainArray plain;  // its vectors keep their capacity from body to body
  if (read_plain_object(body, plain)) return parse_transaction_object(plain.object(0), now, out);
  const JsonDocument doc = read_json(body, 0);
  if (!doc.ok) return bad_request("malformed_json", doc.error);
  if (doc.top_is_array) {
    return bad_request("malformed_json", "the body must be a JSON object (batches go to /v1/transactions)");
  }
  return parse_transaction_object(doc.objects.front(), now, out);
}

ApiError parse_transaction_batch(std::string_view body, UtcMicros now, std::vector<TransactionApplied>& items,
                                 std::vector<ApiError>& errors) {
  // A plain array (nearly every batch) is read as views of the body: no string, vector or allocation per field.
  thread_local PlainArray plain;  // its vectors keep their capacity from batch to batch
  if (read_plain_array(body, limits::batch_transactions_max, plain)) {
    items.assign(plain.size(), TransactionApplied{});
    errors.assign(plain.size(), ApiError{});
    for (std::size_t i = 0; i < plain.size(); ++i) errors[i] = parse_transaction_object(plain.object(i), now, items[i]);
    return {};
  }
  const JsonDocument doc = read_json(body, limits::batch_transactions_max);
  if (!doc.ok) {
    if (doc.error == "too many items") {
      return unprocessable("batch_too_large", "at most " + std::to_string(limits::batch_transactions_max) +
                                                  " transactions per batch");
    }
    return bad_request("malformed_json", doc.error);
  }
  if (!doc.top_is_array) return bad_request("malformed_json", "the body must be a JSON array of transactions");
  items.assign(doc.objects.size(), TransactionApplied{});
  errors.assign(doc.objects.size(), ApiError{});
  for (std::size_t i = 0; i < doc.objects.size(); ++i) {
    if (!doc.element_is_object[i]) {
      errors[i] = bad_request("invalid_type", "each item must be a JSON object");
      continue;
    }
    errors[i] = parse_transaction_object(doc.objects[i], now, items[i]);
  }
  return {};
}

std::optional<UserId> parse_user_id(std::string_view text) {
  if (text.empty() || text.size() > 19) return std::nullopt;
  UserId value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<UserId>(c - '0');
  }
  if (value == 0) return std::nullopt;
  return value;
}

std::string percent_decode(std::string_view text) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && hex(text[i + 1]) >= 0 && hex(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex(text[i + 1]) * 16 + hex(text[i + 2])));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

std::optional<UtcMicros> parse_query_date(std::string_view text) {
  std::string date = percent_decode(text);
  // "2022-05-05T00:00:00 02:00": a '+' that the URL turned into a space.
  if (date.size() > 19 && date[10] != ' ' && date.back() != ' ') {
    const std::size_t space = date.find(' ', 11);
    if (space != std::string::npos) date[space] = '+';
  }
  const std::optional<ParsedTime> parsed = parse_iso8601(date);
  if (!parsed) return std::nullopt;
  return parsed->micros;
}

}  // namespace tally::rest
