// The key file parser: line by line, three whitespace-separated fields, every field checked, duplicates refused.
#include "auth/key_file.hpp"

#include <unordered_set>

#include "auth/key_store.hpp"
#include "ledger/limits.hpp"
#include "ledger/record_checks.hpp"

namespace tally::auth {
namespace {

bool blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

// The whitespace-separated fields of one line.
std::vector<std::string_view> fields_of(std::string_view line) {
  std::vector<std::string_view> fields;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && blank(line[i])) ++i;
    const std::size_t start = i;
    while (i < line.size() && !blank(line[i])) ++i;
    if (i > start) fields.push_back(line.substr(start, i - start));
  }
  return fields;
}

// Characters of a bad field an error message quotes: a name or scope typo is recognisable in that many, and a
// secret or digest pasted into the wrong column is not written into the log.
constexpr std::size_t quoted_chars_max = 12;

// A printable, bounded rendering of a field for an error message (non-printable bytes as '?').
std::string shown(std::string_view field) {
  std::string out;
  for (std::size_t i = 0; i < field.size() && i < quoted_chars_max; ++i) {
    const auto c = static_cast<unsigned char>(field[i]);
    out.push_back(c >= 0x20 && c < 0x7f ? static_cast<char>(c) : '?');
  }
  if (field.size() > quoted_chars_max) out += "...";
  return out;
}

// Checks one entry's fields; returns the error, or "" with `entry` filled.
std::string parse_entry(const std::vector<std::string_view>& fields, KeyEntry& entry) {
  if (fields.size() != 3) {
    return "expected 3 fields (name scopes sha256hex), found " + std::to_string(fields.size());
  }
  if (!valid_client_name(fields[0])) {
    return "name '" + shown(fields[0]) + "' is not 1.." + std::to_string(limits::client_name_bytes_max) +
           " of A-Z a-z 0-9 . _ -";
  }
  entry.name = std::string(fields[0]);
  std::string why;
  if (!parse_scope_list(fields[1], entry.scopes, why)) return why;
  const std::optional<Digest> digest = digest_from_hex(fields[2]);
  if (!digest) return "the third field is not a SHA-256 digest (64 hex digits)";
  entry.digest = *digest;
  return {};
}

}  // namespace

bool parse_scope_list(std::string_view text, ScopeSet& out, std::string& why) {
  out = ScopeSet{};
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = text.find(',', start);
    const std::string_view name = text.substr(start, comma == std::string_view::npos ? text.npos : comma - start);
    const std::optional<Scope> scope = grantable_scope(name);
    if (!scope) {
      why = "unknown scope '" + shown(name) + "' (scopes: read, write, events, peer, comma-separated)";
      return false;
    }
    if (out.has(*scope)) {
      why = "scope '" + shown(name) + "' listed twice";
      return false;
    }
    out.add(*scope);
    if (comma == std::string_view::npos) return true;
    start = comma + 1;
  }
}

std::string KeyFile::describe_error() const {
  if (error_line == 0) return error;
  return "line " + std::to_string(error_line) + ": " + error;
}

KeyFile parse_key_file(std::string_view text) {
  KeyFile file;
  if (text.size() > limits::auth_key_file_bytes_max) {
    file.error = "the key file is larger than " + std::to_string(limits::auth_key_file_bytes_max) + " bytes";
    return file;
  }
  std::unordered_set<std::string_view> names;
  std::unordered_set<Digest, DigestHash> digests;
  std::size_t line_number = 0;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = text.find('\n', start);
    const std::string_view line = text.substr(start, end == std::string_view::npos ? text.npos : end - start);
    start = end == std::string_view::npos ? text.size() : end + 1;
    ++line_number;
    const std::vector<std::string_view> fields = fields_of(line);
    if (fields.empty() || fields[0].front() == '#') continue;
    KeyEntry entry;
    std::string error = parse_entry(fields, entry);
    if (error.empty() && !names.insert(fields[0]).second) error = "client '" + entry.name + "' is listed twice";
    if (error.empty() && !digests.insert(entry.digest).second) {
      error = "client '" + entry.name + "' has the same secret digest as an earlier entry";
    }
    if (error.empty() && file.entries.size() >= limits::auth_key_file_entries_max) {
      error = "more than " + std::to_string(limits::auth_key_file_entries_max) + " entries";
    }
    if (!error.empty()) {
      file.entries.clear();
      file.error_line = line_number;
      file.error = std::move(error);
      return file;
    }
    file.entries.push_back(std::move(entry));
  }
  return file;
}

std::string key_file_line(std::string_view name, ScopeSet scopes, const Digest& digest) {
  std::string line(name);
  line.push_back(' ');
  bool first = true;
  for (const Scope scope : grantable_scopes) {
    if (!scopes.has(scope)) continue;
    if (!first) line.push_back(',');
    line.append(scope_name(scope));
    first = false;
  }
  line.push_back(' ');
  line += to_hex(digest);
  return line;
}

}  // namespace tally::auth
