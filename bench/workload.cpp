// tally-loadgen: request generators for each workload (create-users, tx, user, balance, balance-at-date, get-tx,
// mixed, batch, get) against the Tally v1 JSON API, and the API key they may carry.
#include "workload.hpp"

#include <cstdio>
#include <ctime>
#include <fstream>

namespace loadgen {

namespace {
constexpr int64_t kBackdateFrom = 1672531200;  // 2023-01-01T00:00:00Z: backdated writes land after set-up funding
constexpr int64_t kDateFrom = 1640995200;      // 2022-01-01T00:00:00Z: dates asked for in balance-at-date

const char* const kWorkloads[] = {"create-users", "tx",    "user",  "balance", "balance-at-date",
                                  "get-tx",       "mixed", "batch", "get"};
}  // namespace

bool valid_workload(const std::string& name) {
  for (const char* w : kWorkloads)
    if (name == w) return true;
  return false;
}

std::string workloads_list() {
  std::string s;
  for (const char* w : kWorkloads) {
    if (!s.empty()) s += ", ";
    s += w;
  }
  return s;
}

std::string read_auth_token(const std::string& path, std::string& token) {
  std::ifstream f(path);
  if (!f || !std::getline(f, token)) return "cannot read " + path;
  while (!token.empty() && (token.back() == '\r' || token.back() == ' ')) token.pop_back();
  return valid_auth_token(token) ? "" : "the token in " + path + " is empty or not printable ASCII";
}

// One header value's worth of visible ASCII: no space, CR or LF can smuggle another line into the requests.
bool valid_auth_token(const std::string& token) {
  if (token.empty() || token.size() > 1024) return false;
  for (char c : token)
    if (c <= ' ' || c > '~') return false;
  return true;
}

RequestGen::RequestGen(const Options& opt, const SharedData& data, int thread_index)
    : opt_(opt),
      data_(data),
      thread_(thread_index),
      rng_(0x5eed0000ull + static_cast<uint64_t>(thread_index) * 7919u + static_cast<uint64_t>(std::time(nullptr))),
      host_header_(opt.host + ":" + std::to_string(opt.port)),
      now_s_(static_cast<int64_t>(std::time(nullptr))) {
  // Every request's head goes "Host: <host_header_>\r\n": the key rides along as one more line of it.
  if (!opt.auth_token.empty()) host_header_ += "\r\nAuthorization: Bearer " + opt.auth_token;
}

std::string RequestGen::iso_utc(int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string RequestGen::tx_json(const std::string& uid, bool withdraw, long long cents, long long user,
                                const std::string& timestamp) {
  char buf[256];
  int n;
  if (timestamp.empty())
    n = std::snprintf(buf, sizeof buf, "{\"uid\":\"%s\",\"type\":\"%s\",\"amount\":\"%lld.%02lld\",\"user_id\":%lld}",
                      uid.c_str(), withdraw ? "WITHDRAW" : "DEPOSIT", cents / 100, cents % 100, user);
  else
    n = std::snprintf(buf, sizeof buf,
                      "{\"uid\":\"%s\",\"type\":\"%s\",\"amount\":\"%lld.%02lld\",\"user_id\":%lld,"
                      "\"timestamp\":\"%s\"}",
                      uid.c_str(), withdraw ? "WITHDRAW" : "DEPOSIT", cents / 100, cents % 100, user,
                      timestamp.c_str());
  return std::string(buf, static_cast<std::size_t>(n));
}

void RequestGen::append_get(std::string& out, const std::string& target) const {
  out += "GET ";
  out += target;
  out += " HTTP/1.1\r\nHost: ";
  out += host_header_;
  out += "\r\n\r\n";
}

void RequestGen::append_body(std::string& out, const char* method, const char* target,
                             const std::string& body) const {
  out += method;
  out += ' ';
  out += target;
  out += " HTTP/1.1\r\nHost: ";
  out += host_header_;
  out += "\r\nContent-Type: application/json\r\nContent-Length: ";
  out += std::to_string(body.size());
  out += "\r\n\r\n";
  out += body;
}

void RequestGen::append_create_user(std::string& out, const std::string& name) const {
  append_body(out, "POST", "/v1/user", "{\"name\":\"" + name + "\"}");
}

void RequestGen::append_put_tx(std::string& out, const std::string& body) const {
  append_body(out, "PUT", "/v1/transaction", body);
}

void RequestGen::append_put_batch(std::string& out, const std::string& body) const {
  append_body(out, "PUT", "/v1/transactions", body);
}

std::string RequestGen::fresh_uid() {
  return data_.run_prefix + "-" + std::to_string(thread_) + "-" + std::to_string(++counter_);
}

long long RequestGen::random_user() {
  return data_.user_ids[rng_.below(data_.user_ids.size())];
}

std::string RequestGen::random_tx_json() {
  bool withdraw = rng_.unit() < opt_.withdraw_frac;
  long long cents = 100 + static_cast<long long>(rng_.below(10000));  // 1.00 .. 100.99
  std::string ts;
  if (rng_.unit() < opt_.backdate_frac) {
    int64_t span = now_s_ - 3600 - kBackdateFrom;
    ts = iso_utc(kBackdateFrom + static_cast<int64_t>(rng_.below(span > 0 ? static_cast<uint64_t>(span) : 1)));
  }
  return tx_json(fresh_uid(), withdraw, cents, random_user(), ts);
}

void RequestGen::gen(Op op, std::string& out, ReqMeta& meta) {
  meta = ReqMeta{};
  meta.op = op;
  switch (op) {
    case Op::create_user:
      append_create_user(out, "lg-" + data_.run_prefix + "-" + std::to_string(thread_) + "-" +
                                  std::to_string(++counter_));
      break;
    case Op::tx:
      meta.items = 1;
      append_put_tx(out, random_tx_json());
      break;
    case Op::user:
      append_get(out, "/v1/user/" + std::to_string(random_user()));
      break;
    case Op::balance:
      append_get(out, "/v1/user/" + std::to_string(random_user()) + "/balance");
      break;
    case Op::balance_at: {
      int64_t span = now_s_ - kDateFrom;
      std::string date = iso_utc(kDateFrom + static_cast<int64_t>(rng_.below(static_cast<uint64_t>(span))));
      append_get(out, "/v1/user/" + std::to_string(random_user()) + "/balance?date=" + date);
      break;
    }
    case Op::get_tx:
      append_get(out, "/v1/transaction/" + data_.tx_uids[rng_.below(data_.tx_uids.size())]);
      break;
    case Op::batch: {
      meta.items = opt_.batch_size;
      std::string body;
      body.reserve(static_cast<std::size_t>(opt_.batch_size) * 120 + 2);
      body.push_back('[');
      for (int i = 0; i < opt_.batch_size; ++i) {
        if (i) body.push_back(',');
        body += random_tx_json();
      }
      body.push_back(']');
      append_put_batch(out, body);
      break;
    }
    case Op::get_path:
      append_get(out, opt_.path);
      break;
  }
}

void RequestGen::next(std::string& out, ReqMeta& meta) {
  const std::string& w = opt_.workload;
  Op op = Op::get_path;
  if (w == "create-users") op = Op::create_user;
  else if (w == "tx") op = Op::tx;
  else if (w == "user") op = Op::user;
  else if (w == "balance") op = Op::balance;
  else if (w == "balance-at-date") op = Op::balance_at;
  else if (w == "get-tx") op = Op::get_tx;
  else if (w == "batch") op = Op::batch;
  else if (w == "mixed") {
    // 80% reads (60% balance, 20% balance at a date, 20% get-tx of them), 20% writes.
    double r = rng_.unit();
    if (r < 0.20) op = Op::tx;
    else if (r < 0.68) op = Op::balance;
    else if (r < 0.84) op = Op::balance_at;
    else op = data_.tx_uids.empty() ? Op::balance : Op::get_tx;
  }
  gen(op, out, meta);
}

}  // namespace loadgen
