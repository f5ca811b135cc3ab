// SHA-256 via EVP with the algorithm fetched once and a context per thread (EVP_Digest fetches the algorithm on
// every call: 350 ns instead of 140 ns for a key, measured), and the constant-time comparisons: CRYPTO_memcmp for
// digests, a word-at-a-time one for the secrets every keyed request compares with its thread's memo.
#include "auth/digest.hpp"

#include <cstdint>
#include <cstring>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "ledger/assert.hpp"

namespace tally::auth {

namespace {

const EVP_MD* sha256_algorithm() {
  static EVP_MD* const algorithm = EVP_MD_fetch(nullptr, "SHA256", nullptr);  // kept for the process's life
  TALLY_ASSERT(algorithm != nullptr, "OpenSSL provides SHA-256");
  return algorithm;
}

struct ThreadContext {
  EVP_MD_CTX* context = EVP_MD_CTX_new();
  ~ThreadContext() { EVP_MD_CTX_free(context); }
};

}  // namespace

Digest sha256(std::string_view data) {
  thread_local ThreadContext thread;
  Digest out{};
  unsigned int length = 0;
  const bool ok = thread.context != nullptr && EVP_DigestInit_ex2(thread.context, sha256_algorithm(), nullptr) == 1 &&
                  EVP_DigestUpdate(thread.context, data.data(), data.size()) == 1 &&
                  EVP_DigestFinal_ex(thread.context, out.data(), &length) == 1;
  TALLY_ASSERT(ok && length == out.size(), "SHA-256 of a buffer in memory cannot fail");
  return out;
}

std::string to_hex(const Digest& digest) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(digest.size() * 2);
  for (const std::uint8_t byte : digest) {
    out.push_back(digits[byte >> 4]);
    out.push_back(digits[byte & 0xF]);
  }
  return out;
}

namespace {
int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

std::optional<Digest> digest_from_hex(std::string_view text) {
  Digest out{};
  if (text.size() != out.size() * 2) return std::nullopt;
  for (std::size_t i = 0; i < out.size(); ++i) {
    const int high = hex_value(text[2 * i]);
    const int low = hex_value(text[2 * i + 1]);
    if (high < 0 || low < 0) return std::nullopt;
    out[i] = static_cast<std::uint8_t>(high << 4 | low);
  }
  return out;
}

bool digests_equal(const Digest& a, const Digest& b) { return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0; }

// Eight bytes at a time (the last eight overlapping the one before when the length is not a multiple), every
// difference OR-ed in with no branch on it: ~40 instructions for a tally-admin secret where CRYPTO_memcmp's byte loop
// takes ~350, on every keyed request (bench/auth_cost.sh). The empty asm makes the running total opaque to the
// compiler, so it cannot turn the loop into one that stops at the first difference.
bool secrets_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  const std::size_t size = a.size();
  std::uint64_t difference = 0;
  const auto fold_word = [&](std::size_t at) {
    std::uint64_t x = 0, y = 0;
    std::memcpy(&x, a.data() + at, sizeof x);
    std::memcpy(&y, b.data() + at, sizeof y);
    difference |= x ^ y;
    __asm__ volatile("" : "+r"(difference));
  };
  if (size >= sizeof difference) {
    for (std::size_t at = 0; at + sizeof difference <= size; at += sizeof difference) fold_word(at);
    if (size % sizeof difference != 0) fold_word(size - sizeof difference);
    return difference == 0;
  }
  for (std::size_t i = 0; i < size; ++i) {
    difference |= static_cast<std::uint8_t>(a[i] ^ b[i]);
    __asm__ volatile("" : "+r"(difference));
  }
  return difference == 0;
}

}  // namespace tally::auth
