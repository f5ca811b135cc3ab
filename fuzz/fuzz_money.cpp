// libFuzzer target: money text. parse_amount is checked against an independent model (shape, fraction digits,
// range, error kind); every accepted amount formats to text that parses back to it; format_minor_units of any
// int64 (the first 8 bytes) matches the model's text, INT64_MIN included.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "fuzz_check.hpp"
#include "ledger/limits.hpp"
#include "ledger/money.hpp"

namespace {

using namespace tally;

bool digit(char c) { return c >= '0' && c <= '9'; }

// The rules of money.hpp, written out the slow, obvious way.
AmountParse model_parse(std::string_view text) {
  const std::size_t dot = text.find('.');
  const std::string_view whole = text.substr(0, dot);
  const std::string_view fraction = dot == std::string_view::npos ? std::string_view() : text.substr(dot + 1);
  if (whole.empty() || (dot != std::string_view::npos && fraction.empty())) return {AmountError::not_decimal, 0};
  for (char c : whole)
    if (!digit(c)) return {AmountError::not_decimal, 0};
  for (char c : fraction)
    if (!digit(c)) return {AmountError::not_decimal, 0};
  for (std::size_t k = 2; k < fraction.size(); ++k)
    if (fraction[k] != '0') return {AmountError::too_many_fraction_digits, 0};
  std::size_t first = 0;
  while (first + 1 < whole.size() && whole[first] == '0') ++first;
  if (whole.size() - first > 16) return {AmountError::too_large, 0};  // 10^16 units > any limit
  __int128 units = 0;
  for (std::size_t k = first; k < whole.size(); ++k) units = units * 10 + (whole[k] - '0');
  __int128 cents = 0;
  for (std::size_t k = 0; k < 2; ++k) cents = cents * 10 + (k < fraction.size() ? fraction[k] - '0' : 0);
  const __int128 minor = units * 100 + cents;
  if (minor > limits::amount_minor_max) return {AmountError::too_large, 0};
  if (minor == 0) return {AmountError::not_positive, 0};
  return {AmountError::none, static_cast<MinorUnits>(minor)};
}

std::string model_format(std::int64_t value) {
  __int128 magnitude = value;
  std::string sign;
  if (magnitude < 0) {
    sign = "-";
    magnitude = -magnitude;
  }
  const auto whole = static_cast<unsigned long long>(magnitude / 100);
  const auto cents = static_cast<unsigned>(magnitude % 100);
  return sign + std::to_string(whole) + "." + static_cast<char>('0' + cents / 10) + static_cast<char>('0' + cents % 10);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = fuzz::as_text(data, size);
  const AmountParse parsed = parse_amount(text);
  const AmountParse expected = model_parse(text);
  FUZZ_CHECK(parsed.error == expected.error, "error kind differs from the model's for \"" + std::string(text) + "\"");
  FUZZ_CHECK(parsed.minor == expected.minor, "value differs from the model's");
  if (parsed.error == AmountError::none) {
    FUZZ_CHECK(parsed.minor >= 1 && parsed.minor <= limits::amount_minor_max, "accepted amount out of range");
    const std::string formatted = format_minor_units(parsed.minor);
    const AmountParse again = parse_amount(formatted);
    FUZZ_CHECK(again.error == AmountError::none && again.minor == parsed.minor, "format does not parse back");
    FUZZ_CHECK(format_minor_units(again.minor) == formatted, "format is not canonical");
  }

  if (size >= sizeof(std::int64_t)) {
    std::int64_t value = 0;
    std::memcpy(&value, data, sizeof value);
    const std::string formatted = format_minor_units(value);
    FUZZ_CHECK(formatted == model_format(value), "format_minor_units(" + std::to_string(value) + ") = " + formatted);
    if (value >= 1 && value <= limits::amount_minor_max) {
      const AmountParse back = parse_amount(formatted);
      FUZZ_CHECK(back.error == AmountError::none && back.minor == value, "an amount in range does not round-trip");
    }
  }
  return 0;
}
