// Recovery's facet of the ledger: how restored records get in before the first command. Only recovery (and its
// ParallelRestore) holds one; the REST layer sees ledger/ledger_api.hpp instead. Implemented by LedgerService.
// Calls come before serving; concurrent calls only for different users (ParallelRestore partitions by user).
#pragma once

#include <cstddef>
#include <optional>

#include "ledger/records.hpp"

namespace tally {

class LedgerRestore {
 public:
  // False = the record contradicts the state (a known id, an unknown user, the balance rule broken, a reused uid).
  virtual bool restore(const UserCreated& user) = 0;
  virtual bool restore(const TransactionApplied& tx) = 0;
  // A uid reservation or release (docs/sharding.md), in log order, from recovery's reading thread. False: a
  // release of a uid not reserved with that content. The default refuses: a ledger without reservations.
  virtual bool restore(const UidReservation& /*reservation*/) { return false; }
  // False = the user does not exist (yet).
  virtual bool restore(const UserUpdated& update) = 0;
  // Sizes the transaction index for about this many restored transactions (an estimate: see TxIndex::reserve).
  virtual void reserve_restore(std::size_t transactions) = 0;
  // restore(tx) in two parts, so that ParallelRestore can run them on different threads: the user's history
  // (false: unknown user, or the balance rule broken; the user's records in log order, as for restore) and the
  // uid index, many at once, from one thread, in log order (TxIndex::stage_bulk: returns count, or the index of a record
  // it refused; a reused uid is reported by settle_uids, which places them and can be shared by `parts` threads:
  // see TxIndex::settle_staged).
  virtual bool restore_balance(const TransactionApplied& tx) = 0;
  virtual std::size_t stage_uids(const TransactionApplied* const* txs, std::size_t count) = 0;
  virtual std::optional<TransactionApplied> settle_uids(std::size_t part, std::size_t parts) = 0;
  // After every stage_uids: the users' transaction listings (timelines) of part `part` of `parts`, from what
  // stage_uids collected; parts may run at once on different threads (and beside settle_uids). Until it ran
  // for every part, the restored transactions are not listed.
  virtual void build_timelines(std::size_t part, std::size_t parts) = 0;
  // After build_timelines ran for every part: frees what stage_uids collected for it.
  virtual void timelines_built() = 0;
  // A hint, a few records before restore_balance reaches this user: step 0 starts loading the user's state
  // into the cache, step 1 what step 0 brought in points at, step 2 the next level. Issued at decreasing
  // distances, so a random user's cache misses overlap instead of stalling one after the other. No effect on
  // the state; the default does nothing.
  virtual void prefetch_user(UserId /*id*/, int /*step*/) const {}

 protected:
  ~LedgerRestore() = default;  // not owned through this facet
};

}  // namespace tally
