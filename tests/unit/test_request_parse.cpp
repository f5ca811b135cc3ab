// Request parsing: the 400-vs-422 split, exact decimal amounts from JSON numbers, timestamps, limits.
// Every refusal here must carry the documented error code.
#include <gtest/gtest.h>

#include <cstdio>
#include <random>
#include <string>

#include "ledger/limits.hpp"
#include "ledger/utc_time.hpp"
#include "ledger/money.hpp"
#include "rest/request_parse.hpp"
#include "rest/response_json.hpp"

namespace {

using namespace tally;
using namespace tally::rest;

constexpr UtcMicros now = 1'700'000'000'000'000;  // 2023-11-14T22:13:20Z

ApiError tx_error(const std::string& body) {
  TransactionApplied tx;
  return parse_transaction(body, now, tx);
}

TEST(ParseTransaction, ValidWithNumberAmountAndTimestamp) {
  TransactionApplied tx;
  ApiError error = parse_transaction(
      R"({"uid":"u-1","type":"DEPOSIT","amount":100.0,"user_id":7,"timestamp":"2023-01-04T00:00:00"})", now, tx);
  ASSERT_FALSE(error) << error.code;
  EXPECT_EQ(tx.uid, "u-1");
  EXPECT_EQ(tx.kind, TxKind::deposit);
  EXPECT_EQ(tx.amount, 10000);
  EXPECT_EQ(tx.user_id, 7u);
  EXPECT_TRUE(tx.timestamp_given);
  EXPECT_EQ(format_iso8601(tx.at), "2023-01-04T00:00:00Z");
}

TEST(ParseTransaction, AmountsKeepTheirDecimalText) {
  struct Case {
    const char* amount_json;
    MinorUnits minor;
  } cases[] = {{"0.1", 10}, {"\"0.10\"", 10}, {"1.005e0", -1}, {"19.99", 1999}, {"\"12.300\"", 1230},
               {"100", 10000}, {"0.29", 29}, {"1.10", 110}};
  for (const Case& c : cases) {
    TransactionApplied tx;
    std::string body = std::string(R"({"uid":"u","type":"WITHDRAW","user_id":1,"amount":)") + c.amount_json + "}";
    ApiError error = parse_transaction(body, now, tx);
    if (c.minor < 0) {
      EXPECT_EQ(error.code, "invalid_amount") << c.amount_json;
    } else {
      ASSERT_FALSE(error) << c.amount_json << " " << error.message;
      EXPECT_EQ(tx.amount, c.minor) << c.amount_json;
    }
  }
}

TEST(ParseTransaction, ShapeErrorsAre400) {
  EXPECT_EQ(tx_error("not json").status, 400);
  EXPECT_EQ(tx_error("not json").code, "malformed_json");
  EXPECT_EQ(tx_error("[1,2]").code, "malformed_json");
  EXPECT_EQ(tx_error("5").code, "malformed_json");
  EXPECT_EQ(tx_error(R"({"uid":"u","type":"DEPOSIT","amount":1,"user_id":1)").code, "malformed_json");
  EXPECT_EQ(tx_error(R"({"uid":5,"type":"DEPOSIT","amount":1,"user_id":1})").code, "invalid_type");
  EXPECT_EQ(tx_error(R"({"uid":"u","type":"DEPOSIT","amount":true,"user_id":1})").code, "invalid_type");
  EXPECT_EQ(tx_error(R"({"uid":"u","type":"DEPOSIT","amount":1,"user_id":"7"})").code, "invalid_type");
  EXPECT_EQ(tx_error(R"({"uid":"u","type":"DEPOSIT","amount":1,"user_id":7.5})").code, "invalid_type");
  EXPECT_EQ(tx_error(R"({"uid":"u","type":"DEPOSIT","amount":1,"user_id":1,"timestamp":5})").code,
            "invalid_type");
  EXPECT_EQ(tx_error(R"({"uid":"u","uid":"v","type":"DEPOSIT","amount":1,"user_id":1})").code, "malformed_json");
}

TEST(ParseTransaction, ValueErrorsAre422) {
  EXPECT_EQ(tx_error(R"({"type":"DEPOSIT","amount":1,"user_id":1})").code, "missing_field");
  EXPECT_EQ(tx_error(R"({"uid":"","type":"DEPOSIT","amount":1,"user_id":1})").code, "invalid_uid");
  EXPECT_EQ(tx_error(R"({"uid":")" + std::string(65, 'x') + R"(","type":"DEPOSIT","amount":1,"user_id":1})").code,
            "invalid_uid");
  EXPECT_FALSE(tx_error(R"({"uid":")" + std::string(64, 'x') + R"(","type":"DEPOSIT","amount":1,"user_id":1})"));
  EXPECT_EQ(tx_error(R"({"uid":"caf\u00e9","type":"DEPOSIT","amount":1,"user_id":1})").code, "invalid_uid");
  EXPECT_EQ(tx_error(R"({"uid":"u","type":"deposit","amount":1,"user_id":1})").code, "invalid_transaction_type");
  EXPECT_EQ(tx_error(R"({"uid":"u","type":"DEPOSIT","amount":0,"user_id":1})").code, "invalid_amount");
  EXPECT_EQ(tx_error(R"({"uid":"u","type":"DEPOSIT","amount":-5,"user_id":1})").code, "invalid_amount");
  EXPECT_EQ(tx_error(R"({"uid":"u","type":"DEPOSIT","amount":1.005,"user_id":1})").code, "invalid_amount");
  EXPECT_EQ(tx_error(R"({"uid":"u","type":"DEPOSIT","amount":"1e3","user_id":1})").code, "invalid_amount");
  EXPECT_EQ(tx_error(R"({"uid":"u","type":"DEPOSIT","amount":"10000000000000.01","user_id":1})").code,
            "invalid_amount");
  EXPECT_FALSE(tx_error(R"({"uid":"u","type":"DEPOSIT","amount":"10000000000000.00","user_id":1})"));
  EXPECT_EQ(tx_error(R"({"uid":"u","type":"DEPOSIT","amount":1,"user_id":0})").code, "invalid_user_id");
  EXPECT_EQ(tx_error(R"({"uid":"u","type":"DEPOSIT","amount":1,"user_id":-3})").code, "invalid_user_id");
  EXPECT_EQ(tx_error(R"({"uid":"u","type":"DEPOSIT","amount":1,"user_id":1,"timestamp":"yesterday"})").code,
            "invalid_timestamp");
  EXPECT_EQ(tx_error(R"({"uid":"u","type":"DEPOSIT","amount":1,"user_id":1,"timestamp":"2099-01-01"})").code,
            "timestamp_in_future");
}

// The year-0 bug (issue 8): the text's year was checked before the offset was applied, so this was accepted,
// stored as 0000-12-31T23:00:00Z, and the WAL's reader refused it at the next start. Now it is a 422, in a single
// PUT, in a batch item and as a ?date=, and so is the same mistake at the top end.
TEST(ParseTransaction, TimestampsOutsideTheRangeAfterTheOffsetAre422) {
  const UtcMicros end_of_time = limits::utc_micros_max;  // a clock that lets year 9999 through the future rule
  for (const char* timestamp : {"0001-01-01T00:00:00+01:00", "0001-01-01T13:59:59.999999+14:00",
                                "0000-12-31T23:00:00Z", "9999-12-31T23:59:59-00:01", "9999-12-31T20:00:00-14:00"}) {
    SCOPED_TRACE(timestamp);
    const std::string body =
        std::string(R"({"uid":"u","type":"DEPOSIT","amount":1,"user_id":1,"timestamp":")") + timestamp + "\"}";
    TransactionApplied tx;
    EXPECT_EQ(parse_transaction(body, end_of_time, tx).code, "invalid_timestamp");
    std::vector<TransactionApplied> items;
    std::vector<ApiError> errors;
    ASSERT_FALSE(parse_transaction_batch("[" + body + "]", end_of_time, items, errors));
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0].code, "invalid_timestamp");
    EXPECT_FALSE(parse_query_date(timestamp));
  }
  // The same instants written the other way round are the edges of the range, and accepted.
  TransactionApplied tx;
  ASSERT_FALSE(parse_transaction(
      R"({"uid":"u","type":"DEPOSIT","amount":1,"user_id":1,"timestamp":"0001-01-01T01:00:00+01:00"})", now, tx));
  EXPECT_EQ(tx.at, limits::utc_micros_min);
  ASSERT_FALSE(parse_transaction(
      R"({"uid":"u","type":"DEPOSIT","amount":1,"user_id":1,"timestamp":"9999-12-31T22:59:59.999999-01:00"})",
      end_of_time, tx));
  EXPECT_EQ(tx.at, limits::utc_micros_max);
  EXPECT_EQ(parse_query_date("0001-01-01T01:00:00%2B01:00").value_or(0), limits::utc_micros_min);
}

TEST(ParseTransaction, AbsentOrNullTimestampUsesTheServerClock) {
  for (const char* body : {R"({"uid":"u","type":"DEPOSIT","amount":1,"user_id":1})",
                           R"({"uid":"u","type":"DEPOSIT","amount":1,"user_id":1,"timestamp":null})"}) {
    TransactionApplied tx;
    ASSERT_FALSE(parse_transaction(body, now, tx));
    EXPECT_FALSE(tx.timestamp_given);
    EXPECT_EQ(tx.at, now);
  }
  // Four minutes ahead is within the allowed clock skew; the bound itself is too, a microsecond past it is not.
  TransactionApplied edge;
  const std::string at_bound = R"({"uid":"u","type":"DEPOSIT","amount":1,"user_id":1,"timestamp":")" +
                               format_iso8601(now + limits::future_skew_micros_max) + "\"}";
  ASSERT_FALSE(parse_transaction(at_bound, now, edge));
  EXPECT_EQ(edge.at, now + limits::future_skew_micros_max);
  EXPECT_EQ(parse_transaction(at_bound, now - 1, edge).code, "timestamp_in_future");
  TransactionApplied tx;
  ASSERT_FALSE(parse_transaction(R"({"uid":"u","type":"DEPOSIT","amount":1,"user_id":1,"timestamp":"2023-11-14T22:17:20Z"})",
                                 now, tx));
}

// A refusal names the limit it enforces, and the number it names is limits.hpp's (nothing else holds it).
TEST(ErrorMessages, NameTheLimitsTheyEnforce) {
  auto mentions = [](const std::string& message, const std::string& what) {
    return message.find(what) != std::string::npos;
  };
  const ApiError uid = tx_error(R"({"uid":")" + std::string(limits::uid_bytes_max + 1, 'u') +
                                R"(","type":"DEPOSIT","amount":1,"user_id":1})");
  EXPECT_EQ(uid.code, "invalid_uid");
  EXPECT_TRUE(mentions(uid.message, "1 to " + std::to_string(limits::uid_bytes_max) + " ")) << uid.message;

  static_assert(limits::future_skew_micros_max % 60'000'000 == 0, "the message below counts whole minutes");
  const ApiError future = tx_error(R"({"uid":"u","type":"DEPOSIT","amount":1,"user_id":1,"timestamp":")" +
                                   format_iso8601(now + limits::future_skew_micros_max + 1) + "\"}");
  EXPECT_EQ(future.code, "timestamp_in_future");
  EXPECT_TRUE(mentions(future.message, " " + std::to_string(limits::future_skew_micros_max / 60'000'000) +
                                           " minute"))
      << future.message;

  const ApiError range = tx_error(R"({"uid":"u","type":"DEPOSIT","amount":1,"user_id":1,"timestamp":"0000-01-01"})");
  EXPECT_EQ(range.code, "invalid_timestamp");
  EXPECT_TRUE(mentions(range.message, format_iso8601(limits::utc_micros_min) + " to " +
                                          format_iso8601(limits::utc_micros_max)))
      << range.message;

  CreateUserRequest user;
  const ApiError name =
      parse_create_user(R"({"name":")" + std::string(limits::user_name_chars_max + 1, 'a') + "\"}", user);
  EXPECT_EQ(name.code, "invalid_name");
  EXPECT_TRUE(mentions(name.message, "1 to " + std::to_string(limits::user_name_chars_max) + " ")) << name.message;

  EXPECT_FALSE(check_idempotency_key(std::string(limits::idempotency_key_bytes_max, 'k')));
  const ApiError key = check_idempotency_key(std::string(limits::idempotency_key_bytes_max + 1, 'k'));
  EXPECT_EQ(key.status, 422);
  EXPECT_EQ(key.code, "invalid_idempotency_key");
  EXPECT_TRUE(mentions(key.message, "1 to " + std::to_string(limits::idempotency_key_bytes_max) + " "))
      << key.message;

  const ApiError cents = tx_error(R"({"uid":"u","type":"DEPOSIT","amount":"1.001","user_id":1})");
  EXPECT_EQ(cents.code, "invalid_amount");
  EXPECT_TRUE(mentions(cents.message, " " + std::to_string(limits::amount_fraction_digits) + " ")) << cents.message;

  // The WAL's own refusals (ledger/record_checks.hpp) say the same numbers.
  EXPECT_TRUE(mentions(describe(RecordFault::uid), "1.." + std::to_string(limits::uid_bytes_max) + " "));
  EXPECT_TRUE(mentions(describe(RecordFault::name), "1.." + std::to_string(limits::user_name_chars_max) + " "));
  EXPECT_TRUE(mentions(describe(RecordFault::idempotency_key),
                       "1.." + std::to_string(limits::idempotency_key_bytes_max) + " "));
  EXPECT_TRUE(mentions(describe(RecordFault::instant),
                       format_iso8601(limits::utc_micros_min) + ".." + format_iso8601(limits::utc_micros_max)));
}

TEST(ParseCreateUser, NameRules) {
  CreateUserRequest out;
  EXPECT_FALSE(parse_create_user(R"({"name":"vasya"})", out));
  EXPECT_EQ(out.name, "vasya");
  std::string two_hundred_cyrillic;
  for (int i = 0; i < 200; ++i) two_hundred_cyrillic += "\xd0\xb6";
  EXPECT_FALSE(parse_create_user(R"({"name":")" + two_hundred_cyrillic + "\"}", out)) << "200 chars, 400 bytes";
  EXPECT_EQ(parse_create_user(R"({"name":")" + std::string(201, 'a') + "\"}", out).code, "invalid_name");
  EXPECT_EQ(parse_create_user(R"({"name":""})", out).code, "invalid_name");
  EXPECT_EQ(parse_create_user(R"({"name":"a\nb"})", out).code, "invalid_name");
  EXPECT_EQ(parse_create_user(R"({"name":"nel\u0085line"})", out).code, "invalid_name");
  EXPECT_FALSE(parse_create_user(R"({"name":"caf\u00e9 \u00a0ok"})", out)) << "U+00A0 and up are fine";
  EXPECT_EQ(parse_create_user(R"({"name":5})", out).code, "invalid_type");
  EXPECT_EQ(parse_create_user(R"({})", out).code, "missing_field");
  EXPECT_EQ(parse_create_user("{\"name\":\"\xff\"}", out).code, "malformed_json");
}

TEST(ParseBatch, ItemsAreJudgedOneByOne) {
  std::vector<TransactionApplied> items;
  std::vector<ApiError> errors;
  ApiError error = parse_transaction_batch(
      R"([{"uid":"a","type":"DEPOSIT","amount":1,"user_id":1}, 5, {"uid":"b","type":"X","amount":1,"user_id":1}])",
      now, items, errors);
  ASSERT_FALSE(error);
  ASSERT_EQ(items.size(), 3u);
  EXPECT_FALSE(errors[0]);
  EXPECT_EQ(errors[1].code, "invalid_type");
  EXPECT_EQ(errors[2].code, "invalid_transaction_type");
  EXPECT_EQ(parse_transaction_batch(R"({"uid":"a"})", now, items, errors).code, "malformed_json");
}

TEST(PathPieces, UserIdsUidsDates) {
  EXPECT_EQ(parse_user_id("7").value_or(0), 7u);
  EXPECT_FALSE(parse_user_id("0"));
  EXPECT_FALSE(parse_user_id("-1"));
  EXPECT_FALSE(parse_user_id("+1"));
  EXPECT_FALSE(parse_user_id("abc"));
  EXPECT_FALSE(parse_user_id("99999999999999999999999"));
  EXPECT_EQ(percent_decode("a%2Fb%20c%zz"), "a/b c%zz");
  EXPECT_EQ(format_iso8601(parse_query_date("2022-05-05T00:00:00").value()), "2022-05-05T00:00:00Z");
  EXPECT_EQ(format_iso8601(parse_query_date("2022-05-05T02:00:00%2B02:00").value()), "2022-05-05T00:00:00Z");
  EXPECT_EQ(format_iso8601(parse_query_date("2022-05-05T02:00:00 02:00").value()), "2022-05-05T00:00:00Z");
  EXPECT_EQ(format_iso8601(parse_query_date("2022-05-05").value()), "2022-05-05T00:00:00Z");
  EXPECT_FALSE(parse_query_date("2022-13-05"));
}

TEST(ResponseJson, EscapesAndFormats) {
  std::string out;
  append_json_string(out, "a\"b\\c\n\x01");
  EXPECT_EQ(out, R"("a\"b\\c\n\u0001")");
  TransactionApplied tx{"u\"1", 7, TxKind::withdraw, 1050, 1672790400000000, true, {}, 0};
  out.clear();
  append_transaction(out, tx);
  EXPECT_EQ(out, R"({"uid":"u\"1","user_id":7,"type":"WITHDRAW","amount":"10.50","timestamp":"2023-01-04T00:00:00Z",)"
                 R"("client":""})");
  tx.client = "billing-2";
  out.clear();
  append_transaction(out, tx);
  EXPECT_NE(out.find(R"(,"client":"billing-2"})"), std::string::npos) << out;
}

// The escaping rules one character at a time, as the JSON writer applied them before it appended runs whole.
std::string escaped_char_by_char(std::string_view text) {
  std::string out = "\"";
  for (const char ch : text) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (ch == '"') out += "\\\"";
    else if (ch == '\\') out += "\\\\";
    else if (ch == '\n') out += "\\n";
    else if (ch == '\r') out += "\\r";
    else if (ch == '\t') out += "\\t";
    else if (c < 0x20 || c == 0x7f) {
      char buffer[8];
      std::snprintf(buffer, sizeof buffer, "\\u%04x", c);
      out += buffer;
    } else {
      out.push_back(ch);
    }
  }
  return out + "\"";
}

TEST(ResponseJson, EscapingMatchesTheRulesForEveryByteAndRandomTexts) {
  for (int c = 0; c < 256; ++c) {
    const std::string text = "ab" + std::string(1, static_cast<char>(c)) + "cd";
    std::string out;
    append_json_string(out, text);
    EXPECT_EQ(out, escaped_char_by_char(text)) << c;
  }
  std::mt19937 rng(15);
  for (int round = 0; round < 2000; ++round) {
    std::string text(rng() % 40, ' ');
    for (char& ch : text) ch = static_cast<char>(rng() % 4 == 0 ? rng() % 256 : 'a' + rng() % 26);
    std::string out = "prefix";
    append_json_string(out, text);
    EXPECT_EQ(out, "prefix" + escaped_char_by_char(text));
  }
}

// A transaction's text, rendered field by field by the rules (the stack-buffer path must give exactly this): plain
// and escaped uids and client names up to and past their limits, amounts and instants (fractions, repeats of the
// same instant, which the timestamp renderer keeps, and alternations) at random.
TEST(ResponseJson, TransactionTextMatchesTheRulesOnRandomTransactions) {
  std::mt19937_64 rng(15);
  auto text_of = [&](std::size_t max) {
    std::string text(rng() % (max + 1), ' ');
    const bool plain = rng() % 3 != 0;
    for (char& ch : text)
      ch = static_cast<char>(plain || rng() % 8 != 0 ? 'a' + rng() % 26 : rng() % 256);
    return text;
  };
  const UtcMicros instants[] = {1672790400000000, 1672790400000123, 0, -1, limits::utc_micros_max};
  for (int round = 0; round < 5000; ++round) {
    TransactionApplied tx;
    tx.uid = text_of(rng() % 10 == 0 ? limits::uid_bytes_max + 8 : limits::uid_bytes_max);
    if (tx.uid.empty()) tx.uid = "u";
    tx.client = text_of(rng() % 10 == 0 ? limits::client_name_bytes_max + 8 : 12);
    tx.user_id = rng() % 2 ? rng() % 1000 : rng();
    tx.kind = rng() % 2 ? TxKind::deposit : TxKind::withdraw;
    tx.amount = static_cast<MinorUnits>(rng() % 2 ? rng() % 100000 : rng() >> 1);
    tx.at = instants[rng() % 5];
    const std::string expected = "{\"uid\":" + escaped_char_by_char(tx.uid) + ",\"user_id\":" +
                                 std::to_string(tx.user_id) + ",\"type\":\"" + to_string(tx.kind) +
                                 "\",\"amount\":\"" + format_minor_units(tx.amount) + "\",\"timestamp\":\"" +
                                 format_iso8601(tx.at) + "\",\"client\":" + escaped_char_by_char(tx.client) + "}";
    std::string out = "[";
    append_transaction(out, tx);
    ASSERT_EQ(out, "[" + expected) << round;
  }
}

}  // namespace
