// The key file (format: docs/security.md, "The key file"): one API client per line, `name scopes sha256hex`,
// '#' comment lines and blank lines ignored. The parser is strict: the first bad line refuses the whole file,
// naming its line number, so a typo can never silently drop (or widen) a client's access.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "auth/digest.hpp"
#include "auth/scope.hpp"

namespace tally::auth {

struct KeyEntry {
  std::string name;  // ledger/record_checks.hpp valid_client_name
  ScopeSet scopes;   // at least one
  Digest digest;     // SHA-256 of the secret
};

struct KeyFile {
  std::vector<KeyEntry> entries;  // in file order
  std::size_t error_line = 0;     // 1-based; 0 with an error = the file as a whole (too large)
  std::string error;              // empty = the file is valid

  bool ok() const { return error.empty(); }
  // "line 3: unknown scope 'admin'" (or the file-wide error as is).
  std::string describe_error() const;
};

KeyFile parse_key_file(std::string_view text);

// The line `tally-admin new-key` prints for a client: "name scope,scope sha256hex".
std::string key_file_line(std::string_view name, ScopeSet scopes, const Digest& digest);

// "read,write" -> the set; false (with why) for an empty list, an unknown or repeated scope.
bool parse_scope_list(std::string_view text, ScopeSet& out, std::string& why);

}  // namespace tally::auth
