// The keyed hash of the in-memory tables whose keys a client chooses (transaction uids, Idempotency-Keys, peer
// addresses): with a fixed hash a client could pick keys that share one bucket or probe run and slow every other
// request (hash flooding). Each process draws its own secret seed from getrandom on first use; the hash never
// leaves memory: no log, file, WAL record, snapshot or answer holds it or depends on its order, and nothing that
// must agree between processes uses it (the StatefulSet's uid routing has its own stable hash, shard/layout.hpp).
// A keyed multiply-and-fold mix (wyhash's construction), not a keyed PRF like SipHash: docs/security.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace tally {

// The words a seed expands to; every hash here XORs them into the bytes it mixes.
struct HashKeys {
  std::uint64_t word[6];
};

// splitmix64's steps: a seed's keys, distinct and spread even for nearby seeds. Tests use fixed seeds.
constexpr HashKeys hash_keys_from_seed(std::uint64_t seed) {
  HashKeys keys{};
  for (std::uint64_t& key : keys.word) {
    seed += 0x9e3779b97f4a7c15ULL;
    std::uint64_t z = seed;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    key = z ^ (z >> 31);
  }
  return keys;
}

// 64 bits from the kernel's random source (getrandom); aborts if it cannot give them. Never logged.
std::uint64_t random_hash_seed();

// This process's keys: drawn once, on first use (any thread), the same afterwards.
inline const HashKeys& process_hash_keys() {
  static const HashKeys keys = hash_keys_from_seed(random_hash_seed());
  return keys;
}

// The 128-bit product of a and b folded to 64 bits: every input bit reaches the middle of the result.
inline std::uint64_t fold_multiply(std::uint64_t a, std::uint64_t b) {
  const unsigned __int128 product = static_cast<unsigned __int128>(a) * b;
  return static_cast<std::uint64_t>(product) ^ static_cast<std::uint64_t>(product >> 64);
}

// The last step of every hash here: xor-shift-multiply (murmur3's finaliser), so the low bits (a shard) and the
// high bits (a table slot) each depend on every bit. A keyed fold alone left the low bits of one multiply by an
// unlucky key with little variety for uids that differ only in their last characters (sequential uids: 1 key
// in ~70 put a shard 35 % off its share).
inline std::uint64_t finish_hash(std::uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  return h ^ (h >> 33);
}

// Any bytes, 16 a step: each step folds its two words (XORed with a key and the running state) by one multiply;
// the last 1-16 bytes are zero-padded and the length mixed in at the end, so "a" and "a\0" differ.
inline std::uint64_t seeded_hash(std::string_view bytes, const HashKeys& keys) {
  const char* p = bytes.data();
  std::size_t left = bytes.size();
  std::uint64_t state = keys.word[0];
  for (; left > 16; p += 16, left -= 16) {
    std::uint64_t a, b;
    std::memcpy(&a, p, sizeof a);
    std::memcpy(&b, p + 8, sizeof b);
    state = fold_multiply(a ^ keys.word[1], b ^ state);
  }
  std::uint64_t a = 0, b = 0;
  std::memcpy(&a, p, left < 8 ? left : 8);
  if (left > 8) std::memcpy(&b, p + 8, left - 8);
  state = fold_multiply(a ^ keys.word[2], b ^ state ^ keys.word[3]);
  return finish_hash(fold_multiply(state ^ keys.word[4], bytes.size() ^ keys.word[5]));
}

// For std::unordered_map/set keyed by client-chosen strings (std::string or std::string_view), with this
// process's keys.
struct SeededStringHash {
  std::size_t operator()(std::string_view key) const { return seeded_hash(key, process_hash_keys()); }
};

}  // namespace tally
