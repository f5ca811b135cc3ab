// Exact decimal text <-> integer minor units (cents) for amounts and balances.
// Pure integer arithmetic: no floats, no locale, no overflow on arbitrarily long input.
#include "ledger/money.hpp"

#include <cstddef>
#include <cstring>

#include "ledger/limits.hpp"

namespace tally {
namespace {

constexpr MinorUnits minor_per_unit = 100;
// The longest text append_minor_units writes: "-92233720368547758.08" (21 characters).
static_assert(limits::amount_fraction_digits == 2, "minor_per_unit and the fraction parser assume cents");

bool is_digit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

AmountParse parse_amount(std::string_view text) {
  const std::size_t n = text.size();
  std::size_t i = 0;
  while (i < n && is_digit(text[i])) ++i;
  const std::size_t int_end = i;
  if (int_end == 0) return {AmountError::not_decimal, 0};

  std::size_t frac_begin = n;
  if (i < n) {
    if (text[i] != '.') return {AmountError::not_decimal, 0};
    frac_begin = ++i;
    while (i < n && is_digit(text[i])) ++i;
    if (i == frac_begin || i != n) return {AmountError::not_decimal, 0};
  }

  // Shape is valid; a non-zero digit beyond the cents is a precision the ledger cannot hold.
  MinorUnits cents = 0;
  for (std::size_t k = frac_begin; k < n; ++k) {
    const int digit = text[k] - '0';
    const std::size_t place = k - frac_begin;
    if (place < static_cast<std::size_t>(limits::amount_fraction_digits)) {
      cents += digit * (place == 0 ? 10 : 1);
    } else if (digit != 0) {
      return {AmountError::too_many_fraction_digits, 0};
    }
  }

  // Stop accumulating as soon as the whole part alone is out of range, so 10^30 cannot wrap around.
  MinorUnits units = 0;
  for (std::size_t k = 0; k < int_end; ++k) {
    units = units * 10 + (text[k] - '0');
    if (units > limits::amount_minor_max / minor_per_unit) return {AmountError::too_large, 0};
  }
  const MinorUnits minor = units * minor_per_unit + cents;
  if (minor == 0) return {AmountError::not_positive, 0};
  if (minor > limits::amount_minor_max) return {AmountError::too_large, 0};
  return {AmountError::none, minor};
}

const char* describe(AmountError error) {
  switch (error) {
    case AmountError::none:
      return "ok";
    case AmountError::not_decimal:
      return "amount must be a plain decimal number such as \"12\" or \"12.34\"";
    case AmountError::too_many_fraction_digits: {
      static const std::string text = "amount has more than " + std::to_string(limits::amount_fraction_digits) +
                                      " significant fractional digits";
      return text.c_str();
    }
    case AmountError::not_positive:
      return "amount must be greater than zero";
    case AmountError::too_large:
      return "amount is above the maximum allowed";
  }
  return "invalid amount";
}

char* put_minor_units(char* out, MinorUnits value) {
  // Written backwards into a stack buffer, then copied forwards: every balance and transaction answer renders one.
  char text[minor_units_chars_max];
  char* p = text + sizeof text;
  // Negate in unsigned arithmetic: -INT64_MIN does not fit an int64.
  std::uint64_t magnitude = static_cast<std::uint64_t>(value);
  if (value < 0) magnitude = 0 - magnitude;
  const std::uint64_t cents = magnitude % 100;
  std::uint64_t whole = magnitude / 100;
  *--p = static_cast<char>('0' + cents % 10);
  *--p = static_cast<char>('0' + cents / 10);
  *--p = '.';
  do {
    *--p = static_cast<char>('0' + whole % 10);
    whole /= 10;
  } while (whole != 0);
  if (value < 0) *--p = '-';
  const std::size_t bytes = static_cast<std::size_t>(text + sizeof text - p);
  std::memcpy(out, p, bytes);
  return out + bytes;
}

void append_minor_units(std::string& out, MinorUnits value) {
  char text[minor_units_chars_max];
  out.append(text, static_cast<std::size_t>(put_minor_units(text, value) - text));
}

std::string format_minor_units(MinorUnits value) {
  std::string out;
  append_minor_units(out, value);
  return out;
}

}  // namespace tally
