// The process's hash seed (ledger/seeded_hash.hpp): 64 bits from getrandom, asked for once. Kept in memory only.
#include "ledger/seeded_hash.hpp"

#include <sys/random.h>

#include <cerrno>

#include "ledger/assert.hpp"

namespace tally {

std::uint64_t random_hash_seed() {
  std::uint64_t seed = 0;
  auto* at = reinterpret_cast<unsigned char*>(&seed);
  std::size_t got = 0;
  while (got < sizeof seed) {
    // Blocks only until the kernel's pool is first initialised (early boot); EINTR: ask again.
    const ssize_t n = getrandom(at + got, sizeof seed - got, 0);
    if (n < 0 && errno == EINTR) continue;
    TALLY_ASSERT(n > 0, "the kernel gives random bytes (getrandom) for the hash seed");
    got += static_cast<std::size_t>(n);
  }
  return seed;
}

}  // namespace tally
