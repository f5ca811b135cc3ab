// tally-loadgen: what one measuring thread counts (statuses, latency histogram, open-loop lateness, timeline),
// merged over threads at the end; plus the process-wide stop flag and clock.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "histogram.hpp"

namespace loadgen {

uint64_t mono_ns();

// Stops every running engine (a fatal protocol error in one thread, or SIGINT).
extern std::atomic<bool> g_stop;
void set_fatal(const std::string& why);  // the first reason wins; also sets g_stop
std::string fatal_message();             // empty unless set_fatal was called

// The first n characters of s, with CR/LF made visible and any Authorization value hidden, for error messages.
std::string excerpt(std::string_view s, std::size_t n = 300);

struct Stats {
  Histogram hist;                      // latency of answered requests sent in the window, ns
  std::vector<uint64_t> by_status;     // count per HTTP status (index = status, 0..599)
  uint64_t s2xx = 0, s402 = 0, s4xx = 0, s5xx = 0, sother = 0;
  uint64_t sock_errors = 0;            // connect failures, resets, EOF with a request in flight
  uint64_t completed_in_window = 0;    // answers received between window start and end (throughput)
  uint64_t sent = 0, late = 0, dropped = 0, unfinished = 0, reconnects = 0;
  uint64_t late_client = 0;            // late sends although a connection was free (the client lagged)
  uint64_t items_in_window = 0;        // transactions carried by 2xx answers received in the window (tx/s)
  uint64_t items_ok = 0, items_402 = 0, items_other = 0, items_sent = 0;
  std::string first_odd;               // first answer that was neither 2xx nor 402: request and response
  std::string first_sock_error;
  std::string slowest;                 // the request that took longest (max latency)
  uint64_t slowest_ns = 0;
  std::vector<uint64_t> slot_count, slot_max_ns;  // per time slot of the window (--timeline)

  Stats() : by_status(600, 0) {}
  void merge(const Stats& o);
  // Accounts one answer to a request sent inside the window. `slot` is its timeline slot (or SIZE_MAX).
  void record_answer(int status, uint64_t latency_ns, std::size_t slot, std::string_view request,
                     std::string_view body, bool count_items);
};

}  // namespace loadgen
