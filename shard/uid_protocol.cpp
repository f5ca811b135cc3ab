// The uid protocol, both sides. See shard/uid_protocol.hpp and docs/sharding.md (each failure case).
#include "shard/uid_protocol.hpp"

#include <spdlog/spdlog.h>

#include <atomic>

#include "ledger/assert.hpp"
#include "ledger/limits.hpp"
#include "shard/uid_wire.hpp"

namespace tally::shard {

namespace {
const char* const reserve_path = "/internal/v1/uid-reservations";
const char* const release_path = "/internal/v1/uid-releases";

// Nothing was recorded: the uid is free again for its next attempt.
bool refused(Outcome outcome) {
  return outcome != Outcome::applied && outcome != Outcome::replayed && outcome != Outcome::conflict;
}
}  // namespace

UidProtocol::UidProtocol(const ShardLayout& layout, LedgerApi& local, UidReservationStore& store, PeerClient& client,
                         std::string peer_secret)
    : layout_(layout), local_(local), store_(store), client_(client), peer_secret_(std::move(peer_secret)) {}

void UidProtocol::inflight_add(const TransactionApplied& tx) {
  std::lock_guard<std::mutex> lock(mutex_);
  inflight_.emplace(tx.uid, tx);
}

void UidProtocol::inflight_remove(const TransactionApplied& tx) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto [it, end] = inflight_.equal_range(tx.uid);
  for (; it != end; ++it) {
    if (it->second.same_request_as(tx)) {
      inflight_.erase(it);
      return;
    }
  }
  TALLY_ASSERT(false, "an in-flight transaction leaves once");
}

void UidProtocol::finish_deciding(const std::string& uid) {
  std::lock_guard<std::mutex> lock(mutex_);
  deciding_.erase(uid);
}

void UidProtocol::post(ShardId to, const char* path, nlohmann::json body,
                       std::function<void(std::optional<nlohmann::json>)> done) {
  PeerCall call;
  call.method = "POST";
  call.url = layout_.peers[to] + path;
  call.body = body.dump();
  call.headers.push_back(std::string(forwarded_header) + ": " + std::to_string(layout_.self));
  if (!peer_secret_.empty()) call.headers.push_back("Authorization: Bearer " + peer_secret_);
  client_.send(std::move(call), [done = std::move(done), to, path](PeerAnswer answer) {
    if (answer.kind != PeerAnswer::Kind::answered || answer.status != 200) {
      spdlog::warn(
          "shard {} {}: {}", to, path,
          answer.kind == PeerAnswer::Kind::answered ? "status " + std::to_string(answer.status) : answer.failure);
      done(std::nullopt);
      return;
    }
    done(parse_object(answer.body));
  });
}

// ---------------------------------------------------------------------------------------------------------------
// The owner's side

void UidProtocol::settle(const TransactionApplied& tx, bool release_if_refused, Outcome outcome) {
  inflight_remove(tx);
  if (release_if_refused && refused(outcome)) release(tx);
}

void UidProtocol::apply(TransactionApplied tx, TxReply reply) {
  inflight_add(tx);
  const bool remote_home = layout_.home_of_uid(tx.uid) != layout_.self;
  reserve(
      tx,
      [this, tx, reply = std::move(reply), remote_home](Verdict verdict, std::optional<TransactionApplied> existing) {
        if (verdict == Verdict::reserved) {
          local_.apply(tx, [this, tx, reply, remote_home](const TxResult& result) {
            settle(tx, remote_home, result.outcome);
            reply(result);
          });
          return;
        }
        inflight_remove(tx);
        if (verdict == Verdict::taken) {
          reply(TxResult{Outcome::conflict, *existing});
        } else {
          reply(TxResult{Outcome::shard_unavailable, tx});
        }
      },
      0);
}

void UidProtocol::reserve(TransactionApplied tx, VerdictReply reply, int attempt) {
  // A uid still being decided elsewhere (busy) is asked again shortly, as one node parks a second copy.
  auto retry_or_reply = [this, tx, reply, attempt](Verdict verdict, std::optional<TransactionApplied> existing) {
    spdlog::debug("uid {} user {}: verdict {} (attempt {})", tx.uid, tx.user_id, static_cast<int>(verdict), attempt);
    if (verdict == Verdict::busy && attempt < limits::uid_reservation_busy_retries_max) {
      client_.after(limits::uid_reservation_busy_wait_ms,
                    [this, tx, reply, attempt] { reserve(tx, reply, attempt + 1); });
      return;
    }
    reply(verdict, std::move(existing));
  };
  const ShardId home = layout_.home_of_uid(tx.uid);
  if (home == layout_.self) {
    decide(std::move(tx), layout_.self, std::move(retry_or_reply));
    return;
  }
  post(home, reserve_path, {{"from", layout_.self}, {"tx", tx_to_json(tx)}},
       [retry_or_reply](std::optional<nlohmann::json> answer) {
         PeerDecision decision = read_decision(answer);
         if (decision.state == "reserved") return retry_or_reply(Verdict::reserved, std::nullopt);
         if (decision.state == "busy") return retry_or_reply(Verdict::busy, std::nullopt);
         if (decision.state == "taken" && decision.existing) {
           return retry_or_reply(Verdict::taken, std::move(decision.existing));
         }
         retry_or_reply(Verdict::unavailable, std::nullopt);
       });
}

void UidProtocol::release(const TransactionApplied& tx) {
  const ShardId home = layout_.home_of_uid(tx.uid);
  TALLY_ASSERT(home != layout_.self, "a uid homed here is never reserved for this shard's own transactions");
  // Best effort: a release that does not arrive leaves a reservation the home re-judges when the uid is next used.
  post(home, release_path, {{"tx", tx_to_json(tx)}}, [](std::optional<nlohmann::json>) {});
}

namespace {

// A local sub-batch: every item is reserved first (all at once), then the reserved ones go to the ledger as one
// batch in their original order (a user's items keep their order); the others are answered by their verdict.
struct BatchReservations {
  std::vector<TransactionApplied> txs;
  std::vector<std::uint32_t> positions;
  std::vector<UidProtocol::Verdict> verdicts;
  std::vector<std::optional<TransactionApplied>> existing;
  std::atomic<std::size_t> remaining{0};
  std::shared_ptr<BatchSink> sink;
};

// Passes each item's outcome on after the protocol has settled it (in-flight set, release of a refused uid).
struct SettlingSink : BatchSink {
  std::function<void(const TransactionApplied&, Outcome)> settle;
  std::vector<TransactionApplied> by_index;  // the transaction of each position (sparse: the batch's positions)
  std::shared_ptr<BatchSink> sink;
  void item_done(std::size_t index, const TxResult& result) override {
    settle(by_index[index], result.outcome);
    sink->item_done(index, result);
  }
};

}  // namespace

namespace {
// Counts a round's items; when the last is answered, the next round (the batch's repeated uids) starts.
struct RoundSink : BatchSink {
  std::shared_ptr<BatchSink> sink;
  std::atomic<std::size_t> remaining{0};
  std::function<void()> next_round;
  void item_done(std::size_t index, const TxResult& result) override {
    sink->item_done(index, result);
    if (remaining.fetch_sub(1, std::memory_order_acq_rel) == 1 && next_round) next_round();
  }
};
}  // namespace

void UidProtocol::apply_batch(std::vector<TransactionApplied> txs, std::vector<std::uint32_t> positions,
                              std::shared_ptr<BatchSink> sink) {
  // A uid repeated in the batch waits for a later round: its first item must be decided (applied: the repeat
  // replays or conflicts; refused: released) before the repeat can be reserved, as one node parks a second copy.
  std::unordered_set<std::string, SeededStringHash> seen;
  std::vector<TransactionApplied> later;
  std::vector<std::uint32_t> later_positions;
  std::vector<TransactionApplied> now;
  std::vector<std::uint32_t> now_positions;
  for (std::size_t i = 0; i < txs.size(); ++i) {
    const bool repeated = !seen.insert(txs[i].uid).second;
    (repeated ? later : now).push_back(std::move(txs[i]));
    (repeated ? later_positions : now_positions).push_back(positions[i]);
  }
  if (later.empty()) return apply_round(std::move(now), std::move(now_positions), std::move(sink));
  auto round = std::make_shared<RoundSink>();
  round->sink = sink;
  round->remaining = now.size();
  round->next_round = [this, later = std::move(later), later_positions = std::move(later_positions), sink]() mutable {
    apply_batch(std::move(later), std::move(later_positions), std::move(sink));
  };
  apply_round(std::move(now), std::move(now_positions), round);
}

void UidProtocol::apply_round(std::vector<TransactionApplied> txs, std::vector<std::uint32_t> positions,
                              std::shared_ptr<BatchSink> sink) {
  auto batch = std::make_shared<BatchReservations>();
  batch->verdicts.assign(txs.size(), Verdict::unavailable);
  batch->existing.assign(txs.size(), std::nullopt);
  batch->remaining = txs.size();
  batch->txs = std::move(txs);
  batch->positions = std::move(positions);
  batch->sink = std::move(sink);
  auto all_decided = [this, batch] {
    auto settling = std::make_shared<SettlingSink>();
    settling->sink = batch->sink;
    settling->settle = [this](const TransactionApplied& tx, Outcome outcome) {
      settle(tx, layout_.home_of_uid(tx.uid) != layout_.self, outcome);
    };
    std::vector<TransactionApplied> reserved;
    std::vector<std::uint32_t> reserved_positions;
    for (std::size_t i = 0; i < batch->txs.size(); ++i) {
      const std::uint32_t position = batch->positions[i];
      if (batch->verdicts[i] == Verdict::reserved) {
        if (settling->by_index.size() <= position) settling->by_index.resize(position + 1);
        settling->by_index[position] = batch->txs[i];
        reserved.push_back(batch->txs[i]);
        reserved_positions.push_back(position);
        continue;
      }
      inflight_remove(batch->txs[i]);
      batch->sink->item_done(position, batch->verdicts[i] == Verdict::taken
                                           ? TxResult{Outcome::conflict, *batch->existing[i]}
                                           : TxResult{Outcome::shard_unavailable, batch->txs[i]});
    }
    if (!reserved.empty()) local_.apply_batch(std::move(reserved), std::move(reserved_positions), settling);
  };
  for (std::size_t i = 0; i < batch->txs.size(); ++i) {
    inflight_add(batch->txs[i]);
    reserve(
        batch->txs[i],
        [batch, i, all_decided](Verdict verdict, std::optional<TransactionApplied> existing) {
          batch->verdicts[i] = verdict;
          batch->existing[i] = std::move(existing);
          if (batch->remaining.fetch_sub(1, std::memory_order_acq_rel) == 1) all_decided();
        },
        0);
  }
}

}  // namespace tally::shard
