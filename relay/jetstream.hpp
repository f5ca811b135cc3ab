// The relay's side of NATS JetStream (libnats): the stream (created if missing: subjects "<prefix>.>", a
// duplicate window of minutes), where each shard's events end in it, and publishing pages of events with
// "Nats-Msg-Id: <shard>-<seq>", waiting for every ack. Every message also says which stream sequence must be the
// stream's last when it arrives (and, after a page's first, which message id), so JetStream stores a message only
// if every message published before it is stored: the stream never holds a later event without all earlier ones,
// and its newest id per shard is where to resume (docs/notifications.md, "Where the relay resumes"). Before each
// page, the page's place is written to the key-value bucket "<stream>_relay" (relay/resume_point.hpp), so that
// newest id is found with a few reads however long the shard was quiet.
// No automatic reconnect: a failure is reported, and the caller resumes from what the stream holds.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "relay/feed_page.hpp"
#include "relay/page_acks.hpp"
#include "relay/resume_point.hpp"

namespace tally::relay {

inline constexpr std::int64_t duplicate_window_ms = 10 * 60 * 1000;

class JetStream {
 public:
  // scan_max: how many stream messages last_seqs() reads back at most.
  JetStream(std::string url, std::string stream, std::string subject_prefix, std::size_t scan_max);
  ~JetStream();
  JetStream(const JetStream&) = delete;
  JetStream& operator=(const JetStream&) = delete;

  enum class Connect { ok, failed, misconfigured };
  // Connects (if not connected) and makes sure the stream exists and takes "<prefix>.>". misconfigured: the stream
  // exists with subjects that do not: a configuration error, not worth retrying.
  Connect connect(std::string& error);
  void disconnect();

  // The shard's newest seq in the stream (0: none): from its resume intent checked against the stream, or, with
  // no intent (or one the stream does not bear out), scanning back from the stream's last message (at most
  // scan_max messages, stopping once `shards` shards are seen). `how` says which.
  bool resume_point(int shard, std::size_t shards, std::uint64_t& seq, std::string& how, std::string& error);

  // Publishes the events (one shard's, seqs ascending) to "<prefix>.<type>", chained on the stream's last
  // sequence, and waits for all acks (or a timeout). Returns how many events from the first the stream now holds;
  // fewer than all: `error` says what happened to the first one not held, and the connection is dropped.
  std::size_t publish(const std::vector<RawEvent>& events, std::string& error);

 private:
  bool connect_locked(std::string& error);
  void disconnect_locked();
  struct StreamState {
    std::uint64_t first = 0, last = 0, messages = 0;  // stream sequences of the oldest and newest message kept
  };
  bool read_stream_state_locked(StreamState& state, std::string& error);
  bool read_stream_last_locked(std::string& error);
  bool open_bucket_locked(std::string& error);
  bool read_msg_id_locked(std::uint64_t stream_seq, std::string& id, std::string& error);
  // The intent as the bucket holds it: false on a failure; `found` false when there is none (or unreadable).
  bool read_intent_locked(int shard, ResumeIntent& intent, bool& found, std::string& error);
  bool write_intent_locked(const std::vector<RawEvent>& events, std::string& error);
  bool scan_back_locked(std::size_t shards, std::map<int, ShardTail>& out, std::string& error);

  const std::string url_, stream_, prefix_;
  const std::size_t scan_max_;
  std::mutex mutex_;     // one page at a time: acks are awaited per context
  void* connection_ = nullptr;  // natsConnection*
  void* js_ = nullptr;          // jsCtx*
  void* bucket_ = nullptr;      // kvStore*: the resume intents
  std::map<int, ShardTail> tails_;  // each shard's newest event known to be in the stream, and where
  // The stream's last sequence as this relay last saw it (stream info, then each clean page's last ack); the next
  // message must find exactly this. Not known after a page that was not stored cleanly: read again.
  std::uint64_t stream_last_ = 0;
  bool stream_last_known_ = false;
  PageAcks acks_;  // filled by the ack handler on libnats's thread
};

}  // namespace tally::relay
