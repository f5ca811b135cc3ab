// tally-loadgen: turns merged Stats into the one-line human summary and the JSON document (--json).
// Latencies are printed in milliseconds; throughput counts answers received inside the measured window.
#pragma once

#include <cstdio>
#include <string>

#include "engine.hpp"
#include "workload.hpp"

namespace loadgen {

struct Report {
  const Options& opt;
  const Stats& st;
  double window_s;
  std::string fatal;
};

inline std::string fmt_ms(uint64_t ns) {
  char b[32];
  double ms = ns / 1e6;
  std::snprintf(b, sizeof b, ms < 10 ? "%.3f" : (ms < 100 ? "%.2f" : "%.1f"), ms);
  return b;
}

inline double req_per_s(const Report& r) { return r.window_s > 0 ? r.st.completed_in_window / r.window_s : 0; }

inline double tx_per_s(const Report& r) {
  if (r.window_s <= 0) return 0;
  return r.st.items_in_window / r.window_s;  // tx and batch: transactions answered per second
}

inline std::string human_line(const Report& r) {
  const Stats& s = r.st;
  const Histogram& h = s.hist;
  char b[1024];
  std::string mode = r.opt.rate > 0 ? "open-loop " + std::to_string(static_cast<long long>(r.opt.rate)) + " req/s"
                                    : std::string("closed-loop");
  std::snprintf(b, sizeof b,
                "[%s] %s, %d conns / %d threads, %.2f s: %.0f req/s (%llu answers)",
                r.opt.label.c_str(), mode.c_str(), r.opt.connections, r.opt.threads, r.window_s, req_per_s(r),
                static_cast<unsigned long long>(s.completed_in_window));
  std::string line = b;
  if (r.opt.workload == "batch") {
    std::snprintf(b, sizeof b, ", %.0f tx/s (items: ok %llu, 402 %llu, other %llu)", tx_per_s(r),
                  static_cast<unsigned long long>(s.items_ok), static_cast<unsigned long long>(s.items_402),
                  static_cast<unsigned long long>(s.items_other));
    line += b;
  }
  std::snprintf(b, sizeof b,
                " | latency ms p50 %s p99 %s p99.9 %s max %s | 2xx %llu, 402 %llu, other 4xx %llu, 5xx %llu, "
                "socket errors %llu",
                fmt_ms(h.at(0.5)).c_str(), fmt_ms(h.at(0.99)).c_str(), fmt_ms(h.at(0.999)).c_str(),
                fmt_ms(h.max()).c_str(), static_cast<unsigned long long>(s.s2xx),
                static_cast<unsigned long long>(s.s402), static_cast<unsigned long long>(s.s4xx),
                static_cast<unsigned long long>(s.s5xx), static_cast<unsigned long long>(s.sock_errors));
  line += b;
  if (s.sother) line += ", other " + std::to_string(s.sother);
  if (r.opt.rate > 0) {
    std::snprintf(b, sizeof b, " | sent %llu, late(>%.1fms) %llu (client-side %llu), dropped %llu",
                  static_cast<unsigned long long>(s.sent), r.opt.late_ms, static_cast<unsigned long long>(s.late),
                  static_cast<unsigned long long>(s.late_client), static_cast<unsigned long long>(s.dropped));
    line += b;
  }
  if (s.unfinished) line += " | unanswered at end " + std::to_string(s.unfinished);
  if (!r.fatal.empty()) line += " | FATAL";
  return line;
}

inline std::string timeline_text(const Report& r) {
  std::string out = "  timeline (slot start s: answers, max latency ms):\n";
  char b[96];
  for (std::size_t i = 0; i < r.st.slot_count.size(); ++i) {
    std::snprintf(b, sizeof b, "    %8.2f: %8llu  %s\n", i * r.opt.timeline_ms / 1000.0,
                  static_cast<unsigned long long>(r.st.slot_count[i]), fmt_ms(r.st.slot_max_ns[i]).c_str());
    out += b;
  }
  return out;
}

inline std::string json_escape(const std::string& in) {
  std::string out;
  for (char c : in) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char b[8];
          std::snprintf(b, sizeof b, "\\u%04x", c);
          out += b;
        } else {
          out += c;
        }
    }
  }
  return out;
}

inline std::string json_report(const Report& r) {
  const Stats& s = r.st;
  const Histogram& h = s.hist;
  auto u = [](uint64_t v) { return std::to_string(v); };
  auto ms = [](uint64_t ns) {
    char b[32];
    std::snprintf(b, sizeof b, "%.4f", ns / 1e6);
    return std::string(b);
  };
  auto num = [](double v) {
    char b[32];
    std::snprintf(b, sizeof b, "%.1f", v);
    return std::string(b);
  };
  std::string j = "{";
  j += "\"label\":\"" + json_escape(r.opt.label) + "\",\"workload\":\"" + json_escape(r.opt.workload) + "\",";
  j += "\"mode\":\"" + std::string(r.opt.rate > 0 ? "open" : "closed") + "\",\"rate\":" + num(r.opt.rate) + ",";
  j += "\"connections\":" + std::to_string(r.opt.connections) + ",\"threads\":" + std::to_string(r.opt.threads) + ",";
  char wbuf[32];
  std::snprintf(wbuf, sizeof wbuf, "%.3f", r.window_s);
  j += "\"window_s\":" + std::string(wbuf) + ",";
  j += "\"requests_per_s\":" + num(req_per_s(r)) + ",\"tx_per_s\":" + num(tx_per_s(r)) + ",";
  j += "\"completed_in_window\":" + u(s.completed_in_window) + ",\"sent\":" + u(s.sent) + ",";
  j += "\"latency_ms\":{\"count\":" + u(h.count()) + ",\"mean\":" + ms(static_cast<uint64_t>(h.mean())) +
       ",\"p50\":" + ms(h.at(0.5)) + ",\"p90\":" + ms(h.at(0.9)) + ",\"p99\":" + ms(h.at(0.99)) +
       ",\"p999\":" + ms(h.at(0.999)) + ",\"max\":" + ms(h.max()) + "},";
  j += "\"status\":{\"2xx\":" + u(s.s2xx) + ",\"402\":" + u(s.s402) + ",\"other_4xx\":" + u(s.s4xx) +
       ",\"5xx\":" + u(s.s5xx) + ",\"other\":" + u(s.sother) + ",\"socket_errors\":" + u(s.sock_errors) + "},";
  j += "\"by_status\":{";
  bool first = true;
  for (std::size_t i = 0; i < s.by_status.size(); ++i) {
    if (!s.by_status[i]) continue;
    if (!first) j += ",";
    first = false;
    j += "\"" + std::to_string(i) + "\":" + u(s.by_status[i]);
  }
  j += "},";
  j += "\"items\":{\"sent\":" + u(s.items_sent) + ",\"ok\":" + u(s.items_ok) + ",\"402\":" + u(s.items_402) +
       ",\"other\":" + u(s.items_other) + "},";
  j += "\"late\":" + u(s.late) + ",\"late_client\":" + u(s.late_client) + ",\"dropped\":" + u(s.dropped) +
       ",\"unfinished\":" + u(s.unfinished) +
       ",\"reconnects\":" + u(s.reconnects) + ",";
  j += "\"timeline_ms\":" + num(r.opt.timeline_ms) + ",\"timeline\":[";
  for (std::size_t i = 0; i < s.slot_count.size(); ++i) {
    if (i) j += ",";
    j += "[" + u(s.slot_count[i]) + "," + ms(s.slot_max_ns[i]) + "]";
  }
  j += "],\"slowest_ms\":" + ms(s.slowest_ns) + ",\"slowest\":\"" + json_escape(s.slowest) + "\",";
  j += "\"first_odd\":\"" + json_escape(s.first_odd) + "\",\"first_socket_error\":\"" +
       json_escape(s.first_sock_error) + "\",\"fatal\":\"" + json_escape(r.fatal) + "\"}";
  return j;
}

}  // namespace loadgen
