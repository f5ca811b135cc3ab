// ParallelRestore: one queue per worker, filled in batches by the reader; a bounded queue makes the reader wait
// rather than buffer the whole log in memory when replay is the slower side.
#include "actors/parallel_restore.hpp"

namespace tally {

namespace {
UserId user_of(const ParallelRestore::Record& record) {
  if (const auto* user = std::get_if<UserCreated>(&record)) return user->id;
  return std::get<TransactionApplied>(record).user_id;
}
}  // namespace

ParallelRestore::ParallelRestore(LedgerService& ledger, unsigned workers) : ledger_(ledger) {
  if (workers == 0) workers = 1;
  for (unsigned i = 0; i < workers; ++i) {
    workers_.push_back(std::make_unique<Worker>());
    workers_.back()->filling.reserve(batch_records);
  }
  for (auto& worker : workers_) {
    Worker* w = worker.get();
    w->thread = std::thread([this, w] { run(*w); });
  }
}

ParallelRestore::~ParallelRestore() { finish(); }

bool ParallelRestore::add(Record record) {
  if (failed_.load(std::memory_order_relaxed)) return false;
  Worker& worker = *workers_[user_of(record) % workers_.size()];
  worker.filling.push_back(std::move(record));
  if (worker.filling.size() >= batch_records) hand_over(worker);
  return true;
}

void ParallelRestore::hand_over(Worker& worker) {
  std::unique_lock<std::mutex> lock(worker.mutex);
  worker.changed.wait(lock, [&] { return worker.queue.size() < queued_batches_max || failed_.load(); });
  worker.queue.push_back(std::move(worker.filling));
  worker.filling = {};
  worker.filling.reserve(batch_records);
  worker.changed.notify_all();
}

void ParallelRestore::run(Worker& worker) {
  for (;;) {
    std::vector<Record> batch;
    {
      std::unique_lock<std::mutex> lock(worker.mutex);
      worker.changed.wait(lock, [&] { return !worker.queue.empty() || worker.closing; });
      if (worker.queue.empty()) return;
      batch = std::move(worker.queue.front());
      worker.queue.pop_front();
      worker.changed.notify_all();
    }
    if (failed_.load(std::memory_order_relaxed)) continue;  // drain without applying
    for (const Record& record : batch) {
      if (const auto* user = std::get_if<UserCreated>(&record)) {
        if (!ledger_.restore(*user)) {
          reject("user " + std::to_string(user->id) + " is created twice (or its Idempotency-Key is reused)");
          break;
        }
        users_.fetch_add(1, std::memory_order_relaxed);
      } else {
        const auto& tx = std::get<TransactionApplied>(record);
        if (!ledger_.restore(tx)) {
          reject("transaction " + tx.uid + " of user " + std::to_string(tx.user_id) +
                 " does not fit the log before it (unknown user, reused uid, or a balance rule broken)");
          break;
        }
        transactions_.fetch_add(1, std::memory_order_relaxed);
      }
    }
  }
}

void ParallelRestore::reject(const std::string& what) {
  {
    std::lock_guard<std::mutex> lock(error_mutex_);
    if (error_.empty()) error_ = what;
  }
  failed_.store(true);
  for (auto& worker : workers_) {
    std::lock_guard<std::mutex> lock(worker->mutex);
    worker->changed.notify_all();
  }
}

bool ParallelRestore::finish() {
  if (finished_) return !failed_.load();
  finished_ = true;
  for (auto& worker : workers_) {
    if (!worker->filling.empty()) hand_over(*worker);
    std::lock_guard<std::mutex> lock(worker->mutex);
    worker->closing = true;
    worker->changed.notify_all();
  }
  for (auto& worker : workers_) worker->thread.join();
  return !failed_.load();
}

}  // namespace tally
