// What one WAL group commit made durable, gathered on the WAL thread and released at the batch's end
// (WalWriter::set_batch_end). Transaction entries are only *staged* by their completions; at the batch's end
// they are published in log order in one pass (publish_staged), each entry's first reads (its user's slot, its
// uids' table slots) loaded a few entries ahead, so the misses of several entries overlap instead of stalling
// the WAL thread one by one. Then the change feed gets the batch's events in ONE append (one lock, one wake of
// its readers) in log order, and only then do the answers leave. A client that holds its answer can therefore
// read its event from the feed. A record published by its completion directly (a user record) first publishes
// what is staged before it, so readers and the feed still see the log's order.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "feed/event.hpp"

namespace tally {

namespace feed {
class FeedLog;
}

class DurableBatch {
 public:
  // An answer owed for a durable entry, given at the batch's end.
  class Answer {
   public:
    virtual void answer_durable() = 0;

   protected:
    ~Answer() = default;
  };

  // A durable entry whose publishing waits for publish_staged; answered like any other afterwards.
  class Staged : public Answer {
   public:
    // Loads what publish() reads first, one pointer level per step (staged_prefetch_steps steps, 0 first).
    virtual void prefetch_publish(int step) const = 0;
    // Makes the entry visible to readers (WAL thread, in log order).
    virtual void publish() = 0;

   protected:
    ~Staged() = default;
  };

  DurableBatch() = default;
  DurableBatch(const DurableBatch&) = delete;
  DurableBatch& operator=(const DurableBatch&) = delete;

  // WAL thread only (its completions and its batch end). Events go here in log order, as entries are published.
  std::vector<feed::Event>& events() { return events_; }
  void defer(std::shared_ptr<Answer> answer) { answers_.push_back(std::move(answer)); }
  // An answer that is a plain function (the rarer user records).
  void defer(std::function<void()> answer);
  // Publishes `entry` at publish_staged, then answers it with the rest.
  void stage(std::shared_ptr<Staged> entry);
  // Publishes every staged entry, in the order staged. Before anything that publishes in its completion.
  void publish_staged();

  // The batch's end: publishes what is staged, appends its events to `feed` (none: dropped) at once, then gives
  // its answers in log order.
  void finish(feed::FeedLog* feed);

 private:
  std::vector<feed::Event> events_;               // reused: no allocation per batch once grown
  std::vector<std::shared_ptr<Answer>> answers_;  // likewise
  std::vector<Staged*> staged_;                   // not yet published; each held by answers_
  std::vector<std::shared_ptr<Answer>> giving_;   // the list being answered (an answer may not add to it)
};

}  // namespace tally
