// Unit tests for ledger/utc_time: ISO 8601 parsing (forms, zones, fractions, rejections) and formatting.
// Checks the calendar math against known epoch values and an independent day-by-day walk over 0001..9999.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <iterator>
#include <random>
#include <string>

#include "ledger/utc_time.hpp"

namespace tally {
namespace {

constexpr std::int64_t kSec = 1'000'000;
constexpr std::int64_t kDay = 86'400 * kSec;
constexpr UtcMicros kYear1Start = -62'135'596'800 * kSec;          // 0001-01-01T00:00:00Z
constexpr UtcMicros kYear9999End = 253'402'300'800 * kSec - 1;     // 9999-12-31T23:59:59.999999Z
constexpr UtcMicros kJan4th2023 = 1'672'790'400 * kSec;             // 2023-01-04T00:00:00Z

struct ValidCase {
  const char* text;
  UtcMicros micros;
  bool sub_micro;
};

TEST(ParseIso8601, AcceptsValidForms) {
  const ValidCase cases[] = {
      {"2023-01-04", kJan4th2023, false},
      {"2023-01-04T00:00", kJan4th2023, false},
      {"2023-01-04T00:00:00", kJan4th2023, false},
      {"2023-01-04T00:00:00Z", kJan4th2023, false},
      {"2023-01-04t00:00:00z", kJan4th2023, false},
      {"2023-01-04 00:00:00Z", kJan4th2023, false},
      {"2023-01-04T00:00Z", kJan4th2023, false},
      {"2023-01-04T05:30:00+05:30", kJan4th2023, false},
      {"2023-01-04T05:30+0530", kJan4th2023, false},
      {"2023-01-04T02:00:00+02", kJan4th2023, false},
      {"2023-01-03T16:00:00-08:00", kJan4th2023, false},
      {"2023-01-03T16:00:00-0800", kJan4th2023, false},
      {"2023-01-03T16:00-08", kJan4th2023, false},
      {"2023-01-04T00:00:00+00:00", kJan4th2023, false},
      {"2023-01-04T00:00:00-00:00", kJan4th2023, false},
      {"2023-01-05T23:59:00+23:59", kJan4th2023 + kDay, false},
      {"2023-01-04T12:34:56Z", kJan4th2023 + (12 * 3600 + 34 * 60 + 56) * kSec, false},
      {"2023-01-04T00:00:00.1Z", kJan4th2023 + 100'000, false},
      {"2023-01-04T00:00:00.12Z", kJan4th2023 + 120'000, false},
      {"2023-01-04T00:00:00.123Z", kJan4th2023 + 123'000, false},
      {"2023-01-04T00:00:00.1234Z", kJan4th2023 + 123'400, false},
      {"2023-01-04T00:00:00.12345Z", kJan4th2023 + 123'450, false},
      {"2023-01-04T00:00:00.123456Z", kJan4th2023 + 123'456, false},
      {"2023-01-04T00:00:00.1234560Z", kJan4th2023 + 123'456, false},
      {"2023-01-04T00:00:00.1234567Z", kJan4th2023 + 123'456, true},
      {"2023-01-04T00:00:00.12345600", kJan4th2023 + 123'456, false},
      {"2023-01-04T00:00:00.123456009", kJan4th2023 + 123'456, true},
      {"2023-01-04T00:00:00.000000001Z", kJan4th2023, true},
      {"2023-01-04T00:00:00.999999999+01:00", kJan4th2023 - 3600 * kSec + 999'999, true},
      {"1970-01-01", 0, false},
      {"1970-01-01T00:00:00.000001Z", 1, false},
      {"1969-12-31T23:59:59.999999Z", -1, false},
      {"1969-12-31T23:59:59.5Z", -500'000, false},
      {"1969-12-31T23:59:59.9999999Z", -1, true},  // floor, not truncation toward zero
      {"1970-01-01T01:00:00+01:00", 0, false},
      {"2000-02-29T12:00:00Z", 951'825'600 * kSec, false},
      {"2024-02-29", 1'709'164'800 * kSec, false},
      {"1900-03-01", -2'203'891'200 * kSec, false},
      {"0001-01-01", kYear1Start, false},
      {"9999-12-31T23:59:59.999999Z", kYear9999End, false},
      // The range rule applies to the UTC instant, after the offset: the text's year does not decide it.
      {"0001-01-01T01:00:00+01:00", kYear1Start, false},
      {"0001-01-01T14:00:00+14:00", kYear1Start, false},
      {"0000-12-31T23:30:00-01:00", kYear1Start + 1800 * kSec, false},
      {"9999-12-31T22:59:59.999999-01:00", kYear9999End, false},
      {"9999-12-31T10:00:00-13:59", kYear9999End + 1 - 60 * kSec, false},
  };
  for (const ValidCase& c : cases) {
    SCOPED_TRACE(c.text);
    const auto p = parse_iso8601(c.text);
    ASSERT_TRUE(p.has_value());
    EXPECT_EQ(p->micros, c.micros);
    EXPECT_EQ(p->sub_micro_digits, c.sub_micro);
  }
}

TEST(ParseIso8601, RejectsInvalidForms) {
  const char* cases[] = {
      "", "2023", "2023-01", "2023-1-4", "2023-01-4", "2023-1-04", "23-01-04", "02023-01-04", "2023/01/04",
      "20230104", "-2023-01-04", "+2023-01-04", "10000-01-01", "0000-01-01", "0000-12-31",
      "2023-00-10", "2023-13-01", "2023-01-00", "2023-01-32", "2023-02-29", "1900-02-29", "2100-02-29",
      "2023-04-31", "2023-06-31", "2023-02-30", "2024-02-30",
      " 2023-01-04", "2023-01-04 ", "2023-01-04T", "2023-01-04Z", "2023-01-04x12:00", "2023-01-04_12:00",
      "2023-01-04T12", "2023-01-04T1:00", "2023-01-04T12:0", "2023-01-04T12:00:", "2023-01-04T12:00:0",
      "2023-01-04T12-00", "2023-01-04T12:00.5", "2023-01-04T24:00", "2023-01-04T24:00:00Z",
      "2023-01-04T12:60", "2023-01-04T12:00:60", "2023-12-31T23:59:60Z", "2023-01-04T99:00",
      "2023-01-04T12:00:00.", "2023-01-04T12:00:00.Z", "2023-01-04T12:00:00.1234567890",
      "2023-01-04T12:00:00.1234567890Z", "2023-01-04T12:00:00,5Z", "2023-01-04T12:00:00.-5",
      "2023-01-04T12:00:00Zjunk", "2023-01-04T12:00:00ZZ", "2023-01-04T12:00:00 ", "2023-01-04T12:00:00 Z",
      "2023-01-04T12:00:00UTC", "2023-01-04T12:00:00GMT", "2023-01-04T12:00:00+", "2023-01-04T12:00:00-",
      "2023-01-04T12:00:00+5", "2023-01-04T12:00:00+5:00", "2023-01-04T12:00:00+05:", "2023-01-04T12:00:00+05:3",
      "2023-01-04T12:00:00+053", "2023-01-04T12:00:00+05:30:00", "2023-01-04T12:00:00+05:30Z",
      "2023-01-04T12:00:00+24:00", "2023-01-04T12:00:00+05:60", "2023-01-04T12:00:00-99",
      "2023-01-04T12:00:00+05-30", "2023-01-04T12:00:00+0530junk", "２０２３-01-04",
  };
  for (const char* text : cases) {
    SCOPED_TRACE(text);
    EXPECT_FALSE(parse_iso8601(text).has_value());
  }
  EXPECT_FALSE(parse_iso8601(std::string("2023-01-04\0", 11)).has_value());
}

// The year-0 bug: "0001-01-01T00:00:00+01:00" has a year-1 text but names 0000-12-31T23:00:00Z, an instant the
// WAL refuses to read. Every text whose instant falls outside 0001..9999 UTC is refused, whatever its fields say.
TEST(ParseIso8601, RefusesInstantsOutsideTheRangeAfterTheOffset) {
  const char* cases[] = {
      "0001-01-01T00:00:00+01:00", "0001-01-01T00:59:59.999999+01:00", "0001-01-01T13:59:59+14:00",
      "0001-01-01T00:00+23:59",    "0001-01-01 00:00:00+0001",         "0000-12-31T23:59:59.999999Z",
      "0000-12-31T23:00:00+00:00", "9999-12-31T23:59:59-00:01",         "9999-12-31T23:00:00-01:00",
      "9999-12-31T10:00:00-14:00", "9999-12-31T00:01:00-23:59",
  };
  for (const char* text : cases) {
    SCOPED_TRACE(text);
    EXPECT_FALSE(parse_iso8601(text).has_value());
  }
  // The neighbours one microsecond inside are accepted.
  ASSERT_TRUE(parse_iso8601("0001-01-01T01:00:00.000000+01:00").has_value());
  EXPECT_EQ(parse_iso8601("0001-01-01T01:00:00+01:00")->micros, kYear1Start);
  EXPECT_EQ(parse_iso8601("9999-12-31T22:59:59.999999-01:00")->micros, kYear9999End);
  EXPECT_TRUE(within_utc_limits(kYear1Start));
  EXPECT_TRUE(within_utc_limits(kYear9999End));
  EXPECT_FALSE(within_utc_limits(kYear1Start - 1));
  EXPECT_FALSE(within_utc_limits(kYear9999End + 1));
  EXPECT_FALSE(parse_iso8601(std::string("2023-01-04T12:00:00Z\0", 21)).has_value());
}

TEST(FormatIso8601, KnownValues) {
  EXPECT_EQ(format_iso8601(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(format_iso8601(kJan4th2023), "2023-01-04T00:00:00Z");
  EXPECT_EQ(format_iso8601(kJan4th2023 + 123), "2023-01-04T00:00:00.000123Z");
  EXPECT_EQ(format_iso8601(kJan4th2023 + 500'000), "2023-01-04T00:00:00.500000Z");
  EXPECT_EQ(format_iso8601(-1), "1969-12-31T23:59:59.999999Z");
  EXPECT_EQ(format_iso8601(-kSec), "1969-12-31T23:59:59Z");
  EXPECT_EQ(format_iso8601(-kDay), "1969-12-31T00:00:00Z");
  EXPECT_EQ(format_iso8601(kYear1Start), "0001-01-01T00:00:00Z");
  EXPECT_EQ(format_iso8601(kYear9999End), "9999-12-31T23:59:59.999999Z");
  EXPECT_EQ(format_iso8601(951'825'600 * kSec), "2000-02-29T12:00:00Z");
  std::string out = "at=";
  append_iso8601(out, 1);
  EXPECT_EQ(out, "at=1970-01-01T00:00:00.000001Z");
}

// The renderer keeps its last text: a repeat, an alternation and a string already holding text all come out right.
TEST(FormatIso8601, RepeatedAndAlternatingInstants) {
  for (int round = 0; round < 3; ++round) {
    EXPECT_EQ(format_iso8601(kJan4th2023 + 123), "2023-01-04T00:00:00.000123Z");
    EXPECT_EQ(format_iso8601(kJan4th2023 + 123), "2023-01-04T00:00:00.000123Z");
    std::string out = "at=";
    append_iso8601(out, kJan4th2023 + 123);
    EXPECT_EQ(out, "at=2023-01-04T00:00:00.000123Z");
    EXPECT_EQ(format_iso8601(0), "1970-01-01T00:00:00Z");
    EXPECT_EQ(format_iso8601(kJan4th2023 + 124), "2023-01-04T00:00:00.000124Z");
  }
}

// The text by libc's gmtime_r: an oracle independent of our calendar math (and of the renderer's per-day cache).
std::string gmtime_text(UtcMicros at) {
  const std::int64_t seconds = at >= 0 || at % kSec == 0 ? at / kSec : at / kSec - 1;
  const std::int64_t fraction = at - seconds * kSec;
  const std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  if (gmtime_r(&t, &tm) == nullptr) return "gmtime failed";
  char text[64];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &tm);
  std::string out = text;
  if (fraction != 0) {
    char digits[16];
    std::snprintf(digits, sizeof digits, ".%06lld", static_cast<long long>(fraction));
    out += digits;
  }
  return out + "Z";
}

// The renderer keeps the date part of the last day it wrote: every change of day must render a new one. Walks
// instants around midnights that change the day, the month, a leap day (2000, 2024; 2100 has none) and the year,
// forwards, backwards and alternating between days, against gmtime_r.
TEST(FormatIso8601, DayChangesLeapDaysAndYearBoundaries) {
  const UtcMicros midnights[] = {
      0,                          // 1970-01-01 (and 1969-12-31 before it)
      951'782'400 * kSec,         // 2000-02-29 (leap: divisible by 400)
      951'868'800 * kSec,         // 2000-03-01
      1'709'164'800 * kSec,       // 2024-02-29
      1'709'251'200 * kSec,       // 2024-03-01
      1'704'067'200 * kSec,       // 2024-01-01 (2023-12-31 before it)
      4'107'542'400 * kSec,       // 2100-03-01 (2100-02-28 before it: no leap day)
      kJan4th2023,
  };
  const std::int64_t around[] = {-kDay, -kSec, -1, 0, 1, kSec, 12 * 3600 * kSec, kDay - 1, kDay};
  for (UtcMicros midnight : midnights) {
    for (std::int64_t delta : around) {
      const UtcMicros at = midnight + delta;
      EXPECT_EQ(format_iso8601(at), gmtime_text(at)) << at;
    }
    for (int k = static_cast<int>(std::size(around)) - 1; k >= 0; --k) {
      const UtcMicros at = midnight + around[k];
      EXPECT_EQ(format_iso8601(at), gmtime_text(at)) << at;
    }
    // Alternating between two days, each instant different (the last-instant cache does not answer).
    for (int k = 0; k < 4; ++k) {
      EXPECT_EQ(format_iso8601(midnight - 1 - k), gmtime_text(midnight - 1 - k));
      EXPECT_EQ(format_iso8601(midnight + k), gmtime_text(midnight + k));
    }
  }
  EXPECT_EQ(format_iso8601(4'107'542'400 * kSec - 1), "2100-02-28T23:59:59.999999Z");
  EXPECT_EQ(format_iso8601(1'709'164'800 * kSec + 1), "2024-02-29T00:00:00.000001Z");
  std::string out = "x";
  append_iso8601(out, 1'704'067'200 * kSec - kSec);
  append_iso8601(out, 1'704'067'200 * kSec);
  EXPECT_EQ(out, "x2023-12-31T23:59:59Z2024-01-01T00:00:00Z");
}

// Random instants over 1900..2200 in random order (days change on nearly every call) against gmtime_r.
TEST(FormatIso8601, RandomInstantsAgainstGmtime) {
  std::mt19937_64 rng(20261201);
  std::uniform_int_distribution<std::int64_t> seconds(-2'208'988'800, 7'258'118'400);  // 1900..2200
  std::uniform_int_distribution<std::int64_t> micros(0, kSec - 1);
  for (int i = 0; i < 20'000; ++i) {
    const UtcMicros at = seconds(rng) * kSec + (i % 2 == 0 ? 0 : micros(rng));
    ASSERT_EQ(format_iso8601(at), gmtime_text(at)) << at;
  }
}

TEST(FormatIso8601, ExtremeInstantsDoNotCrash) {
  // Outside the accepted years the text is not re-parseable, but formatting must stay well defined.
  const UtcMicros extremes[] = {INT64_MIN, INT64_MIN + 1, INT64_MAX, kYear1Start - 1, kYear9999End + 1};
  for (UtcMicros at : extremes) {
    const std::string s = format_iso8601(at);
    EXPECT_GE(s.size(), 20u);
    EXPECT_EQ(s.back(), 'Z');
  }
  EXPECT_EQ(format_iso8601(kYear1Start - 1), "0000-12-31T23:59:59.999999Z");
  EXPECT_EQ(format_iso8601(kYear9999End + 1), "10000-01-01T00:00:00Z");
}

// Walks the calendar one day at a time with a deliberately naive model and checks that every date parses to
// the previous date plus one day and formats back to itself.
TEST(CalendarMath, EveryDayFromYear1To9999) {
  auto leap = [](int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; };
  const int lengths[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  UtcMicros expected = kYear1Start;
  char text[32];
  std::int64_t days = 0;
  for (int y = 1; y <= 9999; ++y) {
    for (int m = 1; m <= 12; ++m) {
      const int len = lengths[m - 1] + (m == 2 && leap(y) ? 1 : 0);
      for (int d = 1; d <= len; ++d) {
        std::snprintf(text, sizeof text, "%04d-%02d-%02d", y, m, d);
        const auto p = parse_iso8601(text);
        ASSERT_TRUE(p.has_value()) << text;
        ASSERT_EQ(p->micros, expected) << text;
        ASSERT_EQ(format_iso8601(expected), std::string(text) + "T00:00:00Z");
        expected += kDay;
        ++days;
      }
      std::snprintf(text, sizeof text, "%04d-%02d-%02d", y, m, len + 1);
      ASSERT_FALSE(parse_iso8601(text).has_value()) << text;
    }
  }
  EXPECT_EQ(days, 3'652'059);
  EXPECT_EQ(expected, kYear9999End + 1);
}

TEST(RoundTrip, RandomInstantsAcrossAllYears) {
  std::mt19937_64 rng(0x7A11'2024);
  std::uniform_int_distribution<UtcMicros> pick(kYear1Start, kYear9999End);
  for (int i = 0; i < 200'000; ++i) {
    // Half the samples on whole seconds, so both output shapes are exercised.
    UtcMicros at = pick(rng);
    if (i % 2 == 0) at -= ((at % kSec) + kSec) % kSec;
    const std::string text = format_iso8601(at);
    ASSERT_EQ(text.size(), at % kSec == 0 ? 20u : 27u) << text;
    const auto p = parse_iso8601(text);
    ASSERT_TRUE(p.has_value()) << text;
    ASSERT_EQ(p->micros, at) << text;
    ASSERT_FALSE(p->sub_micro_digits);
  }
}

// Writes the same instant as local time at a random offset; parsing must give back the UTC instant.
TEST(RoundTrip, RandomInstantsWithOffsets) {
  std::mt19937_64 rng(42);
  std::uniform_int_distribution<UtcMicros> pick(kYear1Start + kDay, kYear9999End - kDay);
  std::uniform_int_distribution<int> hours(0, 23), minutes(0, 59), style(0, 3);
  for (int i = 0; i < 50'000; ++i) {
    const UtcMicros at = pick(rng);
    const int h = hours(rng), m = minutes(rng), s = style(rng);
    const bool west = rng() & 1;
    const std::int64_t offset = (west ? -1 : 1) * (h * 3600 + (s == 2 ? 0 : m * 60)) * kSec;
    std::string text = format_iso8601(at + offset);
    text.pop_back();  // drop 'Z'
    char zone[32];
    const char sign = west ? '-' : '+';
    if (s == 0) std::snprintf(zone, sizeof zone, "%c%02d:%02d", sign, h, m);
    if (s == 1) std::snprintf(zone, sizeof zone, "%c%02d%02d", sign, h, m);
    if (s == 2) std::snprintf(zone, sizeof zone, "%c%02d", sign, h);
    if (s == 3) std::snprintf(zone, sizeof zone, "%c%02d:%02d", sign, h, m);
    if (s == 3) text[10] = ' ';
    text += zone;
    const auto p = parse_iso8601(text);
    ASSERT_TRUE(p.has_value()) << text;
    ASSERT_EQ(p->micros, at) << text;
  }
}

TEST(UtcNow, TracksTheSystemClock) {
  const UtcMicros now = utc_now_micros();
  const std::int64_t c_now = static_cast<std::int64_t>(std::time(nullptr)) * kSec;
  EXPECT_GT(now, parse_iso8601("2020-01-01")->micros);
  EXPECT_LT(now, parse_iso8601("2200-01-01")->micros);
  EXPECT_LT(std::llabs(now - c_now), 5 * kSec);
  EXPECT_LE(now, utc_now_micros() + kSec);
}

}  // namespace
}  // namespace tally
