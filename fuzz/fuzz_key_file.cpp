// libFuzzer target: the API key file (auth/key_file.hpp; format in docs/security.md). A file is accepted whole or
// refused with the number of a line it has; every accepted entry has a valid name, at least one grantable scope
// and a digest, names and digests are unique, and the line `tally-admin new-key` would print for each entry parses
// back to the same entry. The input as an Authorization header value never crashes the store, whose verdict
// agrees with the parsed entries.
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>

#include "auth/key_file.hpp"
#include "auth/key_store.hpp"
#include "fuzz_check.hpp"
#include "ledger/record_checks.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tally;
  using namespace tally::auth;
  const std::string_view input = fuzz::as_text(data, size);
  const KeyFile file = parse_key_file(input);
  if (!file.ok()) {
    FUZZ_CHECK(file.entries.empty(), "a refused file kept entries");
    std::size_t lines = 1;
    for (const char c : input) lines += c == '\n';
    FUZZ_CHECK(file.error_line >= 1 && file.error_line <= lines, "the error names a line the file does not have");
    FUZZ_CHECK(file.describe_error().rfind("line ", 0) == 0, "the message starts with its line");
  } else {
    std::set<std::string> names;
    std::set<Digest> digests;
    std::string rewritten;
    for (const KeyEntry& entry : file.entries) {
      FUZZ_CHECK(valid_client_name(entry.name), "an accepted name breaks the name rule");
      FUZZ_CHECK(!entry.scopes.empty(), "an entry without a scope");
      FUZZ_CHECK(names.insert(entry.name).second, "a name accepted twice");
      FUZZ_CHECK(digests.insert(entry.digest).second, "a digest accepted twice");
      rewritten += key_file_line(entry.name, entry.scopes, entry.digest) + "\n";
    }
    const KeyFile again = parse_key_file(rewritten);
    FUZZ_CHECK(again.ok(), "the rewritten file is refused: " + again.describe_error());
    FUZZ_CHECK(again.entries.size() == file.entries.size(), "the rewritten file has other entries");
    for (std::size_t i = 0; i < again.entries.size(); ++i) {
      FUZZ_CHECK(again.entries[i].name == file.entries[i].name && again.entries[i].scopes == file.entries[i].scopes &&
                     digests_equal(again.entries[i].digest, file.entries[i].digest),
                 "an entry changed through key_file_line");
    }
  }

  KeyStore store;
  store.replace(file.entries);
  const Admission admission = store.admit(input, Scope::read);
  const std::optional<std::string_view> token = bearer_token(input);
  if (!token) {
    FUZZ_CHECK(admission.verdict == Admission::Verdict::malformed, "a malformed header was not refused as such");
  } else {
    bool known = false;
    for (const KeyEntry& entry : file.entries) known = known || digests_equal(entry.digest, sha256(*token));
    FUZZ_CHECK(known == (admission.verdict != Admission::Verdict::unknown), "lookup disagrees with the entries");
  }
  return 0;
}
