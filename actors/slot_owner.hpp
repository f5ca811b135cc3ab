// Who holds a user's ledger, in one word of its slot: the running actor (which owns the ledger while it runs), or
// the dormant ledger itself, or nobody yet (a fresh ledger). The two are never both set (UserSlot's lock hands the
// ledger from one to the other), so they share 8 bytes instead of taking 16: there is one slot per user.
// A set low bit marks the ledger pointer (both pointees are at least 2-aligned); a clear non-zero word is a
// caf::actor handle living in the word. Used under the slot's lock, like the two fields it replaces.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <utility>

#include <caf/actor.hpp>

#include "ledger/assert.hpp"

namespace tally {

template <class Ledger>
class SlotOwner {
 public:
  SlotOwner() = default;
  SlotOwner(const SlotOwner&) = delete;
  SlotOwner& operator=(const SlotOwner&) = delete;
  ~SlotOwner() {
    if (has_actor()) clear_actor();
    delete dormant();
  }

  bool has_actor() const { return bits() != 0 && (bits() & ledger_tag) == 0; }
  // The running actor; only while has_actor().
  const caf::actor& actor() const {
    TALLY_ASSERT(has_actor(), "a slot's actor is read only while it runs");
    return *std::launder(reinterpret_cast<const caf::actor*>(word_));
  }
  void set_actor(caf::actor actor) {
    TALLY_ASSERT(bits() == 0 && actor, "an actor takes a slot that holds neither an actor nor a ledger");
    new (word_) caf::actor(std::move(actor));
    TALLY_ASSERT(has_actor(), "an actor handle is an aligned pointer: its low bit is clear");
  }
  void clear_actor() {
    TALLY_ASSERT(has_actor(), "only a running actor is cleared");
    std::launder(reinterpret_cast<caf::actor*>(word_))->~actor();
    set_bits(0);
  }

  // The dormant ledger, or nullptr (an actor runs, or there is no ledger yet).
  Ledger* dormant() const {
    return (bits() & ledger_tag) != 0 ? reinterpret_cast<Ledger*>(bits() & ~ledger_tag) : nullptr;  // NOLINT
  }
  void set_dormant(std::unique_ptr<Ledger> ledger) {
    TALLY_ASSERT(bits() == 0 && ledger, "a ledger goes dormant in a slot that holds neither an actor nor a ledger");
    const auto address = reinterpret_cast<std::uintptr_t>(ledger.release());
    TALLY_ASSERT((address & ledger_tag) == 0, "a ledger is aligned: its low bit is free for the tag");
    set_bits(address | ledger_tag);
  }
  // Hands the dormant ledger over (nullptr if there is none); the slot then holds nothing.
  std::unique_ptr<Ledger> take_dormant() {
    std::unique_ptr<Ledger> ledger(dormant());
    if (ledger) set_bits(0);
    return ledger;
  }

 private:
  static constexpr std::uintptr_t ledger_tag = 1;
  static_assert(sizeof(caf::actor) == sizeof(std::uintptr_t), "a caf::actor handle is one pointer");
  static_assert(alignof(Ledger) >= 2, "a ledger's address has a free low bit");

  std::uintptr_t bits() const {
    std::uintptr_t value = 0;
    std::memcpy(&value, word_, sizeof value);
    return value;
  }
  void set_bits(std::uintptr_t value) { std::memcpy(word_, &value, sizeof value); }

  alignas(caf::actor) alignas(std::uintptr_t) unsigned char word_[sizeof(std::uintptr_t)] = {};
};

}  // namespace tally
