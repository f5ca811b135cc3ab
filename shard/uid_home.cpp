// The uid protocol at a uid's home shard (decide, move a stale reservation) and at the shard asked to judge one,
// and the peer-only routes. See shard/uid_protocol.hpp and docs/sharding.md.
#include <spdlog/spdlog.h>

#include "ledger/assert.hpp"
#include "shard/uid_protocol.hpp"
#include "shard/uid_wire.hpp"

namespace tally::shard {

namespace {
const char* const judge_route = "/internal/v1/uid-judgements";
}  // namespace

void UidProtocol::decide(TransactionApplied tx, ShardId from, VerdictReply reply) {
  std::unique_lock<std::mutex> lock(mutex_);
  if (from != layout_.self) {
    // This shard's own users' uids are in its own index (durable) or in flight here.
    if (std::optional<TransactionApplied> own = local_.find_transaction(tx.uid)) {
      lock.unlock();
      return reply(Verdict::taken, std::move(own));
    }
    if (inflight_.count(tx.uid) > 0) {
      lock.unlock();
      return reply(Verdict::busy, std::nullopt);
    }
  }
  if (deciding_.count(tx.uid) > 0) {
    lock.unlock();
    return reply(Verdict::busy, std::nullopt);
  }
  const std::optional<TransactionApplied> held = store_.find_reservation(tx.uid);
  if (held && held->same_request_as(tx)) {
    lock.unlock();
    return reply(Verdict::reserved, std::nullopt);  // a retry of the reserved request
  }
  if (!held && from == layout_.self) {
    lock.unlock();
    return reply(Verdict::reserved, std::nullopt);  // this shard's own uid index decides
  }
  deciding_.insert(tx.uid);
  lock.unlock();
  if (!held) {
    store_.record_reservation(UidReservation{tx, false}, [this, uid = tx.uid, reply](Outcome outcome) {
      finish_deciding(uid);
      reply(outcome == Outcome::applied ? Verdict::reserved : Verdict::unavailable, std::nullopt);
    });
    return;
  }
  // Held by another transaction: ask its owner whether it is real before refusing or moving it.
  const ShardId holder = layout_.owner_of_user(held->user_id);
  judge_at(holder, *held,
           [this, tx, from, held = *held, reply](Judgement judgement, std::optional<TransactionApplied> record) {
             if (judgement == Judgement::absent || (judgement == Judgement::applied && record->same_request_as(tx))) {
               return move_reservation(tx, from, held, reply);
             }
             finish_deciding(tx.uid);
             if (judgement == Judgement::applied) return reply(Verdict::taken, std::move(record));
             reply(judgement == Judgement::pending ? Verdict::busy : Verdict::unavailable, std::nullopt);
           });
}

// The held reservation is stale: `tx` takes the uid (for this shard's own request, the reservation is released).
void UidProtocol::move_reservation(TransactionApplied tx, ShardId from, TransactionApplied held, VerdictReply reply) {
  UidReservation record = from == layout_.self ? UidReservation{held, true} : UidReservation{tx, false};
  store_.record_reservation(std::move(record), [this, uid = tx.uid, reply](Outcome outcome) {
    finish_deciding(uid);
    reply(outcome == Outcome::applied ? Verdict::reserved : Verdict::unavailable, std::nullopt);
  });
}

void UidProtocol::judge_at(ShardId holder, const TransactionApplied& held, JudgementReply reply) {
  if (holder == layout_.self) {  // not reached: reservations are only made for other shards' transactions
    std::optional<TransactionApplied> record;
    const Judgement judgement = judge_here(held, record);
    return reply(judgement, std::move(record));
  }
  post(holder, judge_route, {{"tx", tx_to_json(held)}}, [reply](std::optional<nlohmann::json> answer) {
    PeerDecision decision = read_decision(answer);
    if (decision.state == "pending") return reply(Judgement::pending, std::nullopt);
    if (decision.state == "absent") return reply(Judgement::absent, std::nullopt);
    if (decision.state == "applied" && decision.existing) {
      return reply(Judgement::applied, std::move(decision.existing));
    }
    reply(Judgement::unavailable, std::nullopt);
  });
}

// At the owner of a reserved transaction: durable here (its record), in flight here (pending), or neither (it was
// refused, or its shard crashed before applying it). Durable is asked before and after in flight: an apply leaves
// the in-flight set only after its outcome is in the uid index, so one finishing between the looks is seen.
UidProtocol::Judgement UidProtocol::judge_here(const TransactionApplied& held,
                                               std::optional<TransactionApplied>& record) {
  record = local_.find_transaction(held.uid);
  if (record) return Judgement::applied;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto [it, end] = inflight_.equal_range(held.uid);
    for (; it != end; ++it) {
      if (it->second.same_request_as(held)) return Judgement::pending;
    }
  }
  record = local_.find_transaction(held.uid);
  return record ? Judgement::applied : Judgement::absent;
}

void UidProtocol::find_reserved(const std::string& uid, std::function<void(const ReservedLookup&)> reply) {
  const std::optional<TransactionApplied> held = store_.find_reservation(uid);
  if (!held) return reply(ReservedLookup{});
  const ShardId holder = layout_.owner_of_user(held->user_id);
  judge_at(holder, *held, [reply, holder](Judgement judgement, std::optional<TransactionApplied> record) {
    ReservedLookup found;
    found.holder = holder;
    if (judgement == Judgement::applied) {
      found.kind = ReservedLookup::Kind::found;
      found.record = std::move(*record);
    } else if (judgement == Judgement::unavailable) {
      found.kind = ReservedLookup::Kind::unavailable;
    }
    reply(found);
  });
}

void UidProtocol::serve(PeerRoute route, const std::string& body, PeerServed reply) {
  const std::optional<nlohmann::json> request = parse_object(body);
  const std::optional<TransactionApplied> tx =
      request && request->contains("tx") ? tx_from_json((*request)["tx"]) : std::nullopt;
  if (!tx) return reply(400, R"({"error":{"code":"malformed_json","message":"expected {\"tx\":{...}}"}})");
  switch (route) {
    case PeerRoute::reserve_uid: {
      const auto from = request->value("from", static_cast<std::int64_t>(-1));
      if (from < 0 || from >= static_cast<std::int64_t>(layout_.count) || from == layout_.self ||
          layout_.home_of_uid(tx->uid) != layout_.self ||
          layout_.owner_of_user(tx->user_id) != static_cast<ShardId>(from)) {
        return reply(400, R"({"error":{"code":"shard_misrouted","message":"not this uid's home, or not its owner"}})");
      }
      return decide(*tx, static_cast<ShardId>(from),
                    [reply](Verdict verdict, std::optional<TransactionApplied> existing) {
                      nlohmann::json answer{{"state", verdict == Verdict::reserved ? "reserved"
                                                      : verdict == Verdict::taken  ? "taken"
                                                      : verdict == Verdict::busy   ? "busy"
                                                                                   : "unavailable"}};
                      if (existing) answer["existing"] = tx_to_json(*existing);
                      reply(200, answer.dump());
                    });
    }
    case PeerRoute::release_uid:
      return store_.record_reservation(UidReservation{*tx, true}, [reply](Outcome outcome) {
        reply(200, nlohmann::json{{"state", outcome == Outcome::applied ? "released" : "unavailable"}}.dump());
      });
    case PeerRoute::judge_uid: {
      std::optional<TransactionApplied> record;
      const Judgement judgement = judge_here(*tx, record);
      nlohmann::json answer{{"state", judgement == Judgement::pending   ? "pending"
                                      : judgement == Judgement::applied ? "applied"
                                                                        : "absent"}};
      if (record) answer["existing"] = tx_to_json(*record);
      return reply(200, answer.dump());
    }
  }
  TALLY_ASSERT(false, "a peer route outside the enumeration");
}

}  // namespace tally::shard
