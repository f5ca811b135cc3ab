// tally-loadgen: set-up through the API (create and fund users), the measuring threads, and the report (one human
// line, optional JSON). The command line is bench/loadgen_options.cpp; run with --help for the options.
#include <sys/prctl.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <thread>
#include <unistd.h>

#include "engine.hpp"
#include "loadgen_options.hpp"
#include "report.hpp"

using namespace loadgen;

namespace {

// ---- set-up through the API ----

const char* kFundTimestamp = "2022-01-01T00:00:00Z";  // before every backdated write and asked-for date
const long long kFundCents = 100000000;               // 1,000,000.00

class CreateUsers : public Source {
 public:
  CreateUsers(const Options& o, const SharedData& d, int t, std::atomic<int>& next, std::vector<long long>& out,
              std::mutex& mu)
      : gen_(o, d, t), prefix_(d.run_prefix), n_(o.setup_users), next_(next), out_(out), mu_(mu) {}
  bool next(std::string& out, ReqMeta& meta) override {
    int i = next_.fetch_add(1);
    if (i >= n_) return false;
    meta = ReqMeta{};
    meta.op = Op::create_user;
    gen_.append_create_user(out, "lg-" + prefix_ + "-" + std::to_string(i));
    return true;
  }
  void on_response(const ReqMeta&, int status, std::string_view body) override {
    if (status != 201) return;
    std::size_t p = body.find("\"id\":");
    if (p == std::string_view::npos) return;
    // The digits after "id": (strtoll stops at the first non-digit, as intended).
    long long id = std::strtoll(std::string(body.substr(p + 5, 24)).c_str(), nullptr, 10);
    std::lock_guard<std::mutex> lock(mu_);
    out_.push_back(id);
  }

 private:
  RequestGen gen_;
  std::string prefix_;
  int n_;
  std::atomic<int>& next_;
  std::vector<long long>& out_;
  std::mutex& mu_;
};

// Funds the created users, one PUT /v1/transaction each or --fund-batch of them per PUT /v1/transactions.
class FundUsers : public Source {
 public:
  FundUsers(const Options& o, const SharedData& d, int t, std::atomic<std::size_t>& next,
            std::vector<std::string>& out, std::mutex& mu)
      : gen_(o, d, t), d_(d), per_request_(static_cast<std::size_t>(o.fund_batch)), next_(next), out_(out), mu_(mu) {}
  static std::string uid_for(const SharedData& d, long long id) { return d.run_prefix + "-fund-" + std::to_string(id); }
  bool next(std::string& out, ReqMeta& meta) override {
    const std::size_t first = next_.fetch_add(per_request_);
    if (first >= d_.user_ids.size()) return false;
    const std::size_t count = std::min(per_request_, d_.user_ids.size() - first);
    meta = ReqMeta{};
    meta.user = static_cast<long long>(first);  // the index of the first user funded
    meta.items = static_cast<int>(count);
    if (per_request_ == 1) {
      meta.op = Op::tx;
      gen_.append_put_tx(out, fund_json(first));
      return true;
    }
    meta.op = Op::batch;
    std::string body = "[";
    for (std::size_t i = first; i < first + count; ++i) {
      if (i != first) body.push_back(',');
      body += fund_json(i);
    }
    body.push_back(']');
    gen_.append_put_batch(out, body);
    return true;
  }
  void on_response(const ReqMeta& meta, int status, std::string_view body) override {
    if (status != 200) return;
    const std::size_t first = static_cast<std::size_t>(meta.user);
    const std::size_t count = static_cast<std::size_t>(meta.items);
    // A batch answers 200 with one status per item: record the funding only when every item was applied.
    if (meta.op == Op::batch && count_applied(body) != count) return;
    std::lock_guard<std::mutex> lock(mu_);
    for (std::size_t i = first; i < first + count; ++i) out_.push_back(uid_for(d_, d_.user_ids[i]));
  }

 private:
  std::string fund_json(std::size_t index) const {
    const long long user = d_.user_ids[index];
    return RequestGen::tx_json(uid_for(d_, user), false, kFundCents, user, kFundTimestamp);
  }
  static std::size_t count_applied(std::string_view body) {
    std::size_t n = 0;
    for (std::size_t p = body.find("{\"status\":200,"); p != std::string_view::npos;
         p = body.find("{\"status\":200,", p + 1))
      ++n;
    return n;
  }
  RequestGen gen_;
  const SharedData& d_;
  std::size_t per_request_;
  std::atomic<std::size_t>& next_;
  std::vector<std::string>& out_;
  std::mutex& mu_;
};

class Measure : public Source {
 public:
  Measure(const Options& o, const SharedData& d, int t) : gen_(o, d, t) {}
  bool next(std::string& out, ReqMeta& meta) override {
    gen_.next(out, meta);
    return true;
  }

 private:
  RequestGen gen_;
};

// Runs one phase on all threads; `make` builds each thread's source.
template <typename Make>
Stats run_phase(const Options& o, double duration_s, double warmup_s, double rate, Make make, double* window_s) {
  uint64_t start = mono_ns() + 200000000ull;  // 200 ms to connect before the first send
  uint64_t window_start = start + static_cast<uint64_t>(warmup_s * 1e9);
  uint64_t end = window_start + static_cast<uint64_t>(duration_s * 1e9);
  std::vector<Stats> results(static_cast<std::size_t>(o.threads));
  std::vector<std::thread> threads;
  for (int t = 0; t < o.threads; ++t) {
    RunSpec spec;
    spec.host = o.host;
    spec.port = o.port;
    spec.connections = o.connections / o.threads + (t < o.connections % o.threads ? 1 : 0);
    spec.start_ns = start;
    spec.window_start_ns = window_start;
    spec.end_ns = end;
    spec.grace_end_ns = end + static_cast<uint64_t>(o.grace_s * 1e9);
    spec.late_ns = static_cast<uint64_t>(o.late_ms * 1e6);
    spec.count_items = o.workload == "batch";
    spec.slot_ns = static_cast<uint64_t>(o.timeline_ms * 1e6);
    if (rate > 0) {
      spec.rate = rate / o.threads;
      spec.offset_ns = static_cast<uint64_t>(t * 1e9 / rate);
    }
    threads.emplace_back([spec, t, &results, &make]() {
      auto src = make(t);
      results[static_cast<std::size_t>(t)] = run_engine(spec, *src);
    });
  }
  for (std::thread& th : threads) th.join();
  Stats total;
  for (const Stats& s : results) total.merge(s);
  if (window_s) *window_s = std::min(duration_s, (std::max(mono_ns(), window_start) - window_start) / 1e9);
  return total;
}

template <typename T>
void save_lines(const std::string& path, const std::vector<T>& v) {
  std::ofstream f(path);
  for (const T& x : v) f << x << "\n";
  if (!f) die("cannot write " + path);
}

void setup(const Options& o, SharedData& d) {
  std::mutex mu;
  std::atomic<int> next_user{0};
  uint64_t t0 = mono_ns();
  Stats s1 = run_phase(o, o.setup_timeout_s, 0, 0, [&](int t) {
    return std::make_unique<CreateUsers>(o, d, t, next_user, d.user_ids, mu);
  }, nullptr);
  if (static_cast<int>(d.user_ids.size()) < o.setup_users)
    die("set-up created " + std::to_string(d.user_ids.size()) + " of " + std::to_string(o.setup_users) +
            " users; first failure: " + (s1.first_odd.empty() ? s1.first_sock_error : s1.first_odd) +
            fatal_message(), 3);
  std::atomic<std::size_t> next_fund{0};
  Stats s2 = run_phase(o, o.setup_timeout_s, 0, 0, [&](int t) {
    return std::make_unique<FundUsers>(o, d, t, next_fund, d.tx_uids, mu);
  }, nullptr);
  if (d.tx_uids.size() < d.user_ids.size())
    die("set-up funded " + std::to_string(d.tx_uids.size()) + " of " + std::to_string(d.user_ids.size()) +
            " users; first failure: " + (s2.first_odd.empty() ? s2.first_sock_error : s2.first_odd) +
            fatal_message(), 3);
  std::fprintf(stderr, "tally-loadgen: set up %zu users (funded 1000000.00 each) in %.2f s\n", d.user_ids.size(),
               (mono_ns() - t0) / 1e9);
}

void on_signal(int) { g_stop.store(true); }

}  // namespace

int main(int argc, char** argv) {
  Options o = parse_args(argc, argv);
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  std::signal(SIGPIPE, SIG_IGN);
  prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);  // open-loop sends wake up on time, not 50 us late

  SharedData d;
  char prefix[32];
  std::snprintf(prefix, sizeof prefix, "lg%x%05x", static_cast<unsigned>(time(nullptr)) & 0xfffffff,
                static_cast<unsigned>(getpid()) & 0xfffff);
  d.run_prefix = prefix;

  if (!o.load_ids.empty()) {
    std::ifstream f(o.load_ids);
    if (!f) die("cannot read " + o.load_ids);
    long long id;
    while (f >> id) d.user_ids.push_back(id);
  }
  if (!o.load_uids.empty()) {
    std::ifstream f(o.load_uids);
    if (!f) die("cannot read " + o.load_uids);
    std::string u;
    while (f >> u) d.tx_uids.push_back(u);
  }
  if (o.setup_users > 0) setup(o, d);
  if (!o.save_ids.empty()) save_lines(o.save_ids, d.user_ids);
  if (!o.save_uids.empty()) save_lines(o.save_uids, d.tx_uids);
  if (o.setup_only) return 0;

  const std::string& w = o.workload;
  bool needs_users =
      w == "tx" || w == "user" || w == "balance" || w == "balance-at-date" || w == "mixed" || w == "batch";
  if (needs_users && d.user_ids.empty()) die("workload " + w + " needs users: give --setup-users N or --load-ids F");
  if (w == "get-tx" && d.tx_uids.empty()) die("workload get-tx needs uids: give --setup-users N or --load-uids F");

  double window_s = o.duration_s;
  Stats s = run_phase(o, o.duration_s, o.warmup_s, o.rate, [&](int t) {
    return std::make_unique<Measure>(o, d, t);
  }, &window_s);
  std::string fatal = fatal_message();
  Report r{o, s, window_s, fatal};
  std::cout << human_line(r) << std::endl;
  if (!s.first_odd.empty()) std::cout << "  first non-2xx/402 answer: " << s.first_odd << "\n";
  if (!s.first_sock_error.empty()) std::cout << "  first socket error: " << s.first_sock_error << "\n";
  if (!s.slowest.empty()) std::cout << "  slowest (" << fmt_ms(s.slowest_ns) << " ms): " << s.slowest << "\n";
  if (o.timeline_ms > 0) std::cout << timeline_text(r);
  if (!fatal.empty()) std::cerr << "tally-loadgen: FATAL: " << fatal << "\n";
  if (!o.json_out.empty()) {
    std::ofstream f(o.json_out);
    f << json_report(r) << "\n";
    if (!f) die("cannot write " + o.json_out);
  }
  return fatal.empty() ? 0 : 2;
}
