// The relay's side of NATS JetStream (libnats): the stream (created if missing: subjects "<prefix>.>", a
// duplicate window of minutes), where each shard's events end in it, and publishing pages of events with
// "Nats-Msg-Id: <shard>-<seq>", waiting for every ack. No automatic reconnect: a failure is reported, and the
// caller reconnects and republishes from what it knows was acked (the stream drops the duplicates).
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "relay/feed_page.hpp"

namespace tally::relay {

inline constexpr std::int64_t duplicate_window_ms = 10 * 60 * 1000;

class JetStream {
 public:
  JetStream(std::string url, std::string stream, std::string subject_prefix);
  ~JetStream();
  JetStream(const JetStream&) = delete;
  JetStream& operator=(const JetStream&) = delete;

  enum class Connect { ok, failed, misconfigured };
  // Connects (if not connected) and makes sure the stream exists and takes "<prefix>.>". misconfigured: the stream
  // exists with subjects that do not: a configuration error, not worth retrying.
  Connect connect(std::string& error);
  void disconnect();

  // The newest seq of each shard in the stream, scanning back from its last message (at most scan_max messages,
  // stopping once `shards` shards are known). A shard with no message is absent.
  bool last_seqs(std::size_t shards, std::map<int, std::uint64_t>& out, std::string& error);

  // Publishes every event to "<prefix>.<type>" and waits for all acks (or a timeout). False: not all were
  // acknowledged; nothing is known about which, so the caller republishes from the page's start.
  bool publish(const std::vector<RawEvent>& events, std::string& error);

 private:
  bool connect_locked(std::string& error);
  void disconnect_locked();

  const std::string url_, stream_, prefix_;
  std::mutex mutex_;     // one page at a time: acks are awaited per context
  void* connection_ = nullptr;  // natsConnection*
  void* js_ = nullptr;          // jsCtx*
  int failed_acks_ = 0;         // counted by the error handler during a page (under mutex_: it runs inside Complete)
};

}  // namespace tally::relay
