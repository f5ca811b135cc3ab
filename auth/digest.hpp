// SHA-256 of a presented secret (OpenSSL's EVP interface) and the constant-time comparison of two digests: a key
// file stores digests, never secrets, and a request's secret is only ever compared by its digest.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tally::auth {

using Digest = std::array<std::uint8_t, 32>;

Digest sha256(std::string_view data);

// Lower-case hex, 64 characters.
std::string to_hex(const Digest& digest);
// Exactly 64 hex digits (either case); nullopt otherwise.
std::optional<Digest> digest_from_hex(std::string_view text);

// Equality whose running time does not depend on where (or whether) the digests differ: OpenSSL's CRYPTO_memcmp.
bool digests_equal(const Digest& a, const Digest& b);
// The same for two secrets: constant time over their bytes when the lengths are equal (every key tally-admin makes
// has the same length); different lengths are unequal at once, which tells only the length. Compares eight bytes a
// step: it runs on every keyed request.
bool secrets_equal(std::string_view a, std::string_view b);

}  // namespace tally::auth
