// KeyStore: lookup by the SHA-256 of the presented secret, then a constant-time comparison of the two digests.
// The hash table is probed with the digest, not the secret, so its timing says nothing usable about the secret.
#include "auth/key_store.hpp"

#include <atomic>

#include "ledger/ascii.hpp"

namespace tally::auth {

std::size_t DigestHash::operator()(const Digest& d) const {
  std::size_t h = 0;
  for (std::size_t i = 0; i < sizeof h; ++i) h = h << 8 | d[i];
  return h;
}

KeySet::KeySet(std::vector<KeyEntry> list) : entries(std::move(list)) {
  by_digest.reserve(entries.size());
  for (std::size_t i = 0; i < entries.size(); ++i) by_digest.emplace(entries[i].digest, i);
}

namespace {
std::atomic<std::uint64_t> next_store_id{1};

// A thread's copy of one store's set, valid while the store's generation is unchanged. It keeps that set alive
// until the thread's next request after a reload: a request in flight always finishes with the set it started with.
// It also remembers the last token this thread found in that set (and its entry): a client on a keep-alive
// connection presents the same token on every request, and comparing it in constant time with the remembered one
// skips SHA-256 and the lookup. Taken with the set, so a reload (rotation, revocation) forgets it for the next
// request like the set itself (docs/security.md, "The per-thread token memo").
struct ThreadCopy {
  std::uint64_t store = 0;
  std::uint64_t generation = 0;
  std::shared_ptr<const KeySet> keys;
  std::string known_token;  // empty: none yet
  std::size_t known_entry = 0;
};
thread_local ThreadCopy thread_copy;
constexpr std::size_t token_memo_bytes_max = 256;  // longer tokens (not tally-admin's) are hashed every time
}  // namespace

KeyStore::KeyStore() : id_(next_store_id.fetch_add(1, std::memory_order_relaxed)) {}

std::shared_ptr<const KeySet> KeyStore::current() const { return std::atomic_load(&keys_); }

void KeyStore::replace(std::vector<KeyEntry> entries) {
  std::atomic_store(&keys_, std::shared_ptr<const KeySet>(std::make_shared<KeySet>(std::move(entries))));
  generation_.fetch_add(1, std::memory_order_release);  // after the store: a thread that sees it loads the new set
}

const KeySet* KeyStore::for_request() const {
  const std::uint64_t generation = generation_.load(std::memory_order_acquire);
  if (thread_copy.store != id_ || thread_copy.generation != generation) {
    thread_copy.store = id_;
    thread_copy.generation = generation;
    thread_copy.keys = current();
    thread_copy.known_token.clear();  // a token found in the old set proves nothing about the new one
  }
  return thread_copy.keys.get();
}

namespace {
// RFC 6750 b64token characters, as a table: the check runs over every byte of every token not remembered.
struct B64TokenChars {
  bool allowed[256] = {};
  constexpr B64TokenChars() {
    for (int c = 'a'; c <= 'z'; ++c) allowed[c] = true;
    for (int c = 'A'; c <= 'Z'; ++c) allowed[c] = true;
    for (int c = '0'; c <= '9'; ++c) allowed[c] = true;
    for (const char c : {'-', '.', '_', '~', '+', '/', '='}) allowed[static_cast<unsigned char>(c)] = true;
  }
};
constexpr B64TokenChars b64token_chars;
bool b64token_char(char c) { return b64token_chars.allowed[static_cast<unsigned char>(c)]; }

// "Bearer" (any case), at least one space, the token, optional trailing blanks: the token's span, its characters
// not yet checked.
std::optional<std::string_view> bearer_span(std::string_view authorization) {
  constexpr std::string_view scheme = "bearer";
  if (authorization.size() <= scheme.size() || !equals_ignoring_case(authorization.substr(0, scheme.size()), scheme))
    return std::nullopt;
  std::string_view rest = authorization.substr(scheme.size());
  if (rest.front() != ' ') return std::nullopt;
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  while (!rest.empty() && (rest.back() == ' ' || rest.back() == '\t')) rest.remove_suffix(1);
  if (rest.empty()) return std::nullopt;
  return rest;
}

bool b64token(std::string_view token) {
  for (const char c : token) {
    if (!b64token_char(c)) return false;
  }
  return true;
}
}  // namespace

std::optional<std::string_view> bearer_token(std::string_view authorization) {
  const std::optional<std::string_view> token = bearer_span(authorization);
  if (!token || !b64token(*token)) return std::nullopt;
  return token;
}

Admission KeyStore::admit(std::optional<std::string_view> authorization, Scope needed) const {
  Admission admission;
  if (needed == Scope::open) return admission;
  const KeySet* keys = for_request();
  if (keys == nullptr) return admission;  // open mode
  if (!authorization) {
    admission.verdict = Admission::Verdict::missing;
    return admission;
  }
  const std::optional<std::string_view> token = bearer_span(*authorization);
  if (!token) {
    admission.verdict = Admission::Verdict::malformed;
    return admission;
  }
  std::size_t index = 0;
  // The memo holds only a token that passed every check below, so a token equal to it needs no character check
  // (the same verdict as bearer_token's, without a table look-up per byte on every keyed request).
  if (!thread_copy.known_token.empty() && secrets_equal(thread_copy.known_token, *token)) {
    index = thread_copy.known_entry;
  } else if (!b64token(*token)) {
    admission.verdict = Admission::Verdict::malformed;
    return admission;
  } else {
    const Digest presented = sha256(*token);
    const auto found = keys->by_digest.find(presented);
    if (found == keys->by_digest.end() || !digests_equal(keys->entries[found->second].digest, presented)) {
      admission.verdict = Admission::Verdict::unknown;
      return admission;
    }
    index = found->second;
    if (token->size() <= token_memo_bytes_max) {
      thread_copy.known_token.assign(*token);
      thread_copy.known_entry = index;
    }
  }
  const KeyEntry& entry = keys->entries[index];
  admission.client = entry.name;
  if (!entry.scopes.has(needed)) admission.verdict = Admission::Verdict::lacking_scope;
  return admission;
}

}  // namespace tally::auth
