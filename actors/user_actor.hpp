// One CAF actor per user: the single writer of that user's history. It judges each transaction against the
// history (never negative at any moment) and logs it; the WAL thread publishes it once durable.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include <boost/container/small_vector.hpp>
#include <caf/all.hpp>

#include "actors/durable_batch.hpp"
#include "actors/pending_fifo.hpp"
#include "actors/tx_index.hpp"
#include "actors/user_table.hpp"
#include "ledger/outcomes.hpp"
#include "wal/wal_writer.hpp"

namespace tally {

class LedgerService;

// What goes with each transaction of a user's WAL entry besides the transaction: its position in its batch
// (where its answer goes; 0 for a single PUT), its uid's hash (TxIndex::hash_of, computed once when the uid is
// claimed, used again by the commit) and, once durable, its TxIndex entry for the user's timeline (written by the
// WAL thread before the entry's `durable` flag). One vector: no separate allocation for the entries.
struct TxItem {
  std::uint32_t position;
  UidHash uid_hash;
  const char* entry = nullptr;
};

struct BalanceQuery {
  UtcMicros at;
  BalanceReply reply;
};

struct HistoryCommand {
  HistoryQuery query;
  HistoryReply reply;
};

using apply_atom = caf::atom_constant<caf::atom("apply")>;
using apply_many_atom = caf::atom_constant<caf::atom("applymany")>;
using wal_done_atom = caf::atom_constant<caf::atom("waldone")>;
using balance_atom = caf::atom_constant<caf::atom("balanceat")>;
using idle_check_atom = caf::atom_constant<caf::atom("idlecheck")>;
using history_atom = caf::atom_constant<caf::atom("history")>;

class UserActor : public caf::event_based_actor {
 public:
  UserActor(caf::actor_config& config, LedgerService* service, UserSlot* slot, std::unique_ptr<UserLedger> ledger);
  ~UserActor() override;
  caf::behavior make_behavior() override;
  void enqueue(caf::mailbox_element_ptr message, caf::execution_unit* unit) override;
  caf::invoke_message_result consume(caf::mailbox_element& message) override;
  // For a batch's worker job (BatchTurns::Prefetch), which owns `actor` (a UserActor made ready, its turn not
  // yet run): loads what the turn reads first, one level of pointers per step (0: the actor's own fields; 1: its
  // oldest pending entry and ledger; 2: that entry's record and the history and timeline roots; 3: its entries).
  static void prefetch_turn(caf::resumable* actor, int step);

  // Records judged together and written as one WAL entry (one for a single PUT, a user's share of a batch).
  // A single PUT's is built by LedgerService::apply and sent as the command (apply_atom). A batch builds it (its items of one user, in batch order; results go to the sink by batch position) and sends
  // it to the actor as the command (apply_many_atom), which drops refused items and submits it as it is: one
  // allocation for both. Shared with the WAL completion: on success the WAL thread stages it, publishes it at the end of its group
  // commit with the rest (DurableBatch::publish_staged) and then answers it, without a hop back here.
  struct InFlight final : DurableBatch::Staged {
    InFlight(LedgerService& service, UserSlot& slot) : service(service), slot(slot) {}
    // Made by make_shared (a single PUT) or as one of a batch's InPlaceArray (aliasing the array's count): a
    // shared_ptr to it either way. `self` is that handle's, for the WAL completion, which has only the address.
    static std::shared_ptr<InFlight> hold(std::shared_ptr<InFlight> made) {
      made->self = made;
      return made;
    }
    std::weak_ptr<InFlight> self;
    LedgerService& service;
    UserSlot& slot;
    // Set by the actor that submits it: its pending list holds this entry until durable or failed, and keeps it
    // alive so long.
    UserActor* owner = nullptr;
    std::uint64_t seq = 0;  // names it in the owner's pending list (a failure's message)
    // A single PUT's transaction and most batch groups' (a batch over many users has about one item per user)
    // live inside the command itself: no allocation for either vector then; a larger group's spill to the heap.
    static constexpr std::size_t inline_items = 1;
    template <class T>
    using Items = boost::container::small_vector<T, inline_items>;
    Items<TransactionApplied> txs;
    TxReply reply;                          // single PUT
    Items<TxItem> items;                    // one per tx (a batch's positions; uid hashes; durable entries)
    std::shared_ptr<BatchSink> sink;        // batch
    std::atomic<bool> durable{false};
    void answer(std::size_t k, const TxResult& result);
    void prefetch_publish(int step) const override;
    void publish() override { publish_durable(service, slot, *this); }
    void answer_durable() override;  // every tx applied; at its group commit's end
  };
 private:
  struct Pending {
    std::uint64_t seq;
    wal::WalTicket ticket;
    std::shared_ptr<InFlight> in_flight;
  };

  static void publish_durable(LedgerService& service, UserSlot& slot, InFlight& in_flight);
  // The WAL's completion of an entry (its only capture is the entry: no allocation, no actor handle to release).
  static void on_wal_completion(InFlight* in_flight, wal::WalStatus status);

  // Drops the pending entries the WAL thread already published, adding their transactions to the timeline.
  void drop_durable();
  void on_idle_check();
  // A single PUT: `in_flight` holds its one transaction, reply and uid hash (LedgerService::apply builds it).
  void on_apply(std::shared_ptr<InFlight> in_flight);
  void on_apply_many(std::shared_ptr<InFlight> group);
  // Judges tx against the history (pending entries included) and inserts it if accepted; otherwise releases
  // its uid and returns the refusal the caller answers with.
  std::optional<Outcome> admit(const TransactionApplied& tx, UidHash uid_hash);
  void submit(std::shared_ptr<InFlight> in_flight);
  void on_wal_done(std::uint64_t seq, wal::WalStatus status);
  void roll_back(PendingFifo<Pending>::iterator it, Outcome outcome);
  MinorUnits durable_balance_at(UtcMicros at) const;

  LedgerService* service_;
  UserSlot* slot_;
  std::unique_ptr<UserLedger> ledger_;  // history includes pending (not yet durable) entries
  // Names this actor's pending WAL records (matched in on_wal_done); strictly increasing. The actor's, not the
  // ledger's: it only passivates with nothing pending, and a completion only ever reaches the actor that wrote.
  std::uint64_t next_seq_ = 1;
  PendingFifo<Pending> pending_;        // in WAL submission order; allocates nothing at spawn
  std::uint64_t messages_ = 0;          // handled so far; unchanged between two idle checks = idle
  std::uint64_t messages_at_last_check_ = 0;
};

}  // namespace tally

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::shared_ptr<tally::BalanceQuery>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::shared_ptr<tally::HistoryCommand>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::shared_ptr<tally::UserActor::InFlight>)
