// One CAF actor per user: the single writer of that user's history. It judges each transaction against the
// history (never negative at any moment) and logs it; the WAL thread publishes it once durable.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include <caf/all.hpp>

#include "actors/durable_batch.hpp"
#include "actors/pending_fifo.hpp"
#include "actors/user_table.hpp"
#include "ledger/outcomes.hpp"
#include "wal/wal_writer.hpp"

namespace tally {

class LedgerService;

struct TxCommand {
  TransactionApplied tx;
  TxReply reply;
};

// Items of one batch that belong to this user, in batch order; results go to the sink by batch position.
struct TxGroupCommand {
  std::vector<TransactionApplied> txs;
  std::vector<std::uint32_t> positions;  // same length as txs
  std::shared_ptr<BatchSink> sink;
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

 private:
  // Records judged together and written as one WAL entry (one for a single PUT, a user's share of a batch).
  // Shared with the WAL completion: on success the WAL thread publishes it and, at the end of its group commit,
  // answers it without a hop back here.
  struct InFlight final : DurableBatch::Answer {
    std::vector<TransactionApplied> txs;
    TxReply reply;                          // single PUT
    std::vector<std::uint32_t> positions;   // batch: each tx's position in it
    std::shared_ptr<BatchSink> sink;        // batch
    // Each tx's TxIndex entry, for the user's timeline: written by the WAL thread before `durable` is set.
    std::vector<const char*> entries;
    std::atomic<bool> durable{false};
    void answer(std::size_t k, const TxResult& result);
    void answer_durable() override;  // every tx applied; at its group commit's end
  };
  struct Pending {
    std::uint64_t seq;
    wal::WalTicket ticket;
    std::shared_ptr<InFlight> in_flight;
  };

  static void publish_durable(LedgerService& service, UserSlot& slot, const std::shared_ptr<InFlight>& in_flight);

  // Drops the pending entries the WAL thread already published, adding their transactions to the timeline.
  void drop_durable();
  void on_idle_check();
  void on_apply(TxCommand& command);
  void on_apply_many(TxGroupCommand& command);
  // Judges tx against the history (pending entries included) and inserts it if accepted; otherwise releases
  // its uid and returns the refusal the caller answers with.
  std::optional<Outcome> admit(const TransactionApplied& tx);
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

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::shared_ptr<tally::TxCommand>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::shared_ptr<tally::BalanceQuery>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::shared_ptr<tally::HistoryCommand>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::shared_ptr<tally::TxGroupCommand>)
