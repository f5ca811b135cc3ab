// DurableBatch: the feed append and the answers of one group commit, in that order.
#include "actors/durable_batch.hpp"

#include "feed/feed_log.hpp"

namespace tally {

namespace {
class FunctionAnswer final : public DurableBatch::Answer {
 public:
  explicit FunctionAnswer(std::function<void()> answer) : answer_(std::move(answer)) {}
  void answer_durable() override { answer_(); }

 private:
  std::function<void()> answer_;
};
}  // namespace

void DurableBatch::defer(std::function<void()> answer) {
  answers_.push_back(std::make_shared<FunctionAnswer>(std::move(answer)));
}

void DurableBatch::finish(feed::FeedLog* feed) {
  if (feed != nullptr) {
    feed->append(events_);  // empties it
  } else {
    events_.clear();
  }
  // Swapped out first: an answer runs the HTTP edge's code, which must find this batch's list done with.
  giving_.swap(answers_);
  for (const std::shared_ptr<Answer>& answer : giving_) answer->answer_durable();
  giving_.clear();
}

}  // namespace tally
