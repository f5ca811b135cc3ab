// Money is an integer count of minor units (cents); text is parsed and printed exactly, never via floats.
// parse_amount accepts "12", "12.3", "12.30", "12.300" (extra zeros only); format prints exactly 2 decimals.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace tally {

using MinorUnits = std::int64_t;

enum class AmountError {
  none,
  not_decimal,           // empty, sign, exponent, letters, "1.", ".5", ...
  too_many_fraction_digits,  // a non-zero digit past the 2nd fractional place
  not_positive,          // zero (a leading '-' is not_decimal)
  too_large,             // above limits::amount_minor_max
};

struct AmountParse {
  AmountError error = AmountError::none;
  MinorUnits minor = 0;
};

// Parses a strictly positive decimal amount: digits, optionally '.' and at least one digit.
AmountParse parse_amount(std::string_view text);

// Human text for an AmountError, for API error messages.
const char* describe(AmountError error);

// Appends e.g. "0.00", "12.30", "-7.05" to out.
void append_minor_units(std::string& out, MinorUnits value);
// The same text written at `out` (room for minor_units_chars_max bytes); returns the end of what it wrote.
inline constexpr std::size_t minor_units_chars_max = 24;
char* put_minor_units(char* out, MinorUnits value);
std::string format_minor_units(MinorUnits value);

}  // namespace tally
