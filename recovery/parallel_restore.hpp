// Replays recovered records into the ledger on several threads: records are partitioned by user, so each user's
// records keep their log order (its creation first), while different users are restored in parallel. The uid
// index is filled by a stage of its own, after the users' workers, from the same batches. Recovery's own
// machinery: it drives LedgerService's restore calls (restore, restore_balance, stage_uids, settle_uids, build_timelines).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "ledger/ledger_restore.hpp"
#include "ledger/records.hpp"

namespace tally::recovery {

class ParallelRestore {
 public:
  using Record = std::variant<UserCreated, TransactionApplied, UidReservation, UserUpdated>;  // as wal::Record

  // `workers` threads for the users' histories, plus one for the uid index.
  ParallelRestore(LedgerRestore& ledger, unsigned workers);
  ~ParallelRestore();  // finish()
  ParallelRestore(const ParallelRestore&) = delete;
  ParallelRestore& operator=(const ParallelRestore&) = delete;

  // From one reading thread, in log order. False once a record was rejected (stop reading: the log is not ours).
  bool add(Record&& record);  // moved from once, into its batch (a record move costs its strings)
  bool add(const Record& record) { return add(Record(record)); }
  // add, then `record` holds a spent record of an earlier batch (or an empty one): decoding the next record into
  // it (wal::decode_into) reuses its strings' capacity, so the log's uids are not allocated one by one. A spent
  // record is one the worker and the uid stage are done with (their batch came back): nothing refers to it.
  // A transaction going into a spent transaction's place is assigned there (no record moves in and out).
  bool add_recycling(Record& record);
  // Applies everything added, joins the threads. False if any record contradicted the state; see error().
  bool finish();
  // Stops without applying what is left and joins the threads: the ledger is being thrown away (a snapshot found
  // invalid part way through its restore). Nothing is settled; finish() then returns false.
  void abandon() {
    reject("restore abandoned");
    finish();
  }
  const std::string& error() const { return error_; }

  std::uint64_t users() const { return users_.load(); }
  std::uint64_t transactions() const { return transactions_.load(); }
  std::uint64_t reservations() const { return reservations_; }  // uid reservations and releases (docs/sharding.md)
  std::uint64_t user_updates() const { return user_updates_.load(); }

  static constexpr std::size_t batch_records = 4096;  // handed to a worker at once

  // Test seams for the recycling (restore itself never waits on them). Batches are spent once the uid stage gave
  // them back; with one worker they are spent in the order handed over. spent_batches(): how many so far.
  // wait_spent(n): blocks until n were (or the restore failed), so a test can step add_recycling deterministically.
  std::size_t spent_batches();
  void wait_spent(std::size_t batches);

 private:
  static constexpr std::size_t queued_batches_max = 16;  // per queue: bounds memory while a stage runs ahead
  static constexpr std::size_t prefetch_distance = 4;    // records between a user's prefetch steps

  using Batch = std::vector<Record>;

  // Batches from one thread to another; push waits while `bound` are queued (unless the restore failed).
  struct Queue {
    std::mutex mutex;
    std::condition_variable changed;
    std::deque<Batch> batches;
    bool closing = false;
  };

  struct Worker {
    std::size_t index = 0;  // takes the users with id % workers == index
    Queue queue;
    // The reader's: records [0, filled) are this batch's; the rest are a spent batch's, overwritten in place
    // (their strings' buffers go back to add_recycling's record), dropped when the batch is handed over.
    Batch filling;
    std::size_t filled = 0;
    std::thread thread;
  };

  void push(Queue& queue, Batch batch, std::size_t bound);
  bool pop(Queue& queue, Batch& batch);  // false: closed and empty
  void close(Queue& queue);

  void put(Worker& worker, Record&& record);  // the next place of the worker's batch
  void hand_over(Worker& worker);
  void run(Worker& worker);       // users and histories of one partition; then the batch goes to the uid stage
  void run_uids();                // the uid index; then the batch goes back to the reader (give_back)
  void give_back(Batch batch);    // into spent_, counted
  void settle_uids();  // and the timelines (build_timelines), on two threads
  void reject(const std::string& what);

  LedgerRestore& ledger_;
  std::vector<std::unique_ptr<Worker>> workers_;
  Queue uids_;   // batches whose users are restored, for the uid stage
  Queue spent_;  // finished batches: the reader frees their records (its own allocations) and reuses them
  std::size_t spent_count_ = 0;  // batches ever given back into spent_ (under spent_.mutex)
  std::thread uid_thread_;
  std::atomic<bool> failed_{false};
  std::mutex error_mutex_;
  std::string error_;
  std::atomic<std::uint64_t> users_{0}, transactions_{0}, user_updates_{0};
  std::uint64_t reservations_ = 0;  // the reading thread's only
  std::uint64_t added_ = 0;  // records taken by add() (the reading thread's count)
  bool finished_ = false;
};

}  // namespace tally::recovery
