// Unit tests for ledger/money: exact amount parsing, its error classes, and minor-unit formatting.
// Table-driven so every accepted and rejected shape is listed explicitly.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>

#include "ledger/limits.hpp"
#include "ledger/money.hpp"

namespace tally {
namespace {

struct ValidCase {
  const char* text;
  MinorUnits minor;
};

TEST(ParseAmount, AcceptsValidForms) {
  const ValidCase cases[] = {
      {"1", 100},
      {"12", 1200},
      {"12.3", 1230},
      {"12.30", 1230},
      {"12.300", 1230},
      {"12.34", 1234},
      {"12.340000", 1234},
      {"0.01", 1},
      {"0.1", 10},
      {"0.10", 10},
      {"00.01", 1},
      {"007.5", 750},
      {"1.500", 150},
      {"1.05", 105},
      {"1.00", 100},
      {"1.0", 100},
      {"9999999999999.99", 999'999'999'999'999},
      {"10000000000000", limits::amount_minor_max},
      {"10000000000000.00", limits::amount_minor_max},
      {"0000000000000000000000010000000000000", limits::amount_minor_max},
  };
  for (const ValidCase& c : cases) {
    SCOPED_TRACE(c.text);
    const AmountParse p = parse_amount(c.text);
    EXPECT_EQ(p.error, AmountError::none);
    EXPECT_EQ(p.minor, c.minor);
  }
}

struct InvalidCase {
  const char* text;
  AmountError error;
};

TEST(ParseAmount, RejectsInvalidForms) {
  const InvalidCase cases[] = {
      {"", AmountError::not_decimal},
      {".", AmountError::not_decimal},
      {".5", AmountError::not_decimal},
      {"1.", AmountError::not_decimal},
      {"-1", AmountError::not_decimal},
      {"+1", AmountError::not_decimal},
      {"-0", AmountError::not_decimal},
      {"1e3", AmountError::not_decimal},
      {"1E3", AmountError::not_decimal},
      {"1.5e1", AmountError::not_decimal},
      {" 1", AmountError::not_decimal},
      {"1 ", AmountError::not_decimal},
      {"1. 5", AmountError::not_decimal},
      {"1,5", AmountError::not_decimal},
      {"1.2.3", AmountError::not_decimal},
      {"1..2", AmountError::not_decimal},
      {"abc", AmountError::not_decimal},
      {"12a", AmountError::not_decimal},
      {"0x10", AmountError::not_decimal},
      {"NaN", AmountError::not_decimal},
      {"inf", AmountError::not_decimal},
      {"\xd9\xa1", AmountError::not_decimal},  // Arabic-Indic digit one
      {"1.505", AmountError::too_many_fraction_digits},
      {"1.001", AmountError::too_many_fraction_digits},
      {"0.001", AmountError::too_many_fraction_digits},
      {"1.0000000001", AmountError::too_many_fraction_digits},
      {"0", AmountError::not_positive},
      {"0.0", AmountError::not_positive},
      {"0.00", AmountError::not_positive},
      {"000.000", AmountError::not_positive},
      {"10000000000000.01", AmountError::too_large},
      {"10000000000001", AmountError::too_large},
      {"99999999999999999999999999", AmountError::too_large},
      {"99999999999999999999999999.99", AmountError::too_large},
      {"18446744073709551616", AmountError::too_large},  // 2^64: wraps to 0 if accumulated naively
      {"92233720368547758.08", AmountError::too_large},   // INT64_MIN's magnitude in cents
  };
  for (const InvalidCase& c : cases) {
    SCOPED_TRACE(c.text);
    const AmountParse p = parse_amount(c.text);
    EXPECT_EQ(p.error, c.error);
    EXPECT_EQ(p.minor, 0);
  }
}

TEST(ParseAmount, RejectsEmbeddedNul) {
  const std::string text("1\0" "5", 3);
  EXPECT_EQ(parse_amount(text).error, AmountError::not_decimal);
}

TEST(ParseAmount, BoundaryAtAmountMax) {
  const std::string at_max = format_minor_units(limits::amount_minor_max);
  EXPECT_EQ(at_max, "10000000000000.00");
  EXPECT_EQ(parse_amount(at_max).minor, limits::amount_minor_max);
  const std::string one_above = format_minor_units(limits::amount_minor_max + 1);
  EXPECT_EQ(one_above, "10000000000000.01");
  EXPECT_EQ(parse_amount(one_above).error, AmountError::too_large);
}

TEST(ParseAmount, RoundTripsThroughFormat) {
  const MinorUnits values[] = {1, 5, 10, 99, 100, 101, 1234, 100000, 123456789, limits::amount_minor_max - 1,
                               limits::amount_minor_max};
  for (MinorUnits v : values) {
    SCOPED_TRACE(v);
    const AmountParse p = parse_amount(format_minor_units(v));
    EXPECT_EQ(p.error, AmountError::none);
    EXPECT_EQ(p.minor, v);
  }
  // Dense sweep of small values and a stride across the whole range.
  for (MinorUnits v = 1; v < 20'000; ++v) ASSERT_EQ(parse_amount(format_minor_units(v)).minor, v);
  for (MinorUnits v = 7; v <= limits::amount_minor_max; v += 999'999'999'989) {
    ASSERT_EQ(parse_amount(format_minor_units(v)).minor, v);
  }
}

TEST(FormatMinorUnits, PositiveZeroAndNegative) {
  EXPECT_EQ(format_minor_units(0), "0.00");
  EXPECT_EQ(format_minor_units(1), "0.01");
  EXPECT_EQ(format_minor_units(10), "0.10");
  EXPECT_EQ(format_minor_units(1230), "12.30");
  EXPECT_EQ(format_minor_units(-1), "-0.01");
  EXPECT_EQ(format_minor_units(-10), "-0.10");
  EXPECT_EQ(format_minor_units(-705), "-7.05");
  EXPECT_EQ(format_minor_units(-100), "-1.00");
  EXPECT_EQ(format_minor_units(std::numeric_limits<MinorUnits>::max()), "92233720368547758.07");
  EXPECT_EQ(format_minor_units(std::numeric_limits<MinorUnits>::min()), "-92233720368547758.08");
}

TEST(FormatMinorUnits, AppendsWithoutClobbering) {
  std::string out = "balance=";
  append_minor_units(out, 4200);
  out += ";";
  append_minor_units(out, -3);
  EXPECT_EQ(out, "balance=42.00;-0.03");
}

TEST(DescribeAmountError, EveryErrorHasDistinctText) {
  const AmountError errors[] = {AmountError::none, AmountError::not_decimal, AmountError::too_many_fraction_digits,
                                AmountError::not_positive, AmountError::too_large};
  for (AmountError a : errors) {
    ASSERT_NE(describe(a), nullptr);
    EXPECT_GT(std::string(describe(a)).size(), 0u);
    for (AmountError b : errors) {
      if (a != b) {
        EXPECT_STRNE(describe(a), describe(b));
      }
    }
  }
}

// The renderer writes into a stack buffer backwards and appends once: its edges (sign, the extremes, one digit of
// whole units, text already in the string) give what the digit-by-digit form gave.
TEST(FormatMinorUnits, EdgesAndAppending) {
  EXPECT_EQ(format_minor_units(0), "0.00");
  EXPECT_EQ(format_minor_units(5), "0.05");
  EXPECT_EQ(format_minor_units(-5), "-0.05");
  EXPECT_EQ(format_minor_units(-100), "-1.00");
  EXPECT_EQ(format_minor_units(123456789), "1234567.89");
  EXPECT_EQ(format_minor_units(std::numeric_limits<MinorUnits>::max()), "92233720368547758.07");
  EXPECT_EQ(format_minor_units(std::numeric_limits<MinorUnits>::min()), "-92233720368547758.08");
  std::string out = "amount=";
  append_minor_units(out, -1234);
  EXPECT_EQ(out, "amount=-12.34");
}

}  // namespace
}  // namespace tally
