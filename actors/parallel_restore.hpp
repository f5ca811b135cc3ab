// Replays recovered records into the ledger on several threads: records are partitioned by user, so each user's
// records keep their log order (its creation first), while different users are restored in parallel.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "actors/ledger_service.hpp"
#include "ledger/records.hpp"

namespace tally {

class ParallelRestore {
 public:
  using Record = std::variant<UserCreated, TransactionApplied>;

  ParallelRestore(LedgerService& ledger, unsigned workers);
  ~ParallelRestore();  // finish()
  ParallelRestore(const ParallelRestore&) = delete;
  ParallelRestore& operator=(const ParallelRestore&) = delete;

  // From one reading thread, in log order. False once a record was rejected (stop reading: the log is not ours).
  bool add(Record record);
  // Applies everything added, joins the workers. False if any record contradicted the state; see error().
  bool finish();
  const std::string& error() const { return error_; }

  std::uint64_t users() const { return users_.load(); }
  std::uint64_t transactions() const { return transactions_.load(); }

 private:
  static constexpr std::size_t batch_records = 4096;       // handed to a worker at once
  static constexpr std::size_t queued_batches_max = 16;    // per worker: bounds memory while reading runs ahead

  struct Worker {
    std::mutex mutex;
    std::condition_variable changed;
    std::deque<std::vector<Record>> queue;
    std::vector<Record> filling;
    bool closing = false;
    std::thread thread;
  };

  void run(Worker& worker);
  void hand_over(Worker& worker);
  void reject(const std::string& what);

  LedgerService& ledger_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::atomic<bool> failed_{false};
  std::mutex error_mutex_;
  std::string error_;
  std::atomic<std::uint64_t> users_{0}, transactions_{0};
  bool finished_ = false;
};

}  // namespace tally
