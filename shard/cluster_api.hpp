// What rest/ may ask of the cluster (docs/sharding.md): the layout (who owns a user, where a uid is homed), and
// sending a request to another shard. Plain values only, no libcurl: rest/ includes this header and links nothing
// of shard/. tallyd with --shards 1 has no cluster at all (a null ClusterApi*), so a single node pays nothing.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "ledger/records.hpp"
#include "shard/layout.hpp"

namespace tally::shard {

// A request for a peer: its method, target (path and query, as received) and body, and the client's headers that
// travel with it. The hop marker (Tally-Forwarded) is added by the sender.
struct PeerRequest {
  std::string method;  // "GET", "PUT", "POST"
  std::string target;  // "/v1/user/7/balance?date=2023-01-01"
  std::string body;
  std::optional<std::string> idempotency_key;
  std::optional<std::string> authorization;
};

// What came back. `answered`: the peer's status, body and headers, to relay as they are. `unreachable`: the request
// never reached the peer (nothing was done there). `outcome_unknown`: sent, but no whole answer before the timeout
// or the connection broke (it may have been applied; a retry with the same uid is safe).
struct PeerAnswer {
  enum class Kind { answered, unreachable, outcome_unknown };
  Kind kind = Kind::unreachable;
  int status = 0;
  std::string body;
  int retry_after_seconds = 0;         // the peer's Retry-After, 0 = none
  std::optional<ShardId> owner_shard;  // the peer's Tally-Shard
  std::string failure;                 // why, when not answered (for the log)
};

using PeerReply = std::function<void(PeerAnswer)>;

// The peer-only routes of the uid protocol (docs/sharding.md): POST /internal/v1/uid-reservations (at a uid's
// home), /internal/v1/uid-releases (home), /internal/v1/uid-judgements (at the shard holding a reservation).
enum class PeerRoute { reserve_uid, release_uid, judge_uid };
// The answer to a peer-only route: its status and JSON body.
using PeerServed = std::function<void(int status, std::string body)>;

// At a uid's home: the transaction holding the uid by reservation, as its holder has it recorded.
struct ReservedLookup {
  enum class Kind { found, absent, unavailable };  // absent: no reservation, or its transaction is not durable
  Kind kind = Kind::absent;
  TransactionApplied record;  // found
  ShardId holder = 0;         // found, unavailable
};

class ClusterApi {
 public:
  virtual ~ClusterApi() = default;
  virtual const ShardLayout& layout() const = 0;
  // Sends `request` to shard `to` marked as forwarded by this shard (a shard that is not the owner refuses a
  // marked request rather than forwarding it again). `reply` runs exactly once, on the peer client's thread, at
  // the latest after limits::peer_request_timeout_ms. Never blocks.
  virtual void forward(ShardId to, PeerRequest request, PeerReply reply) = 0;
  // The shard that reserved `uid` at this home (docs/sharding.md, the uid protocol), if any.
  virtual std::optional<ShardId> uid_reserved_by(const std::string& uid) const = 0;
  // Serves a peer-only route's request body; `reply` runs once, on any thread.
  virtual void serve_peer(PeerRoute route, std::string body, PeerServed reply) = 0;
  // At the uid's home, for a uid not in this shard's index: asks the holder of its reservation. `reply` runs once.
  virtual void find_reserved(std::string uid, std::function<void(const ReservedLookup&)> reply) = 0;
};

// The hop marker: the forwarding shard's number.
inline constexpr const char* forwarded_header = "Tally-Forwarded";
// On every answer about a user or a transaction when clustered: the owning shard.
inline constexpr const char* shard_header = "Tally-Shard";

}  // namespace tally::shard
