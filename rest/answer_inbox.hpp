// Answers finished on other threads (the WAL thread's group commit, CAF workers), handed to the reactor thread
// that owns their connections, which writes them: one eventfd wake per reactor per drain (a whole commit's
// answers for that reactor), and each socket written by the thread that reads it (its state warm in that
// core's cache) instead of by the WAL thread between two fdatasyncs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace tally::rest {

class HttpConnection;

class AnswerInbox {
 public:
  AnswerInbox();  // throws std::system_error when no eventfd can be made
  ~AnswerInbox();
  AnswerInbox(const AnswerInbox&) = delete;
  AnswerInbox& operator=(const AnswerInbox&) = delete;

  int fd() const { return fd_; }  // readable while answers wait; the reactor polls it
  // True on the reactor thread that drains this inbox (marked by drain's caller through mark_own_thread).
  bool on_own_thread() const;
  void mark_own_thread() const;

  // Any thread. The request stays counted in flight (ServerState::in_flight) until drain hands the answer to its
  // connection: graceful shutdown waits for that, so no answer is left sitting here when the connections are shut.
  void post(std::shared_ptr<HttpConnection> connection, std::uint64_t slot, std::string bytes, bool close_after);
  // The reactor thread: hands every waiting answer to its connection, oldest first.
  void drain();

 private:
  struct Item {
    std::shared_ptr<HttpConnection> connection;
    std::uint64_t slot;
    std::string bytes;
    bool close_after;
  };

  const int fd_;
  std::mutex mutex_;
  std::vector<Item> items_;    // posted, not yet drained
  std::vector<Item> draining_; // the reactor's: swapped with items_ (both keep their capacity)
  bool signalled_ = false;     // fd_ was written since the last drain: later posts need no wake
};

}  // namespace tally::rest
