// tally-loadgen: run options, the data set-up leaves behind (user ids, transaction uids), and the
// per-thread generators that turn a workload name into ready-to-send HTTP/1.1 requests.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace loadgen {

struct Options {
  std::string host = "127.0.0.1";
  int port = 8000;
  int connections = 64;
  int threads = 1;
  double duration_s = 8.0;
  double warmup_s = 0.0;
  double rate = 0.0;  // requests per second over all threads; 0 = closed loop
  double late_ms = 1.0;
  double grace_s = 2.0;
  std::string workload = "balance";
  std::string path = "/";
  int batch_size = 100;
  int setup_users = 0;
  int fund_batch = 1;  // set-up funding items per request: 1 = PUT /v1/transaction, more = PUT /v1/transactions
  double withdraw_frac = 0.5;
  double backdate_frac = 0.1;
  double setup_timeout_s = 120.0;
  double timeline_ms = 0;  // > 0: answers and max latency per slot of this width
  bool setup_only = false;
  // "Bearer <token>" sent as Authorization on every request (--auth-token-file / TALLY_LOADGEN_TOKEN); never printed.
  std::string auth_token;
  std::string json_out, save_ids, save_uids, load_ids, load_uids, label;
};

struct SharedData {
  std::vector<long long> user_ids;
  std::vector<std::string> tx_uids;
  std::string run_prefix;  // makes this run's uids and names unique
};

enum class Op { create_user, tx, user, balance, balance_at, get_tx, batch, get_path };

// What the engine remembers about an in-flight request.
struct ReqMeta {
  Op op = Op::get_path;
  int items = 0;         // transactions carried (1 for tx, batch size for batch)
  long long user = 0;    // for set-up funding
};

// Small, fast, deterministic per-thread random numbers (splitmix64).
class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed) {}
  uint64_t next() {
    uint64_t z = (s_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  uint64_t below(uint64_t n) { return n ? next() % n : 0; }
  double unit() { return static_cast<double>(next() >> 11) * (1.0 / 9007199254740992.0); }

 private:
  uint64_t s_;
};

bool valid_workload(const std::string& name);
// The secret from the first line of `path` into `token`; "" or why not (the message never holds the secret).
std::string read_auth_token(const std::string& path, std::string& token);
bool valid_auth_token(const std::string& token);
std::string workloads_list();

// Builds requests for one measuring thread.
class RequestGen {
 public:
  RequestGen(const Options& opt, const SharedData& data, int thread_index);
  // Appends the next request to `out` and fills `meta`.
  void next(std::string& out, ReqMeta& meta);

  // Pieces also used by the set-up phase.
  void append_create_user(std::string& out, const std::string& name) const;
  void append_put_tx(std::string& out, const std::string& body) const;
  void append_put_batch(std::string& out, const std::string& body) const;
  static std::string tx_json(const std::string& uid, bool withdraw, long long cents, long long user,
                             const std::string& timestamp);
  static std::string iso_utc(int64_t unix_seconds);

 private:
  void append_get(std::string& out, const std::string& target) const;
  void append_body(std::string& out, const char* method, const char* target, const std::string& body) const;
  std::string fresh_uid();
  std::string random_tx_json();
  long long random_user();
  void gen(Op op, std::string& out, ReqMeta& meta);

  const Options& opt_;
  const SharedData& data_;
  int thread_;
  uint64_t counter_ = 0;
  Rng rng_;
  std::string host_header_;  // "HOST:PORT", then the Authorization line when a token is given
  int64_t now_s_;
};

}  // namespace loadgen
