// The uid reservations a clustered tallyd keeps as the home shard of uids (docs/sharding.md): which transaction of
// another shard's user holds a uid. Durable (WAL records uidReserved/uidReleased) and answered from memory. Only
// the shard layer (shard/) uses this facet; implemented by LedgerService.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "ledger/outcomes.hpp"
#include "ledger/records.hpp"

namespace tally {

class UidReservationStore {
 public:
  // Logs the reservation (or release) and, once durable, applies it: `reply(applied)`; a storage outcome (nothing
  // changed) otherwise. A reservation replaces any earlier one of its uid; a release removes the uid's reservation
  // if it still holds the same content. `reply` runs once, on the WAL thread or inline.
  virtual void record_reservation(UidReservation reservation, std::function<void(Outcome)> reply) = 0;
  // The durable reservation of `uid`, if any. Any thread.
  virtual std::optional<TransactionApplied> find_reservation(const std::string& uid) const = 0;

 protected:
  ~UidReservationStore() = default;
};

}  // namespace tally
