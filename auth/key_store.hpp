// KeyStore: the key set in force, and the one decision every request's credentials get (admit). The set is
// immutable and swapped whole behind an atomic shared_ptr: a reload never blocks a request, and a request that
// took the set before a reload finishes with it. Without a key file the store is open: every request is admitted
// with no client name.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "auth/digest.hpp"
#include "auth/key_file.hpp"
#include "auth/scope.hpp"

namespace tally::auth {

struct DigestHash {
  std::size_t operator()(const Digest& d) const;
};

// One parsed key file, looked up by the digest of a presented secret.
struct KeySet {
  explicit KeySet(std::vector<KeyEntry> entries);
  std::vector<KeyEntry> entries;
  std::unordered_map<Digest, std::size_t, DigestHash> by_digest;  // -> index into entries
};

struct Admission {
  enum class Verdict {
    allowed,
    missing,        // no Authorization header: 401
    malformed,      // not "Bearer <token>": 401
    unknown,        // no client has this secret: 401
    lacking_scope,  // a known client without the route's scope: 403
  };
  Verdict verdict = Verdict::allowed;
  std::string client;  // allowed (empty in open mode) and lacking_scope: the client's name

  bool allowed() const { return verdict == Verdict::allowed; }
  bool unauthorized() const { return verdict != Verdict::allowed && verdict != Verdict::lacking_scope; }
};

class KeyStore {
 public:
  // Open (no key file): every request is admitted. Keys once given (replace) make it closed for good.
  KeyStore();
  KeyStore(const KeyStore&) = delete;
  KeyStore& operator=(const KeyStore&) = delete;

  bool open() const { return current() == nullptr; }
  std::shared_ptr<const KeySet> current() const;
  // Puts a new set in force; requests already admitted are unaffected.
  void replace(std::vector<KeyEntry> entries);

  // The verdict for a request to a route needing `needed`, given its Authorization header's value (nullopt: none).
  Admission admit(std::optional<std::string_view> authorization, Scope needed) const;

 private:
  // The set for a request: this thread's copy while no reload happened since it was taken. An atomic shared_ptr
  // load per request takes a lock and two contended reference-count updates (with the SHA-256 context per thread,
  // avoiding it took admit from 704 to 163 ns, bench/bench_auth.cpp). A reload is seen by the next request.
  const KeySet* for_request() const;

  std::shared_ptr<const KeySet> keys_;  // accessed only through std::atomic_load / std::atomic_store
  std::atomic<std::uint64_t> generation_{0};  // counts replace(); a thread's copy of an older one is stale
  const std::uint64_t id_;                    // unique per store, for the per-thread copy
};

// "Bearer <token>": the token (RFC 6750 b64token characters; the scheme in any case); nullopt if malformed.
std::optional<std::string_view> bearer_token(std::string_view authorization);

}  // namespace tally::auth
