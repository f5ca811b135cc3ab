// tally-admin new-key NAME SCOPE[,SCOPE...]: a new API key. The secret is limits::auth_secret_random_bytes from
// getrandom() (256 bits), base64url, with a "tally_" prefix (so secret scanners and people can tell what it is).
// Prints exactly two lines: `secret: <secret>` (give it to the client, once) and `entry: <line>` (append it to the
// key file; it holds the secret's SHA-256 only). See docs/security.md.
#include <sys/random.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "auth/digest.hpp"
#include "auth/key_file.hpp"
#include "ledger/base64url.hpp"
#include "ledger/limits.hpp"
#include "ledger/record_checks.hpp"
#include "recovery/admin.hpp"

namespace tally::admin {

namespace {

constexpr std::string_view secret_prefix = "tally_";

// Fills `out` from the kernel's CSPRNG; false (errno set) if it cannot.
bool random_bytes(unsigned char* out, std::size_t size) {
  std::size_t filled = 0;
  while (filled < size) {
    const ssize_t n = ::getrandom(out + filled, size - filled, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    filled += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

int new_key(const std::string& name, const std::string& scope_list) {
  if (!valid_client_name(name)) {
    std::fprintf(stderr, "tally-admin: NAME must be 1..%zu of A-Z a-z 0-9 . _ -\n", limits::client_name_bytes_max);
    return exit_usage;
  }
  auth::ScopeSet scopes;
  std::string why;
  if (!auth::parse_scope_list(scope_list, scopes, why)) {
    std::fprintf(stderr, "tally-admin: %s\n", why.c_str());
    return exit_usage;
  }
  std::array<unsigned char, limits::auth_secret_random_bytes> random{};
  if (!random_bytes(random.data(), random.size())) {
    std::fprintf(stderr, "tally-admin: getrandom failed: %s\n", std::strerror(errno));
    return exit_problem;
  }
  const std::string secret = std::string(secret_prefix) + base64url_encode(random.data(), random.size());
  std::printf("secret: %s\nentry: %s\n", secret.c_str(),
              auth::key_file_line(name, scopes, auth::sha256(secret)).c_str());
  return exit_ok;
}

}  // namespace tally::admin
