// LedgerService's uid reservations (ledger/uid_reservations.hpp, docs/sharding.md): a map from uid to the
// transaction holding it, changed only by durable WAL records (live, or replayed by recovery).
#include "actors/ledger_service.hpp"
#include "wal/record_codec.hpp"

namespace tally {

bool LedgerService::apply_reservation(const UidReservation& reservation) {
  const std::string& uid = reservation.tx.uid;
  if (!reservation.released) {
    reservations_[uid] = reservation.tx;
    return true;
  }
  // A release frees the uid only from the content it names: one of a reservation replaced since is a no-op.
  const auto it = reservations_.find(uid);
  if (it != reservations_.end() && it->second.same_request_as(reservation.tx)) reservations_.erase(it);
  return true;
}

bool LedgerService::restore(const UidReservation& reservation) {
  std::lock_guard<std::mutex> lock(reservations_mutex_);
  return apply_reservation(reservation);
}

void LedgerService::record_reservation(UidReservation reservation, std::function<void(Outcome)> reply) {
  std::optional<std::string> payload = wal::encode(reservation);
  if (!payload) {
    reply(Outcome::record_refused);
    return;
  }
  wal().submit(std::move(*payload), 0, [this, reservation, reply](wal::WalStatus status) {
    if (status != wal::WalStatus::durable) {
      reply(status == wal::WalStatus::stopped    ? Outcome::shutting_down
            : status == wal::WalStatus::io_error ? Outcome::storage_failed
                                                 : Outcome::storage_full);
      return;
    }
    durable_batch_.publish_staged();  // the transactions before it in the log are visible first
    {
      std::lock_guard<std::mutex> lock(reservations_mutex_);
      apply_reservation(reservation);  // a release of a replaced reservation changes nothing: that is fine
    }
    reply(Outcome::applied);
  });
}

std::optional<TransactionApplied> LedgerService::find_reservation(const std::string& uid) const {
  std::lock_guard<std::mutex> lock(reservations_mutex_);
  const auto it = reservations_.find(uid);
  if (it == reservations_.end()) return std::nullopt;
  return it->second;
}

}  // namespace tally
