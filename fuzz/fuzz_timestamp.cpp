// libFuzzer target: timestamps. parse_iso8601 and parse_query_date on arbitrary text: whatever they accept is
// an instant within_utc_limits, consistent with the text's own date, and formats to text that parses back to it.
// The first bytes also pick an instant and a zone offset: the same instant written in any zone parses to
// itself when it is in range and is refused when it is not (the year-0 bug: the range is the instant's).
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "fuzz_check.hpp"
#include "ledger/limits.hpp"
#include "ledger/utc_time.hpp"
#include "rest/request_parse.hpp"

namespace {

using namespace tally;

constexpr std::int64_t micros_per_second = 1'000'000;
constexpr std::int64_t seconds_per_day = 86'400;
constexpr std::int64_t offset_minutes_max = 23 * 60 + 59;  // what the parser accepts: +-HH:MM with HH <= 23

// The era-based civil-to-days formula, independent of utc_time.cpp's March-year tables.
std::int64_t oracle_days(std::int64_t y, int m, int d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const std::int64_t yoe = y - era * 400;
  const std::int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  return era * 146'097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719'468;
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

int two(std::string_view t, std::size_t at) { return (t[at] - '0') * 10 + (t[at + 1] - '0'); }

void check_accepted(std::string_view text, const ParsedTime& parsed) {
  FUZZ_CHECK(within_utc_limits(parsed.micros), "accepted an instant outside the limits: " + std::string(text));
  // Whatever else the text says, it starts with its local date, which is within a day (time of day, offset).
  FUZZ_CHECK(text.size() >= 10, "accepted a text shorter than a date");
  const int year = two(text, 0) * 100 + two(text, 2);
  const std::int64_t local_day_start = oracle_days(year, two(text, 5), two(text, 8)) * seconds_per_day;
  const std::int64_t seconds = floor_div(parsed.micros, micros_per_second) - local_day_start;
  FUZZ_CHECK(seconds > -seconds_per_day && seconds < 2 * seconds_per_day,
             "instant " + format_iso8601(parsed.micros) + " is not near the text's date: " + std::string(text));
  FUZZ_CHECK(!parsed.sub_micro_digits || text.find('.') != std::string_view::npos, "sub-micro digits without '.'");
  const std::string formatted = format_iso8601(parsed.micros);
  const std::optional<ParsedTime> back = parse_iso8601(formatted);
  FUZZ_CHECK(back && back->micros == parsed.micros && !back->sub_micro_digits, "format does not parse back");
  FUZZ_CHECK(format_iso8601(back->micros) == formatted, "format is not canonical");
}

// `at` written as local time in a zone `offset_minutes` east of UTC, or "" when that local year has 5 digits.
std::string in_zone(UtcMicros at, std::int64_t offset_minutes) {
  std::string local = format_iso8601(at + offset_minutes * 60 * micros_per_second);
  if (local.size() < 5 || local[4] != '-') return "";  // year 10000 or a negative year: not ISO 8601 text
  local.pop_back();  // the 'Z'
  const std::int64_t magnitude = offset_minutes < 0 ? -offset_minutes : offset_minutes;
  char zone[8];
  std::snprintf(zone, sizeof zone, "%c%02d:%02d", offset_minutes < 0 ? '-' : '+', static_cast<int>(magnitude / 60),
                static_cast<int>(magnitude % 60));
  return local + zone;
}

void check_zones(const std::uint8_t* data, std::size_t size) {
  if (size < 12) return;
  std::uint64_t pick = 0;
  std::uint32_t zone_pick = 0;
  std::memcpy(&pick, data, sizeof pick);
  std::memcpy(&zone_pick, data + 8, sizeof zone_pick);
  const std::int64_t offset = static_cast<std::int64_t>(zone_pick % (2 * offset_minutes_max + 1)) - offset_minutes_max;
  // Half the picks land within two days of either end of the range, where the year-0 bug lived.
  const std::uint64_t span = static_cast<std::uint64_t>(limits::utc_micros_max - limits::utc_micros_min) + 1;
  const std::int64_t near = static_cast<std::int64_t>(pick % (4 * seconds_per_day * micros_per_second));
  UtcMicros at = 0;
  switch (pick >> 62) {
    case 0: at = limits::utc_micros_min - 2 * seconds_per_day * micros_per_second + near; break;
    case 1: at = limits::utc_micros_max - 2 * seconds_per_day * micros_per_second + near; break;
    default: at = limits::utc_micros_min + static_cast<std::int64_t>(pick % span); break;
  }
  const std::string text = in_zone(at, offset);
  if (text.empty()) return;
  const std::optional<ParsedTime> parsed = parse_iso8601(text);
  if (within_utc_limits(at)) {
    FUZZ_CHECK(parsed && parsed->micros == at, "an in-range instant written in a zone is refused or moved: " + text);
    const std::optional<UtcMicros> query = rest::parse_query_date(text);
    FUZZ_CHECK(query && *query == at, "?date= disagrees with the timestamp parser: " + text);
  } else {
    FUZZ_CHECK(!parsed, "an instant outside the limits was accepted: " + text + " = " + format_iso8601(parsed->micros));
    FUZZ_CHECK(!rest::parse_query_date(text), "?date= accepted an instant outside the limits: " + text);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = fuzz::as_text(data, size);
  const std::optional<ParsedTime> parsed = parse_iso8601(text);
  if (parsed) check_accepted(text, *parsed);

  const std::optional<UtcMicros> query = rest::parse_query_date(text);
  if (query) FUZZ_CHECK(within_utc_limits(*query), "?date= accepted an instant outside the limits");
  // Without percent escapes, '+' or spaces the query form is the timestamp form.
  if (text.find_first_of("%+ ") == std::string_view::npos) {
    FUZZ_CHECK(query.has_value() == parsed.has_value(), "?date= and the timestamp parser disagree");
    FUZZ_CHECK(!query || *query == parsed->micros, "?date= and the timestamp parser name different instants");
  }
  check_zones(data, size);
  return 0;
}
