// UserActor: speculative apply, durable publish. Pending entries count when judging later transactions (so two
// withdrawals cannot both spend the same money) but never in what readers see, until the WAL makes them durable.
// The WAL thread publishes and answers a durable record itself; the actor only learns of it to drop its copy.
#include "actors/user_actor.hpp"

#include <cstdio>
#include <cstdlib>

#include "actors/ledger_service.hpp"
#include "wal/record_codec.hpp"

namespace tally {

namespace {
[[noreturn]] void impossible(const char* what) {
  std::fprintf(stderr, "UserActor invariant violated: %s\n", what);
  std::abort();
}

Outcome outcome_of(wal::WalStatus status) {
  switch (status) {
    case wal::WalStatus::durable: return Outcome::applied;
    case wal::WalStatus::no_space: return Outcome::storage_full;
    case wal::WalStatus::dependency_failed: return Outcome::storage_full;
    case wal::WalStatus::stopped: return Outcome::shutting_down;
    case wal::WalStatus::io_error: return Outcome::storage_failed;
  }
  return Outcome::storage_failed;
}
}  // namespace

UserActor::UserActor(caf::actor_config& config, LedgerService* service, UserSlot* slot,
                     std::unique_ptr<UserLedger> ledger)
    : caf::event_based_actor(config), service_(service), slot_(slot), ledger_(std::move(ledger)) {
  if (!ledger_) ledger_ = std::make_unique<UserLedger>();
}

caf::behavior UserActor::make_behavior() {
  return {
      [this](apply_atom, const std::shared_ptr<TxCommand>& command) { on_apply(*command); },
      [this](wal_done_atom, std::uint64_t seq, int status) {
        on_wal_done(seq, static_cast<wal::WalStatus>(status));
      },
      [this](balance_atom, const std::shared_ptr<BalanceQuery>& query) {
        drop_durable();
        query->reply(durable_balance_at(query->at));
      },
  };
}

void UserActor::drop_durable() {
  while (!pending_.empty() && pending_.front().in_flight->durable.load(std::memory_order_acquire))
    pending_.pop_front();
}

void UserActor::on_apply(TxCommand& command) {
  drop_durable();
  const TransactionApplied& tx = command.tx;
  const MinorUnits delta = tx.delta();
  const Verdict verdict = judge(ledger_->history, tx.at, delta);
  if (verdict != Verdict::accepted) {
    service_->finish_claim(tx, false);
    command.reply(TxResult{verdict == Verdict::insufficient_funds ? Outcome::insufficient_funds
                                                                   : Outcome::balance_too_large,
                           tx});
    return;
  }
  const std::uint64_t seq = ledger_->next_seq++;
  ledger_->history.insert(tx.at, delta);
  // A record may only become durable if every earlier pending one of this user does: they were judged together.
  const wal::WalTicket depends_on = pending_.empty() ? 0 : pending_.back().ticket;
  auto in_flight = std::make_shared<InFlight>();
  in_flight->tx = tx;
  in_flight->reply = std::move(command.reply);
  pending_.push_back(Pending{seq, 0, in_flight});
  caf::actor self_handle = caf::actor_cast<caf::actor>(this);
  LedgerService* service = service_;
  UserSlot* slot = slot_;
  const wal::WalTicket ticket = service_->wal().submit(
      wal::encode(tx), depends_on,
      [self_handle, seq, service, slot, in_flight = std::move(in_flight)](wal::WalStatus status) {
        // Success needs no message back: the actor drops durable entries the next time it runs. Only a failure
        // must reach it, to roll the speculative entry back.
        if (status == wal::WalStatus::durable) {
          publish_durable(*service, *slot, *in_flight);
        } else {
          caf::anon_send(self_handle, wal_done_atom::value, seq, static_cast<int>(status));
        }
      });
  if (ticket == 0) {
    // Refused before queueing; its completion message will find nothing left to do.
    roll_back(std::prev(pending_.end()), Outcome::storage_full);
    return;
  }
  pending_.back().ticket = ticket;
}

// Runs on the WAL thread, in log order. Readers see the record from here on, so it is published (balance,
// durable flag, uid) before the answer leaves.
void UserActor::publish_durable(LedgerService& service, UserSlot& slot, InFlight& in_flight) {
  slot.balance.fetch_add(in_flight.tx.delta(), std::memory_order_release);
  in_flight.durable.store(true, std::memory_order_release);
  service.finish_claim(in_flight.tx, true);
  TxReply reply = std::move(in_flight.reply);
  reply(TxResult{Outcome::applied, in_flight.tx});
}

void UserActor::on_wal_done(std::uint64_t seq, wal::WalStatus status) {
  if (status == wal::WalStatus::durable) impossible("success is never reported by message");
  drop_durable();
  auto it = pending_.begin();
  while (it != pending_.end() && it->seq != seq) ++it;
  if (it == pending_.end()) return;  // already rolled back when submit refused it
  // The WAL completes in submission order and fails every record behind a failed one.
  if (it->in_flight->durable.load(std::memory_order_acquire)) impossible("a record failed after it was durable");
  roll_back(it, outcome_of(status));
}

void UserActor::roll_back(std::deque<Pending>::iterator it, Outcome outcome) {
  std::shared_ptr<InFlight> failed = std::move(it->in_flight);
  pending_.erase(it);
  ledger_->history.erase(failed->tx.at, failed->tx.delta());
  service_->finish_claim(failed->tx, false);
  failed->reply(TxResult{outcome, failed->tx});
}

MinorUnits UserActor::durable_balance_at(UtcMicros at) const {
  MinorUnits balance = ledger_->history.balance_at(at);
  for (const Pending& pending : pending_) {
    const InFlight& f = *pending.in_flight;
    if (f.tx.at <= at && !f.durable.load(std::memory_order_acquire)) balance -= f.tx.delta();
  }
  return balance;
}

}  // namespace tally
