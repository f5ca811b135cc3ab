// ISO 8601 text <-> UTC microseconds since the Unix epoch, with our own proleptic Gregorian day arithmetic.
// Strict positional parser: every field has a fixed width, so "2023-1-4" and trailing junk are rejected.
#include "ledger/utc_time.hpp"

#include <chrono>
#include <cstddef>
#include <cstring>

#include "ledger/limits.hpp"

namespace tally {
namespace {

constexpr std::int64_t micros_per_second = 1'000'000;
constexpr std::int64_t micros_per_day = 86'400 * micros_per_second;

// Floor division and matching modulo, so instants before 1970 land on the right day and second.
constexpr std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}
// Not written as a - floor_div(a, b) * b: that product overflows for a near INT64_MIN.
constexpr std::int64_t floor_mod(std::int64_t a, std::int64_t b) {
  const std::int64_t r = a % b;
  return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r;
}

constexpr bool is_leap(std::int64_t y) { return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0); }

constexpr int days_in_month(std::int64_t y, int m) {
  constexpr int lengths[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : lengths[m - 1];
}

// Counting years from March makes Feb 29 the last day of a "year", so leap days never shift the month table.
// Offsets of each month's first day from March 1st, in March-first order.
constexpr int march_month_start[12] = {0, 31, 61, 92, 122, 153, 184, 214, 245, 275, 306, 337};
constexpr std::int64_t days_per_400_years = 146'097;

// Days from 0000-03-01 to March 1st of March-year y (y may be negative).
constexpr std::int64_t march_year_start(std::int64_t y) {
  return 365 * y + floor_div(y, 4) - floor_div(y, 100) + floor_div(y, 400);
}

constexpr std::int64_t days_since_0000_03_01(std::int64_t y, int m, int d) {
  const std::int64_t march_year = m <= 2 ? y - 1 : y;
  const int march_month = m <= 2 ? m + 9 : m - 3;
  return march_year_start(march_year) + march_month_start[march_month] + (d - 1);
}

constexpr std::int64_t epoch_offset_days = days_since_0000_03_01(1970, 1, 1);

constexpr std::int64_t days_from_civil(std::int64_t y, int m, int d) {
  return days_since_0000_03_01(y, m, d) - epoch_offset_days;
}
static_assert(days_from_civil(1970, 1, 1) == 0, "epoch");
static_assert(days_from_civil(2000, 3, 1) == 11'017, "known day number");

struct Civil {
  std::int64_t year;
  int month;
  int day;
};

Civil civil_from_days(std::int64_t days) {
  const std::int64_t n = days + epoch_offset_days;
  const std::int64_t cycle = floor_div(n, days_per_400_years);
  const std::int64_t in_cycle = n - cycle * days_per_400_years;  // [0, 146096]
  // A year has at most 366 days, so this undershoots by at most a year or two; walk forward to the exact one.
  std::int64_t year_in_cycle = in_cycle / 366;
  while (march_year_start(year_in_cycle + 1) <= in_cycle) ++year_in_cycle;
  const int day_of_year = static_cast<int>(in_cycle - march_year_start(year_in_cycle));
  int march_month = 11;
  while (march_month_start[march_month] > day_of_year) --march_month;

  Civil c{};
  c.day = day_of_year - march_month_start[march_month] + 1;
  c.month = march_month < 10 ? march_month + 3 : march_month - 9;
  c.year = cycle * 400 + year_in_cycle + (c.month <= 2 ? 1 : 0);
  return c;
}

// Reads exactly `width` ASCII digits at `pos`; false if the text is shorter or any char is not a digit.
bool read_fixed(std::string_view text, std::size_t& pos, std::size_t width, int& value) {
  if (text.size() - pos < width) return false;
  int v = 0;
  for (std::size_t k = 0; k < width; ++k) {
    const char c = text[pos + k];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  value = v;
  pos += width;
  return true;
}

bool read_char(std::string_view text, std::size_t& pos, char expected) {
  if (pos >= text.size() || text[pos] != expected) return false;
  ++pos;
  return true;
}

// Parses the zone suffix starting at pos (which may be the end); fills the offset east of UTC in seconds.
bool read_zone(std::string_view text, std::size_t& pos, std::int64_t& offset_seconds) {
  offset_seconds = 0;
  if (pos == text.size()) return true;
  const char c = text[pos];
  if (c == 'Z' || c == 'z') {
    ++pos;
    return true;
  }
  if (c != '+' && c != '-') return false;
  ++pos;
  int hours = 0;
  int minutes = 0;
  if (!read_fixed(text, pos, 2, hours)) return false;
  if (pos < text.size()) {
    read_char(text, pos, ':');  // "+HH:MM" and "+HHMM" differ only by the colon
    if (!read_fixed(text, pos, 2, minutes)) return false;
  }
  if (hours > 23 || minutes > 59) return false;
  offset_seconds = (hours * 3600 + minutes * 60) * (c == '-' ? -1 : 1);
  return true;
}

// The longest text append_iso8601 writes: a sign, a 64-bit year's 19 digits, "-MM-DDTHH:MM:SS.ffffffZ".

// Writes value (>= 0) in at least `width` digits, zero-padded, at `at`; returns the end. A timestamp is rendered
// into a stack buffer and appended once (a batch answer renders one per item): no capacity check per character.
char* put_digits(char* at, std::int64_t value, int width) {  // a year beyond 9999
  char buf[24];
  int len = 0;
  do {
    buf[len++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0);
  for (int k = len; k < width; ++k) *at++ = '0';
  while (len > 0) *at++ = buf[--len];
  return at;
}

char* put_two_digits(char* at, std::int64_t value) {
  at[0] = static_cast<char>('0' + value / 10);
  at[1] = static_cast<char>('0' + value % 10);
  return at + 2;
}

}  // namespace

std::optional<ParsedTime> parse_iso8601(std::string_view text) {
  std::size_t pos = 0;
  int year = 0, month = 0, day = 0;
  if (!read_fixed(text, pos, 4, year) || !read_char(text, pos, '-') || !read_fixed(text, pos, 2, month) ||
      !read_char(text, pos, '-') || !read_fixed(text, pos, 2, day)) {
    return std::nullopt;
  }
  // Year 0000 is a valid text (RFC 3339): whether the instant lies in range is decided after the offset.
  if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month)) return std::nullopt;

  int hour = 0, minute = 0, second = 0;
  std::int64_t fraction_micros = 0;
  bool sub_micro = false;
  std::int64_t offset_seconds = 0;
  if (pos < text.size()) {
    const char sep = text[pos++];
    if (sep != 'T' && sep != 't' && sep != ' ') return std::nullopt;
    if (!read_fixed(text, pos, 2, hour) || !read_char(text, pos, ':') || !read_fixed(text, pos, 2, minute)) {
      return std::nullopt;
    }
    if (read_char(text, pos, ':')) {
      if (!read_fixed(text, pos, 2, second)) return std::nullopt;
      if (read_char(text, pos, '.')) {
        std::size_t digits = 0;
        while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9' && digits < 9) {
          const int d = text[pos] - '0';
          if (digits < 6) {
            fraction_micros = fraction_micros * 10 + d;
          } else if (d != 0) {
            sub_micro = true;
          }
          ++digits;
          ++pos;
        }
        if (digits == 0) return std::nullopt;
        for (std::size_t k = digits; k < 6; ++k) fraction_micros *= 10;
      }
    }
    if (hour > 23 || minute > 59 || second > 59) return std::nullopt;
    if (!read_zone(text, pos, offset_seconds)) return std::nullopt;
    if (pos != text.size()) return std::nullopt;  // a 10th fractional digit lands here too
  }

  const std::int64_t local_seconds =
      days_from_civil(year, month, day) * 86'400 + hour * 3600 + minute * 60 + second;
  ParsedTime parsed;
  parsed.micros = (local_seconds - offset_seconds) * micros_per_second + fraction_micros;
  parsed.sub_micro_digits = sub_micro;
  // The fact is the instant: a text in range can still name an instant outside it once its offset is applied.
  if (!within_utc_limits(parsed.micros)) return std::nullopt;
  return parsed;
}

bool within_utc_limits(UtcMicros at) { return at >= limits::utc_micros_min && at <= limits::utc_micros_max; }

namespace {

// The longest "YYYY-MM-DDT" put_iso8601 writes: a sign, a 64-bit year's 19 digits, "-MM-DDT".
constexpr std::size_t iso8601_day_chars_max = 1 + 19 + 7;

// Writes the date part of `days` (since 1970-01-01) and the 'T' at `at`; returns the end.
char* put_day_prefix(char* at, std::int64_t days) {
  const Civil c = civil_from_days(days);
  // Only reachable for instants outside 0001..9999; print them unambiguously rather than truncating.
  if (c.year < 0) *at++ = '-';
  const std::int64_t year = c.year < 0 ? -c.year : c.year;
  if (year < 10'000) {
    at = put_two_digits(at, year / 100);
    at = put_two_digits(at, year % 100);
  } else {
    at = put_digits(at, year, 4);
  }
  *at++ = '-';
  at = put_two_digits(at, c.month);
  *at++ = '-';
  at = put_two_digits(at, c.day);
  *at++ = 'T';
  return at;
}

}  // namespace

char* put_iso8601(char* out, UtcMicros at) {
  // Most items of a batch carry one instant (the server's clock when it was read): the last text is kept.
  thread_local UtcMicros last_at = 0;
  thread_local char last_text[iso8601_chars_max];
  thread_local std::size_t last_bytes = 0;  // 0: nothing kept yet
  if (last_bytes != 0 && last_at == at) {
    std::memcpy(out, last_text, last_bytes);
    return out + last_bytes;
  }
  // Answers of one thread mostly fall on one day (the server's clock): the date part, whose calendar math is
  // most of the cost, is kept per day and rendered again only when the day changes.
  thread_local std::int64_t prefix_day = 0;
  thread_local char prefix_text[iso8601_day_chars_max];
  thread_local std::size_t prefix_bytes = 0;  // 0: nothing kept yet
  const std::int64_t days = floor_div(at, micros_per_day);
  if (prefix_bytes == 0 || prefix_day != days) {
    prefix_bytes = static_cast<std::size_t>(put_day_prefix(prefix_text, days) - prefix_text);
    prefix_day = days;
  }
  const std::int64_t micros_of_day = floor_mod(at, micros_per_day);
  const std::int64_t seconds_of_day = micros_of_day / micros_per_second;
  const std::int64_t fraction = micros_of_day % micros_per_second;

  char text[iso8601_chars_max];
  std::memcpy(text, prefix_text, prefix_bytes);
  char* at_char = text + prefix_bytes;
  at_char = put_two_digits(at_char, seconds_of_day / 3600);
  *at_char++ = ':';
  at_char = put_two_digits(at_char, seconds_of_day / 60 % 60);
  *at_char++ = ':';
  at_char = put_two_digits(at_char, seconds_of_day % 60);
  if (fraction != 0) {
    *at_char++ = '.';
    at_char = put_two_digits(at_char, fraction / 10'000);
    at_char = put_two_digits(at_char, fraction / 100 % 100);
    at_char = put_two_digits(at_char, fraction % 100);
  }
  *at_char++ = 'Z';
  last_bytes = static_cast<std::size_t>(at_char - text);
  std::memcpy(last_text, text, last_bytes);
  last_at = at;
  std::memcpy(out, text, last_bytes);
  return out + last_bytes;
}

void append_iso8601(std::string& out, UtcMicros at) {
  char text[iso8601_chars_max];
  out.append(text, static_cast<std::size_t>(put_iso8601(text, at) - text));
}

std::string format_iso8601(UtcMicros at) {
  std::string out;
  append_iso8601(out, at);
  return out;
}

UtcMicros utc_now_micros() {
  using namespace std::chrono;
  return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace tally
