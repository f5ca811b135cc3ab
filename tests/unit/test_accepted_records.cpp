// Property: whatever the API accepts is a record the WAL writes, reads back unchanged, and keeps across a
// snapshot (what a restart reads). Randomised request bodies concentrate on the edges: years 1 and 9999, zone
// offsets -14:00..+14:00 (and the +-23:59 the parser allows), amounts at the cap, uids at 64 bytes, names at
// 200 characters. The seed is printed; rerun one with TALLY_PROPERTY_SEED=<seed>.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <random>
#include <string>
#include <variant>
#include <vector>

#include "disk/data_dir.hpp"
#include "faulty_file_system.hpp"
#include "ledger/limits.hpp"
#include "ledger/record_checks.hpp"
#include "rest/request_parse.hpp"
#include "snapshot/snapshot_reader.hpp"
#include "snapshot/snapshot_writer.hpp"
#include "wal/record_codec.hpp"
#include "wal/wal_reader.hpp"
#include "wal/wal_writer.hpp"

namespace tally {
namespace {

constexpr int iterations = 200'000;
constexpr std::int64_t micros_per_second = 1'000'000;

std::uint64_t property_seed() {
  if (const char* text = std::getenv("TALLY_PROPERTY_SEED")) return std::strtoull(text, nullptr, 10);
  return std::random_device{}();
}

// An oracle independent of ledger/utc_time.cpp: the well-known era-based civil-to-days formula.
std::int64_t oracle_days(std::int64_t y, int m, int d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const std::int64_t yoe = y - era * 400;
  const std::int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  return era * 146'097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719'468;
}

bool oracle_leap(int y) { return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0); }

// One generated request body with what parse_transaction must make of it.
struct TxCase {
  std::string body;
  std::string error;      // expected error code; empty = accepted
  TransactionApplied tx;  // the expected record when accepted
};

class Generator {
 public:
  explicit Generator(std::uint64_t seed) : rng_(seed) {}

  std::uint64_t below(std::uint64_t n) { return rng_() % n; }
  bool chance(int percent) { return below(100) < static_cast<std::uint64_t>(percent); }
  std::int64_t between(std::int64_t lo, std::int64_t hi) {
    return lo + static_cast<std::int64_t>(below(static_cast<std::uint64_t>(hi - lo) + 1));
  }

  UtcMicros now() {
    switch (below(3)) {
      case 0: return limits::utc_micros_max;  // lets year 9999 through the future rule
      case 1: return 1'700'000'000'000'000;
      default: return between(limits::utc_micros_min, limits::utc_micros_max);
    }
  }

  TxCase transaction(UtcMicros now) {
    TxCase c;
    c.tx.user_id = 1;
    std::string fields;
    const int broken = chance(25) ? static_cast<int>(below(4)) : -1;  // at most one invalid non-time field
    fields += "\"uid\":" + uid(c, broken == 0);
    c.tx.kind = chance(50) ? TxKind::deposit : TxKind::withdraw;
    fields += std::string(",\"type\":\"") + (broken == 1 ? "deposit" : to_string(c.tx.kind)) + "\"";
    if (broken == 1) c.error = first_error(c.error, "invalid_transaction_type");
    fields += ",\"amount\":" + amount(c, broken == 2);
    fields += ",\"user_id\":" + user_id(c, broken == 3);
    fields += timestamp(c, now);
    c.body = "{" + fields + "}";
    return c;
  }

  // A name of 1..201 code points from several UTF-8 widths, sometimes with a control character.
  std::string name(std::size_t& chars, bool& control) {
    static const char* const pieces[] = {"a", "Z", " ", "\xC3\xA9", "\xD0\xB6", "\xE6\x9D\xB1", "\xF0\x9F\x99\x82",
                                         "\xC2\xA0", "\\\"", "\\\\"};
    chars = chance(20) ? (chance(50) ? 200 : 201) : 1 + below(200);
    control = chance(10);
    std::string out;
    for (std::size_t i = 0; i < chars; ++i) out += pieces[below(std::size(pieces))];
    if (control) out += chance(50) ? "\\u0007" : "\\u0085";
    if (control) ++chars;
    return out;
  }

 private:
  static std::string first_error(const std::string& current, const char* code) {
    return current.empty() ? code : current;
  }

  std::string uid(TxCase& c, bool broken) {
    const std::size_t length = broken ? (chance(50) ? 0 : limits::uid_bytes_max + 1)
                                      : (chance(30) ? limits::uid_bytes_max : 1 + below(limits::uid_bytes_max));
    std::string json = "\"";
    for (std::size_t i = 0; i < length; ++i) {
      const char ch = static_cast<char>(0x20 + below(0x7f - 0x20));
      c.tx.uid.push_back(ch);
      if (ch == '"' || ch == '\\') json.push_back('\\');
      json.push_back(ch);
    }
    if (broken && length == 0 && chance(50)) {  // or a right-sized uid with a control character
      c.tx.uid = "x\x01";
      json += "x\\u0001";
    }
    if (broken) c.error = first_error(c.error, "invalid_uid");
    return json + "\"";
  }

  std::string amount(TxCase& c, bool broken) {
    MinorUnits minor = 0;
    if (broken) {
      minor = chance(50) ? 0 : limits::amount_minor_max + 1 + static_cast<MinorUnits>(below(1000));
      c.error = first_error(c.error, "invalid_amount");
    } else {
      minor = chance(30) ? limits::amount_minor_max - static_cast<MinorUnits>(below(3)) : between(1, limits::amount_minor_max);
    }
    c.tx.amount = minor;
    std::string text = std::to_string(minor / 100);
    const MinorUnits cents = minor % 100;
    switch (below(3)) {
      case 0: text += "." + std::to_string(cents / 10) + std::to_string(cents % 10); break;
      case 1:
        text += "." + std::to_string(cents / 10) + std::to_string(cents % 10) + "0";  // extra zero is allowed
        break;
      default:
        if (cents != 0) text += "." + std::to_string(cents / 10) + std::to_string(cents % 10);
        break;
    }
    return chance(50) ? text : "\"" + text + "\"";
  }

  std::string user_id(TxCase& c, bool broken) {
    if (broken) {
      c.error = first_error(c.error, "invalid_user_id");
      return chance(50) ? "0" : "-7";
    }
    c.tx.user_id = chance(20) ? 9'999'999'999'999'999'999ull : 1 + below(1'000'000);
    return std::to_string(c.tx.user_id);
  }

  static std::string digits(std::int64_t value, int width) {
    std::string s = std::to_string(value);
    return std::string(static_cast<std::size_t>(width) - std::min<std::size_t>(s.size(), width), '0') + s;
  }

  // Appends ",\"timestamp\":..." (or nothing) and sets the expected instant or error.
  std::string timestamp(TxCase& c, UtcMicros now) {
    const std::uint64_t form = below(10);
    if (form == 0) {
      c.tx.at = now;
      c.tx.timestamp_given = false;
      return "";
    }
    if (form == 1) {
      c.tx.at = now;
      c.tx.timestamp_given = false;
      return ",\"timestamp\":null";
    }
    c.tx.timestamp_given = true;
    static const int edge_years[] = {0, 1, 1, 2, 9998, 9999, 9999};
    const int year = chance(70) ? edge_years[below(std::size(edge_years))] : static_cast<int>(between(1, 9999));
    const int month = chance(50) ? (chance(50) ? 1 : 12) : static_cast<int>(between(1, 12));
    static const int lengths[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const int month_days = month == 2 && oracle_leap(year) ? 29 : lengths[month - 1];
    const int day = chance(50) ? (chance(50) ? 1 : month_days) : static_cast<int>(between(1, month_days));
    const int hour = chance(40) ? (chance(50) ? 0 : 23) : static_cast<int>(between(0, 23));
    const int minute = chance(40) ? (chance(50) ? 0 : 59) : static_cast<int>(between(0, 59));
    const int second = chance(40) ? (chance(50) ? 0 : 59) : static_cast<int>(between(0, 59));
    std::string text = digits(year, 4) + "-" + digits(month, 2) + "-" + digits(day, 2);
    std::int64_t local = oracle_days(year, month, day) * 86'400;
    std::int64_t fraction = 0;
    bool sub_micro = false;
    if (form != 2) {  // form 2: a bare date, midnight UTC
      text += (chance(80) ? "T" : " ") + digits(hour, 2) + ":" + digits(minute, 2) + ":" + digits(second, 2);
      local += hour * 3600 + minute * 60 + second;
      if (chance(50)) {
        const int fraction_digits = static_cast<int>(between(1, 9));
        text += ".";
        for (int k = 0; k < fraction_digits; ++k) {
          const int digit = chance(50) ? 9 : static_cast<int>(below(10));
          text.push_back(static_cast<char>('0' + digit));
          if (k < 6) fraction = fraction * 10 + digit;
          if (k >= 6 && digit != 0) sub_micro = true;
        }
        for (int k = fraction_digits; k < 6; ++k) fraction *= 10;
      }
      // Offsets east of UTC are positive: the instant is the local time minus the offset.
      const int max_minutes = chance(85) ? 14 * 60 : 23 * 60 + 59;
      const std::int64_t offset_minutes = chance(20) ? 0 : between(-max_minutes, max_minutes);
      if (offset_minutes == 0 && chance(50)) {
        text += chance(50) ? "Z" : "";
      } else {
        const std::int64_t magnitude = offset_minutes < 0 ? -offset_minutes : offset_minutes;
        text += offset_minutes < 0 ? "-" : "+";
        text += digits(magnitude / 60, 2);
        if (magnitude % 60 != 0 || chance(70)) text += (chance(50) ? ":" : "") + digits(magnitude % 60, 2);
      }
      local -= offset_minutes * 60;
    }
    const std::int64_t instant = local * micros_per_second + fraction;
    c.tx.at = instant;
    if (instant < limits::utc_micros_min || instant > limits::utc_micros_max || sub_micro) {
      c.error = first_error(c.error, "invalid_timestamp");
    } else if (instant > now + limits::future_skew_micros_max) {
      c.error = first_error(c.error, "timestamp_in_future");
    }
    return ",\"timestamp\":\"" + text + "\"";
  }

  std::mt19937_64 rng_;
};

void expect_same(const TransactionApplied& a, const TransactionApplied& b) {
  EXPECT_EQ(a.uid, b.uid);
  EXPECT_EQ(a.user_id, b.user_id);
  EXPECT_EQ(a.kind, b.kind);
  EXPECT_EQ(a.amount, b.amount);
  EXPECT_EQ(a.at, b.at);
  EXPECT_EQ(a.timestamp_given, b.timestamp_given);
}

void expect_same(const UserCreated& a, const UserCreated& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.idempotency_key, b.idempotency_key);
  EXPECT_EQ(a.created_at, b.created_at);
}

void expect_same(const wal::Record& a, const wal::Record& b) {
  ASSERT_EQ(a.index(), b.index());
  std::visit([&b](const auto& r) { expect_same(r, std::get<std::decay_t<decltype(r)>>(b)); }, a);
}

// The write-side check passes, the bytes decode to the record and re-encode to the same bytes.
template <typename T>
std::string expect_round_trip(const T& record) {
  EXPECT_EQ(check_record(record), RecordFault::none) << describe(check_record(record));
  const std::optional<std::string> bytes = wal::encode(record);
  if (!bytes) {
    ADD_FAILURE() << "the encoder refused an accepted record";
    return {};
  }
  const std::optional<wal::Record> decoded = wal::decode(*bytes);
  if (!decoded) {
    ADD_FAILURE() << "the decoder refused an accepted record";
    return *bytes;
  }
  expect_same(*decoded, wal::Record(record));
  EXPECT_EQ(std::visit([](const auto& r) { return wal::encode(r); }, *decoded), bytes);
  return *bytes;
}

class AcceptedRecords : public ::testing::Test {
 protected:
  void SetUp() override {
    seed_ = property_seed();
    std::cout << "[ seed     ] TALLY_PROPERTY_SEED=" << seed_ << std::endl;
    RecordProperty("seed", std::to_string(seed_));
  }
  std::uint64_t seed_ = 0;
};

TEST_F(AcceptedRecords, EveryAcceptedTransactionRoundTripsThroughTheWal) {
  Generator gen(seed_);
  std::size_t accepted = 0, year_edges = 0;
  std::vector<TxCase> batch;
  UtcMicros batch_now = gen.now();
  for (int i = 0; i < iterations && !HasFailure(); ++i) {
    const UtcMicros now = i % 50 == 0 ? (batch_now = gen.now()) : batch_now;
    TxCase c = gen.transaction(now);
    SCOPED_TRACE(c.body);
    TransactionApplied parsed;
    const rest::ApiError error = rest::parse_transaction(c.body, now, parsed);
    EXPECT_EQ(error.code, c.error) << error.message;
    if (!error && c.error.empty()) {
      ++accepted;
      expect_same(parsed, c.tx);
      expect_round_trip(parsed);
      // The answer's timestamp text, sent back by a client, names the same instant.
      const std::optional<ParsedTime> again = parse_iso8601(format_iso8601(parsed.at));
      ASSERT_TRUE(again.has_value()) << format_iso8601(parsed.at);
      EXPECT_EQ(again->micros, parsed.at);
      if (parsed.at - limits::utc_micros_min < 86'400 * micros_per_second ||
          limits::utc_micros_max - parsed.at < 86'400 * micros_per_second)
        ++year_edges;
    }
    batch.push_back(std::move(c));
    if (batch.size() == 50) {
      // A batch item is judged exactly as the same body alone.
      std::string body = "[";
      for (const TxCase& item : batch) body += (body.size() > 1 ? "," : "") + item.body;
      std::vector<TransactionApplied> items;
      std::vector<rest::ApiError> errors;
      ASSERT_FALSE(rest::parse_transaction_batch(body + "]", now, items, errors));
      ASSERT_EQ(errors.size(), batch.size());
      for (std::size_t k = 0; k < batch.size(); ++k) {
        EXPECT_EQ(errors[k].code, batch[k].error) << batch[k].body;
        if (!errors[k]) expect_same(items[k], batch[k].tx);
      }
      batch.clear();
    }
  }
  std::cout << "[ property ] " << accepted << " of " << iterations << " accepted, " << year_edges
            << " within a day of year 1 or 9999's end" << std::endl;
  // The generator must reach both outcomes and the edges, or the property says little.
  EXPECT_GT(accepted, static_cast<std::size_t>(iterations) / 4);
  EXPECT_GT(year_edges, 100u);
}

TEST_F(AcceptedRecords, EveryAcceptedUserRoundTripsThroughTheWal) {
  Generator gen(seed_);
  std::size_t accepted = 0;
  for (int i = 0; i < iterations / 10 && !HasFailure(); ++i) {
    std::size_t chars = 0;
    bool control = false;
    const std::string body = "{\"name\":\"" + gen.name(chars, control) + "\"}";
    SCOPED_TRACE(body);
    rest::CreateUserRequest parsed;
    const rest::ApiError error = rest::parse_create_user(body, parsed);
    const bool expected = chars >= 1 && chars <= limits::user_name_chars_max && !control;
    EXPECT_EQ(!error, expected) << error.message;
    if (error) continue;
    ++accepted;
    UserCreated user{1 + gen.below(limits::users_max - 1), parsed.name, gen.chance(50) ? "" : "key-1", gen.now(),
                     {}, 0};
    expect_round_trip(user);
  }
  EXPECT_GT(accepted, static_cast<std::size_t>(iterations) / 40);
}

// The restart half of the property: accepted records written through the WalWriter come back from the WAL and
// from a snapshot built over it (the SIGTERM snapshot of the year-0 bug) unchanged and in order.
TEST_F(AcceptedRecords, AcceptedRecordsSurviveTheWalAndASnapshot) {
  Generator gen(seed_);
  std::vector<wal::Record> written;
  for (int i = 0; written.size() < 3000 && i < iterations; ++i) {
    const UtcMicros now = gen.now();
    const TxCase c = gen.transaction(now);
    TransactionApplied parsed;
    if (!rest::parse_transaction(c.body, now, parsed)) written.emplace_back(parsed);
  }
  ASSERT_EQ(written.size(), 3000u);
  testing::FaultyFileSystem fs;
  const disk::DataDir data_dir("/data");
  wal::WalPosition end;
  {
    wal::WalWriterOptions options;
    options.dir = data_dir.wal();
    options.fs = &fs;
    wal::WalWriter writer(options);
    for (const wal::Record& record : written) {
      const std::optional<std::string> payload = std::visit([](const auto& r) { return wal::encode(r); }, record);
      ASSERT_TRUE(payload.has_value());
      writer.submit(*payload, 0, [](wal::WalStatus status) { ASSERT_EQ(status, wal::WalStatus::durable); });
    }
    writer.stop();
    end = writer.position();
  }
  std::size_t k = 0;
  const wal::WalScan scan = wal::scan_wal(fs, data_dir.wal(), [&](std::string_view payload) {
    const std::optional<wal::Record> record = wal::decode(payload);
    if (!record || k >= written.size()) return false;
    expect_same(*record, written[k++]);
    return true;
  });
  ASSERT_TRUE(scan.status.ok()) << scan.status.message();
  EXPECT_EQ(k, written.size());

  const snapshot::BuildResult built = snapshot::build_snapshot(fs, data_dir, end);
  ASSERT_EQ(built.outcome, snapshot::BuildResult::Outcome::built) << built.status.message();
  k = 0;
  const snapshot::SnapshotRead read = snapshot::read_snapshot(fs, built.path, [&](const snapshot::SnapshotRecord& r) {
    if (k >= written.size()) return false;
    expect_same(*r.record, written[k++]);
    return true;
  });
  ASSERT_TRUE(read.status.ok()) << read.status.message();
  EXPECT_EQ(k, written.size());
}

}  // namespace
}  // namespace tally
