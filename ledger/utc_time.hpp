// Time is an explicit UTC instant in microseconds since the Unix epoch; no local time anywhere.
// Parses the ISO 8601 forms the API accepts and prints the one form it answers with.
#pragma once

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

// Accepts, for years 0001..9999:
//   YYYY-MM-DD                                   (midnight UTC)
//   YYYY-MM-DDTHH:MM[:SS[.f{1,9}]][Z|z|+HH:MM|-HH:MM|+HHMM|-HHMM|+HH|-HH]   ('T', 't' or ' ' separator)
// A time without zone is UTC. Rejects out-of-range fields (month 13, Feb 30, hour 24, ...). Leap second 60 rejected.
std::optional<ParsedTime> parse_iso8601(std::string_view text);

// "2023-01-04T00:00:00Z", or with 6 fractional digits ("...00.000123Z") when micros are not whole seconds.
void append_iso8601(std::string& out, UtcMicros at);
std::string format_iso8601(UtcMicros at);

UtcMicros utc_now_micros();

}  // namespace tally
