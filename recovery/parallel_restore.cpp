// ParallelRestore: the reader fills one batch per worker; a worker restores its users' creations and histories,
// then passes the batch to the uid stage, which writes every transaction's uid entry into the index without
// looking it up (TxIndex::stage_bulk) and returns the batch to the reader, which frees the records it allocated
// and refills it. Bounded queues make a faster stage wait rather than buffer the log. At the end the staged uids
// are placed in the index's tables in sorted passes, on two threads, which is also where a reused uid is found,
// and the users' timelines are built from what the uid stage collected (actors/timeline_staging.hpp).
#include "recovery/parallel_restore.hpp"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include "ledger/assert.hpp"

namespace tally::recovery {

namespace {
UserId user_of(const ParallelRestore::Record& record) {
  if (const auto* user = std::get_if<UserCreated>(&record)) return user->id;
  if (const auto* update = std::get_if<UserUpdated>(&record)) return update->user_id;
  return std::get<TransactionApplied>(record).user_id;
}
}  // namespace

ParallelRestore::ParallelRestore(LedgerRestore& ledger, unsigned workers) : ledger_(ledger) {
  if (workers == 0) workers = 1;
  for (unsigned i = 0; i < workers; ++i) {
    workers_.push_back(std::make_unique<Worker>());
    workers_.back()->index = i;
    workers_.back()->filling.reserve(batch_records);
  }
  for (auto& worker : workers_) {
    Worker* w = worker.get();
    w->thread = std::thread([this, w] { run(*w); });
  }
  uid_thread_ = std::thread([this] { run_uids(); });
}

ParallelRestore::~ParallelRestore() { finish(); }

void ParallelRestore::push(Queue& queue, Batch batch, std::size_t bound) {
  std::unique_lock<std::mutex> lock(queue.mutex);
  queue.changed.wait(lock, [&] { return queue.batches.size() < bound || failed_.load(); });
  queue.batches.push_back(std::move(batch));
  queue.changed.notify_all();
}

bool ParallelRestore::pop(Queue& queue, Batch& batch) {
  std::unique_lock<std::mutex> lock(queue.mutex);
  queue.changed.wait(lock, [&] { return !queue.batches.empty() || queue.closing; });
  if (queue.batches.empty()) return false;
  batch = std::move(queue.batches.front());
  queue.batches.pop_front();
  queue.changed.notify_all();
  return true;
}

void ParallelRestore::close(Queue& queue) {
  std::lock_guard<std::mutex> lock(queue.mutex);
  queue.closing = true;
  queue.changed.notify_all();
}

bool ParallelRestore::add(Record&& record) {
  if (failed_.load(std::memory_order_relaxed)) return false;
  if (const auto* reservation = std::get_if<UidReservation>(&record)) {
    // Not a user's: applied here, on the reader's thread, in log order (a release follows its reservation).
    if (!ledger_.restore(*reservation)) {
      reject("uid " + reservation->tx.uid + " is released without being reserved");
      return false;
    }
    ++reservations_;
    return true;
  }
  put(*workers_[user_of(record) % workers_.size()], std::move(record));
  return true;
}

void ParallelRestore::put(Worker& worker, Record&& record) {
  if (worker.filled < worker.filling.size()) {
    worker.filling[worker.filled] = std::move(record);
  } else {
    worker.filling.push_back(std::move(record));
  }
  ++worker.filled;
  ++added_;
  if (worker.filled >= batch_records) hand_over(worker);
}

bool ParallelRestore::add_recycling(Record& record) {
  // A reservation is applied here, on the reader's thread: `record` keeps its strings.
  if (std::holds_alternative<UidReservation>(record)) return add(std::move(record));
  if (failed_.load(std::memory_order_relaxed)) return false;
  Worker& worker = *workers_[user_of(record) % workers_.size()];
  auto* tx = std::get_if<TransactionApplied>(&record);
  auto* place = worker.filled < worker.filling.size() ? std::get_if<TransactionApplied>(&worker.filling[worker.filled])
                                                      : nullptr;
  if (tx == nullptr || place == nullptr) return add(std::move(record));  // `record` is left empty
  // The place is a spent record (its batch came back through spent_, after the worker and the uid stage were
  // done with it). Assigned field by field; libstdc++'s string move-assignment hands the place's old buffers to
  // `record` (only a matter of speed: decode_into overwrites whatever it holds).
  *place = std::move(*tx);
  ++worker.filled;
  ++added_;
  if (worker.filled >= batch_records) hand_over(worker);
  return true;
}

void ParallelRestore::hand_over(Worker& worker) {
  worker.filling.resize(worker.filled);  // spent records not overwritten are freed here, where they were made
  push(worker.queue, std::move(worker.filling), queued_batches_max);
  Batch spent;
  {
    std::lock_guard<std::mutex> lock(spent_.mutex);
    if (!spent_.batches.empty()) {
      spent = std::move(spent_.batches.front());
      spent_.batches.pop_front();
    }
  }
  // The spent batch's records become the places of the next batch.
  worker.filling = std::move(spent);
  worker.filling.reserve(batch_records);
  worker.filled = 0;
}

void ParallelRestore::run(Worker& worker) {
  pthread_setname_np(pthread_self(), "tally-restore");  // told apart in perf and /proc (bench/restart_timeline.py)
  Batch batch;
  while (pop(worker.queue, batch)) {
    if (!failed_.load(std::memory_order_relaxed)) {  // else drain without applying
      for (std::size_t k = 0; k < batch.size(); ++k) {
        // Users come at random in real traffic: their state is loaded a few records ahead (see prefetch_user).
        for (int step = 0; step < 3; ++step) {
          const std::size_t next = k + (3 - step) * prefetch_distance;
          if (next < batch.size()) ledger_.prefetch_user(user_of(batch[next]), step);
        }
        const Record& record = batch[k];
        // One worker per user, batches in the order handed over: each user's records apply in log order.
        TALLY_ASSERT(user_of(record) % workers_.size() == worker.index, "a user's records go to one worker");
        if (const auto* user = std::get_if<UserCreated>(&record)) {
          if (!ledger_.restore(*user)) {
            reject("user " + std::to_string(user->id) + " is created twice (or its Idempotency-Key is reused)");
            break;
          }
          users_.fetch_add(1, std::memory_order_relaxed);
        } else if (const auto* update = std::get_if<UserUpdated>(&record)) {
          if (!ledger_.restore(*update)) {
            reject("an update of user " + std::to_string(update->user_id) + " comes before its creation");
            break;
          }
          user_updates_.fetch_add(1, std::memory_order_relaxed);
        } else {
          const auto& tx = std::get<TransactionApplied>(record);
          if (!ledger_.restore_balance(tx)) {
            reject("transaction " + tx.uid + " of user " + std::to_string(tx.user_id) +
                   " does not fit the log before it (unknown user, or a balance rule broken)");
            break;
          }
          transactions_.fetch_add(1, std::memory_order_relaxed);
        }
      }
    }
    push(uids_, std::move(batch), queued_batches_max);
    batch = Batch();
  }
}

void ParallelRestore::run_uids() {
  pthread_setname_np(pthread_self(), "tally-uids");
  Batch batch;
  std::vector<const TransactionApplied*> txs;
  while (pop(uids_, batch)) {
    if (!failed_.load(std::memory_order_relaxed)) {
      txs.clear();
      for (const Record& record : batch) {
        if (const auto* tx = std::get_if<TransactionApplied>(&record)) txs.push_back(tx);
      }
      const std::size_t failed = ledger_.stage_uids(txs.data(), txs.size());
      if (failed != txs.size())
        reject("transaction " + txs[failed]->uid + " of user " + std::to_string(txs[failed]->user_id) +
               " is out of limits");
    }
    give_back(std::move(batch));
    batch = Batch();
  }
}

void ParallelRestore::give_back(Batch batch) {
  std::lock_guard<std::mutex> lock(spent_.mutex);
  spent_.batches.push_back(std::move(batch));  // unbounded: the reader takes one per hand-over
  ++spent_count_;
  spent_.changed.notify_all();
}

std::size_t ParallelRestore::spent_batches() {
  std::lock_guard<std::mutex> lock(spent_.mutex);
  return spent_count_;
}

void ParallelRestore::wait_spent(std::size_t batches) {
  std::unique_lock<std::mutex> lock(spent_.mutex);
  spent_.changed.wait(lock, [&] { return spent_count_ >= batches || failed_.load(); });
}

// The staged uids go into the index's tables and the users' timelines are built, each split between this
// thread and a helper (the other stages are done, so the machine's cores are free; the two jobs touch
// different memory); a uid met twice refuses the log.
void ParallelRestore::settle_uids() {
  constexpr std::size_t parts = 2;
  std::optional<TransactionApplied> reused[parts];
  auto settle = [&](std::size_t part) {
    reused[part] = ledger_.settle_uids(part, parts);
    ledger_.build_timelines(part, parts);
  };
  std::thread helper([&] {
    pthread_setname_np(pthread_self(), "tally-settle");
    settle(1);
  });
  settle(0);
  helper.join();
  ledger_.timelines_built();
  for (const auto& tx : reused) {
    if (tx) {
      reject("transaction " + tx->uid + " of user " + std::to_string(tx->user_id) +
             ": its uid is taken by another transaction of the log");
      return;
    }
  }
}

void ParallelRestore::reject(const std::string& what) {
  {
    std::lock_guard<std::mutex> lock(error_mutex_);
    if (error_.empty()) error_ = what;
  }
  failed_.store(true);
  for (Queue* queue : {&uids_, &spent_}) {
    std::lock_guard<std::mutex> lock(queue->mutex);
    queue->changed.notify_all();
  }
  for (auto& worker : workers_) {
    std::lock_guard<std::mutex> lock(worker->queue.mutex);
    worker->queue.changed.notify_all();
  }
}

bool ParallelRestore::finish() {
  if (finished_) return !failed_.load();
  finished_ = true;
  for (auto& worker : workers_) {
    worker->filling.resize(worker->filled);
    if (!worker->filling.empty()) push(worker->queue, std::move(worker->filling), queued_batches_max);
    worker->filling = Batch();
    worker->filled = 0;
    close(worker->queue);
  }
  for (auto& worker : workers_) worker->thread.join();
  close(uids_);
  uid_thread_.join();
  spdlog::debug("restore phase: users' histories and the uid stage done");  // bench/restart_timeline.py
  spent_.batches.clear();
  if (!failed_.load()) settle_uids();
  spdlog::debug("restore phase: uids settled, timelines built");
  if (!failed_.load())
    TALLY_ASSERT(users_.load() + transactions_.load() + user_updates_.load() == added_,
                 "every record read was applied exactly once");
  return !failed_.load();
}

}  // namespace tally::recovery
