// ClientNames: a map under a mutex for interning, and chunked storage published with release/acquire so that
// name() reads without a lock. Recovery interns once per restored record: a per-thread memo of the last name
// keeps that off the mutex (a log is mostly long runs of few clients).
#include "actors/client_names.hpp"

#include "ledger/assert.hpp"

namespace tally {

namespace {
const std::string no_client;

std::atomic<std::uint64_t> next_table_id{1};

struct LastInterned {
  std::uint64_t owner = 0;  // the table's id (an address could be reused by a later table)
  std::string name;
  ClientNames::Ordinal ordinal = 0;
};
thread_local LastInterned last_interned;
}  // namespace

ClientNames::ClientNames()
    : id_(next_table_id.fetch_add(1, std::memory_order_relaxed)), chunks_(new std::atomic<std::string*>[chunks_max]) {
  for (std::size_t i = 0; i < chunks_max; ++i) chunks_[i].store(nullptr, std::memory_order_relaxed);
}

ClientNames::~ClientNames() {
  for (std::size_t i = 0; i < chunks_max; ++i) delete[] chunks_[i].load(std::memory_order_relaxed);
}

ClientNames::Ordinal ClientNames::intern(std::string_view name) {
  if (name.empty()) return 0;
  if (last_interned.owner == id_ && last_interned.name == name) return last_interned.ordinal;
  std::lock_guard<std::mutex> lock(mutex_);
  const auto [it, inserted] = ordinals_.try_emplace(std::string(name), next_);
  if (inserted) {
    TALLY_ASSERT(next_ < limits::client_names_max, "at most limits::client_names_max client names");
    const std::size_t chunk = next_ / chunk_names;
    std::string* names = chunks_[chunk].load(std::memory_order_relaxed);
    if (names == nullptr) {
      names = new std::string[chunk_names];
      chunks_[chunk].store(names, std::memory_order_release);
    }
    names[next_ % chunk_names] = std::string(name);
    ++next_;
  }
  last_interned = LastInterned{id_, std::string(name), it->second};
  return it->second;
}

const std::string& ClientNames::name(Ordinal ordinal) const {
  if (ordinal == 0) return no_client;
  TALLY_ASSERT(ordinal < limits::client_names_max, "an ordinal intern() gave");
  const std::string* names = chunks_[ordinal / chunk_names].load(std::memory_order_acquire);
  TALLY_ASSERT(names != nullptr, "an ordinal intern() gave");
  return names[ordinal % chunk_names];
}

}  // namespace tally
