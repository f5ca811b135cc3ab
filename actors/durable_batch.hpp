// What one WAL group commit made durable, gathered on the WAL thread while its entries are published one by one
// and released at the batch's end (WalWriter::set_batch_end): the change feed gets the batch's events in ONE
// append (one lock, one wake of its readers) in log order, and only then do the answers leave. A client that
// holds its answer can therefore read its event from the feed.
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

  DurableBatch() = default;
  DurableBatch(const DurableBatch&) = delete;
  DurableBatch& operator=(const DurableBatch&) = delete;

  // WAL thread only (its completions and its batch end). Events go here in log order, as entries are published.
  std::vector<feed::Event>& events() { return events_; }
  void defer(std::shared_ptr<Answer> answer) { answers_.push_back(std::move(answer)); }
  // An answer that is a plain function (the rarer user records).
  void defer(std::function<void()> answer);

  // The batch's end: appends its events to `feed` (none: dropped) at once, then gives its answers in log order.
  void finish(feed::FeedLog* feed);

 private:
  std::vector<feed::Event> events_;               // reused: no allocation per batch once grown
  std::vector<std::shared_ptr<Answer>> answers_;  // likewise
  std::vector<std::shared_ptr<Answer>> giving_;   // the list being answered (an answer may not add to it)
};

}  // namespace tally
