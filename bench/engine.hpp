// tally-loadgen: the per-thread epoll engine driving keep-alive HTTP/1.1 connections, closed-loop
// (send on reply) or open-loop (send on a fixed timeline, latency counted from the scheduled time).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "stats.hpp"
#include "workload.hpp"

namespace loadgen {

// Where requests come from; one per thread, so it needs no locking of its own.
class Source {
 public:
  virtual ~Source() = default;
  // Appends the next request to `out`; false when there is nothing more to send (set-up phases).
  virtual bool next(std::string& out, ReqMeta& meta) = 0;
  virtual void on_response(const ReqMeta&, int /*status*/, std::string_view /*body*/) {}
};

struct RunSpec {
  std::string host = "127.0.0.1";
  int port = 8000;
  int connections = 1;
  uint64_t start_ns = 0;         // first send
  uint64_t window_start_ns = 0;  // after warm-up: what counts
  uint64_t end_ns = 0;           // no send at or after this
  uint64_t grace_end_ns = 0;     // give up on in-flight answers
  double rate = 0;               // this thread's requests per second; 0 = closed loop
  uint64_t offset_ns = 0;        // this thread's phase on the open-loop timeline
  uint64_t late_ns = 1000000;
  bool count_items = false;      // batch: count per-item statuses in the answer
  uint64_t slot_ns = 0;          // timeline slot width; 0 = no timeline
};

Stats run_engine(const RunSpec& spec, Source& source);

}  // namespace loadgen
