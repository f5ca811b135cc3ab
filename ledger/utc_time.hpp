// Time is an explicit UTC instant in microseconds since the Unix epoch; no local time anywhere.
// Parses the ISO 8601 forms the API accepts and prints the one form it answers with.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tally {

using UtcMicros = std::int64_t;

struct ParsedTime {
  UtcMicros micros = 0;
  bool sub_micro_digits = false;  // the text had non-zero digits past the 6th fractional place (dropped: floor)
};

// True for the instants Tally stores and answers with: limits::utc_micros_min..utc_micros_max, i.e.
// 0001-01-01T00:00:00Z..9999-12-31T23:59:59.999999Z. The one range rule for every instant, checked on the instant.
bool within_utc_limits(UtcMicros at);

// Accepts
//   YYYY-MM-DD                                   (midnight UTC)
//   YYYY-MM-DDTHH:MM[:SS[.f{1,9}]][Z|z|+HH:MM|-HH:MM|+HHMM|-HHMM|+HH|-HH]   ('T', 't' or ' ' separator)
// when the UTC instant it names is within_utc_limits: the range is checked after the offset is applied, so
// "0001-01-01T00:00:00+01:00" (year 0 in UTC) is refused and "0000-12-31T23:30:00-01:00" accepted.
// A time without zone is UTC. Rejects out-of-range fields (month 13, Feb 30, hour 24, ...). Leap second 60 rejected.
std::optional<ParsedTime> parse_iso8601(std::string_view text);

// "2023-01-04T00:00:00Z", or with 6 fractional digits ("...00.000123Z") when micros are not whole seconds.
void append_iso8601(std::string& out, UtcMicros at);
// The same text written at `out` (room for iso8601_chars_max bytes); returns the end of what it wrote.
inline constexpr std::size_t iso8601_chars_max = 1 + 19 + 23;
char* put_iso8601(char* out, UtcMicros at);
std::string format_iso8601(UtcMicros at);

UtcMicros utc_now_micros();

}  // namespace tally
