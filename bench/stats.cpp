// tally-loadgen: per-thread counters and their merge, the accounting of each answer, and the process-wide
// stop flag with the first fatal protocol error.
#include "stats.hpp"

#include <algorithm>
#include <ctime>
#include <mutex>

namespace loadgen {

std::atomic<bool> g_stop{false};
namespace {
std::mutex g_fatal_mu;
std::string g_fatal;
}  // namespace

void set_fatal(const std::string& why) {
  std::lock_guard<std::mutex> lock(g_fatal_mu);
  if (g_fatal.empty()) g_fatal = why;
  g_stop.store(true);
}

std::string fatal_message() {
  std::lock_guard<std::mutex> lock(g_fatal_mu);
  return g_fatal;
}

uint64_t mono_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

void Stats::merge(const Stats& o) {
  hist.merge(o.hist);
  for (std::size_t i = 0; i < by_status.size(); ++i) by_status[i] += o.by_status[i];
  s2xx += o.s2xx; s402 += o.s402; s4xx += o.s4xx; s5xx += o.s5xx; sother += o.sother;
  sock_errors += o.sock_errors;
  completed_in_window += o.completed_in_window;
  sent += o.sent; late += o.late; dropped += o.dropped; unfinished += o.unfinished; reconnects += o.reconnects;
  late_client += o.late_client;
  items_in_window += o.items_in_window;
  items_ok += o.items_ok; items_402 += o.items_402; items_other += o.items_other; items_sent += o.items_sent;
  if (first_odd.empty()) first_odd = o.first_odd;
  if (first_sock_error.empty()) first_sock_error = o.first_sock_error;
  if (o.slowest_ns > slowest_ns) {
    slowest_ns = o.slowest_ns;
    slowest = o.slowest;
  }
  if (slot_count.size() < o.slot_count.size()) {
    slot_count.resize(o.slot_count.size(), 0);
    slot_max_ns.resize(o.slot_count.size(), 0);
  }
  for (std::size_t i = 0; i < o.slot_count.size(); ++i) {
    slot_count[i] += o.slot_count[i];
    slot_max_ns[i] = std::max(slot_max_ns[i], o.slot_max_ns[i]);
  }
}

std::string excerpt(std::string_view s, std::size_t n) {
  std::string out(s.substr(0, n));
  // An API key never reaches a report: the value of an Authorization line is masked, whole or cut.
  const std::string field = "\r\nAuthorization: ";
  for (std::size_t at = out.find(field); at != std::string::npos; at = out.find(field, at + 1)) {
    const std::size_t value = at + field.size();
    const std::size_t end = std::min(out.find('\r', value), out.size());
    out.replace(value, end - value, "(hidden)");
  }
  for (char& c : out)
    if (c == '\r') c = ' ';
    else if (c == '\n') c = '|';
  if (s.size() > n) out += "...";
  return out;
}

namespace {
// Counts the per-item "status" fields of a batch answer: [{"status":200,...},{"status":402,...}].
void count_items(std::string_view body, Stats& st) {
  std::size_t pos = 0;
  while ((pos = body.find("\"status\":", pos)) != std::string_view::npos) {
    pos += 9;
    while (pos < body.size() && body[pos] == ' ') ++pos;
    int code = 0;
    while (pos < body.size() && body[pos] >= '0' && body[pos] <= '9') code = code * 10 + (body[pos++] - '0');
    if (code >= 200 && code < 300) ++st.items_ok;
    else if (code == 402) ++st.items_402;
    else ++st.items_other;
  }
}

}  // namespace

void Stats::record_answer(int status, uint64_t lat, std::size_t slot, std::string_view request,
                          std::string_view body, bool count) {
  hist.record(lat);
  if (lat > slowest_ns) {
    slowest_ns = lat;
    slowest = excerpt(request, 200) + " => " + std::to_string(status);
  }
  if (slot < 100000) {  // SIZE_MAX: no timeline
    if (slot_count.size() <= slot) {
      slot_count.resize(slot + 1, 0);
      slot_max_ns.resize(slot + 1, 0);
    }
    ++slot_count[slot];
    slot_max_ns[slot] = std::max(slot_max_ns[slot], lat);
  }
  if (status >= 0 && status < 600) ++by_status[static_cast<std::size_t>(status)];
  if (status >= 200 && status < 300) ++s2xx;
  else if (status == 402) ++s402;
  else if (status >= 400 && status < 500) ++s4xx;
  else if (status >= 500 && status < 600) ++s5xx;
  else ++sother;
  if (count && status >= 200 && status < 300) count_items(body, *this);
  if ((status < 200 || status >= 300) && status != 402 && first_odd.empty())
    first_odd = "request: " + excerpt(request, 400) + " => response " + std::to_string(status) + ": " +
                excerpt(body, 300);
}

}  // namespace loadgen
