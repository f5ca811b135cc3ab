// What JetStream answered for each message of one page of events, collected as the acks arrive (on libnats's
// thread), and the one figure the relay acts on: how many events from the page's start the stream now holds.
// The relay moves its cursor past that prefix only; everything after it is published again.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

namespace tally::relay {

class PageAcks {
 public:
  enum class Outcome { pending, stored, duplicate, refused };

  // A new page of this shard's events with these seqs (ascending). Acks of other pages arriving late are ignored
  // unless they name an event of this page: an ack says the stream holds the message, whoever sent it.
  void begin(int shard, const std::vector<std::uint64_t>& seqs);
  // The answer for the event with this seq: stored at stream_seq, a duplicate of a message the stream already
  // holds, or refused (why). Unknown seqs (another page's) are ignored.
  void record(int shard, std::uint64_t seq, Outcome outcome, std::uint64_t stream_seq, const std::string& why);

  struct Prefix {
    std::size_t held = 0;             // events [0, held) of the page are in the stream
    bool clean = false;               // every event of the page was stored (no duplicate, none pending or refused)
    std::uint64_t last_stream_seq = 0;  // clean: the stream sequence of the page's last event
    std::string first_problem;        // !clean: what happened to the first event not stored
  };
  Prefix prefix() const;

 private:
  mutable std::mutex mutex_;  // record() runs on libnats's thread
  int shard_ = 0;
  std::vector<std::uint64_t> seqs_;
  std::vector<Outcome> outcomes_;
  std::vector<std::uint64_t> stream_seqs_;
  std::vector<std::string> whys_;
};

}  // namespace tally::relay
