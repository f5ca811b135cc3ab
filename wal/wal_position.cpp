// Segment file names and position text (wal_position.hpp); the naming rule is in docs/wal_format.md.
#include "wal/wal_position.hpp"

#include <cstdio>

#include "wal/byte_order.hpp"

namespace tally::wal {

std::string to_string(WalPosition at) {
  return "segment " + std::to_string(at.segment) + " byte " + std::to_string(at.offset);
}

std::string segment_file_name(std::uint64_t segment) {
  char name[64];
  static_cast<void>(std::snprintf(name, sizeof name, "wal-%020llu.log", static_cast<unsigned long long>(segment)));
  return name;
}

bool parse_segment_file_name(std::string_view name, std::uint64_t& number) {
  constexpr std::string_view prefix = "wal-", suffix = ".log";
  constexpr std::size_t digits = 20;
  if (name.size() != prefix.size() + digits + suffix.size() || name.substr(0, prefix.size()) != prefix ||
      name.substr(prefix.size() + digits) != suffix)
    return false;
  return parse_fixed_digits(name.substr(prefix.size(), digits), digits, number);
}

std::string segment_path(const std::string& dir, std::uint64_t segment) {
  return dir + "/" + segment_file_name(segment);
}

}  // namespace tally::wal
