// DurableBatch: the staged publishing, the feed append and the answers of one group commit, in that order.
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

// Entry k + step_entries * (steps - s) gets prefetch step s while entry k is published: each step reads what the
// one before loaded, so the pointer chain of an entry is in cache by its turn (measured: bench/batch_cost.sh).
constexpr int staged_prefetch_steps = 3;
constexpr std::size_t staged_step_entries = 4;
}  // namespace

void DurableBatch::defer(std::function<void()> answer) {
  answers_.push_back(std::make_shared<FunctionAnswer>(std::move(answer)));
}

void DurableBatch::stage(std::shared_ptr<Staged> entry) {
  staged_.push_back(entry.get());
  answers_.push_back(std::move(entry));
}

void DurableBatch::publish_staged() {
  const std::size_t count = staged_.size();
  // The first entries have no earlier ones to hide their loads behind: their steps are asked for up front.
  for (int step = 0; step < staged_prefetch_steps; ++step) {
    const std::size_t reach = staged_step_entries * static_cast<std::size_t>(staged_prefetch_steps - step);
    for (std::size_t k = 0; k < reach && k < count; ++k) staged_[k]->prefetch_publish(step);
  }
  for (std::size_t k = 0; k < count; ++k) {
    for (int step = 0; step < staged_prefetch_steps; ++step) {
      const std::size_t ahead = k + staged_step_entries * static_cast<std::size_t>(staged_prefetch_steps - step);
      if (ahead < count) staged_[ahead]->prefetch_publish(step);
    }
    staged_[k]->publish();
  }
  staged_.clear();
}

void DurableBatch::finish(feed::FeedLog* feed) {
  publish_staged();
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
