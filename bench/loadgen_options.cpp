// tally-loadgen's command line: option syntax (--opt V or --opt=V, durations with ms/s/m, whole numbers only), the
// target URL, and the checks that keep the load on loopback and the settings in range.
#include "loadgen_options.hpp"

#include <arpa/inet.h>

#include <cstdlib>
#include <iostream>

namespace loadgen {

namespace {

const char* kUsage = R"(tally-loadgen: HTTP/1.1 keep-alive load generator for the Tally v1 API (loopback only).
usage: tally-loadgen [options]
  --url http://127.0.0.1:8000   or --host 127.0.0.1 --port 8000
  --workload W        create-users | tx | user | balance | balance-at-date | get-tx | mixed | batch | get
                      (default balance; user = GET /v1/user/N)
  --path /x           target of the 'get' workload (canned-answer servers)
  --connections N     keep-alive connections (default 64)      --threads T   threads (default 1)
  --duration 8s       measured time (ms, s, m suffixes)        --warmup 0s   not counted, before the window
  --rate R            open loop: R requests/s on a fixed timeline, latency from the scheduled time
  --late-ms 1         open loop: a send more than this behind schedule counts as late
  --grace 2s          after the window, how long to wait for answers in flight
  --batch-size N      transactions per PUT /v1/transactions (default 100)
  --withdraw-frac F   share of withdrawals in tx writes (0.5)  --backdate-frac F  share backdated (0.1)
  --setup-users N     create and fund N users through the API first (records their funding uids for get-tx)
  --setup-only        stop after set-up                        --setup-timeout 120s
  --fund-batch N      fund set-up users N per PUT /v1/transactions (default 1: one PUT /v1/transaction each;
                      use 1000 to set up 100k-1M users quickly)
  --save-ids F / --save-uids F   write set-up user ids / transaction uids, one a line
  --load-ids F / --load-uids F   reuse them instead of setting up
  --auth-token-file F send "Authorization: Bearer <first line of F>" (or env TALLY_LOADGEN_TOKEN); never printed
  --json out.json     also write the results as JSON           --label NAME  name in the report
  --timeline MS       print answers and max latency per MS-wide slot of the window (stall hunting)
)";

bool parse_duration(const std::string& s, double& out) {
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (end == s.c_str() || v < 0) return false;
  std::string unit(end);
  if (unit.empty() || unit == "s") out = v;
  else if (unit == "ms") out = v / 1000.0;
  else if (unit == "m") out = v * 60.0;
  else return false;
  return true;
}

// A whole decimal number or nothing: a mistyped option must stop the run, not become 0.
bool parse_number(const std::string& text, double& out) {
  char* end = nullptr;
  out = std::strtod(text.c_str(), &end);
  return !text.empty() && end == text.c_str() + text.size();
}

bool parse_url(const std::string& url, Options& o) {
  std::string rest = url;
  if (rest.rfind("http://", 0) == 0) rest = rest.substr(7);
  else if (rest.find("://") != std::string::npos) return false;
  std::size_t slash = rest.find('/');
  if (slash != std::string::npos) {
    std::string p = rest.substr(slash);
    if (p != "/") o.path = p;
    rest = rest.substr(0, slash);
  }
  std::size_t colon = rest.rfind(':');
  if (colon != std::string::npos) {
    double port = 0;
    if (!parse_number(rest.substr(colon + 1), port) || port < 1 || port > 65535) return false;
    o.port = static_cast<int>(port);
    rest = rest.substr(0, colon);
  } else {
    o.port = 80;
  }
  o.host = rest;
  return true;
}

// The token from the environment if no file gave one, then what no single option can check alone.
void check_options(Options& o) {
  const char* env_token = std::getenv("TALLY_LOADGEN_TOKEN");
  if (o.auth_token.empty() && env_token && *env_token) {
    o.auth_token = env_token;
    if (!valid_auth_token(o.auth_token)) die("TALLY_LOADGEN_TOKEN is not printable ASCII");
  }
  if (o.host == "localhost") o.host = "127.0.0.1";
  in_addr addr{};
  if (inet_pton(AF_INET, o.host.c_str(), &addr) != 1) die("host must be a numeric IPv4 address: " + o.host);
  if ((ntohl(addr.s_addr) >> 24) != 127) die("refusing to send load outside 127.0.0.0/8: " + o.host);
  if (!valid_workload(o.workload)) die("unknown workload '" + o.workload + "'; one of: " + workloads_list());
  if (o.connections < 1 || o.threads < 1) die("--connections and --threads must be >= 1");
  if (o.threads > o.connections) o.threads = o.connections;
  if (o.batch_size < 1 || o.batch_size > 10000) die("--batch-size must be 1..10000");
  if (o.fund_batch < 1 || o.fund_batch > 10000) die("--fund-batch must be 1..10000");
  if (o.duration_s <= 0 && !o.setup_only) die("--duration must be > 0");
  if (o.label.empty()) o.label = o.workload;
}

}  // namespace

Options parse_args(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i], v;
    std::size_t eq = a.find('=');
    bool has_eq = a.rfind("--", 0) == 0 && eq != std::string::npos;
    if (has_eq) {
      v = a.substr(eq + 1);
      a = a.substr(0, eq);
    }
    auto val = [&]() -> std::string {
      if (has_eq) return v;
      if (i + 1 >= argc) die("missing value for " + a);
      return argv[++i];
    };
    auto num = [&]() {
      const std::string s = val();
      double out = 0;
      if (!parse_number(s, out)) die("bad number for " + a + ": " + s);
      return out;
    };
    auto dur = [&](double& out) {
      std::string s = val();
      if (!parse_duration(s, out)) die("bad duration for " + a + ": " + s);
    };
    if (a == "--help" || a == "-h") { std::cout << kUsage; std::exit(0); }
    else if (a == "--url") { if (!parse_url(val(), o)) die("--url must be http://HOST[:PORT][/PATH]"); }
    else if (a == "--host") o.host = val();
    else if (a == "--port") o.port = static_cast<int>(num());
    else if (a == "--connections" || a == "-c") o.connections = static_cast<int>(num());
    else if (a == "--threads" || a == "-t") o.threads = static_cast<int>(num());
    else if (a == "--duration" || a == "-d") dur(o.duration_s);
    else if (a == "--warmup") dur(o.warmup_s);
    else if (a == "--grace") dur(o.grace_s);
    else if (a == "--setup-timeout") dur(o.setup_timeout_s);
    else if (a == "--rate") o.rate = num();
    else if (a == "--late-ms") o.late_ms = num();
    else if (a == "--timeline") o.timeline_ms = num();
    else if (a == "--workload" || a == "-w") o.workload = val();
    else if (a == "--path") o.path = val();
    else if (a == "--batch-size") o.batch_size = static_cast<int>(num());
    else if (a == "--setup-users") o.setup_users = static_cast<int>(num());
    else if (a == "--fund-batch") o.fund_batch = static_cast<int>(num());
    else if (a == "--withdraw-frac") o.withdraw_frac = num();
    else if (a == "--backdate-frac") o.backdate_frac = num();
    else if (a == "--setup-only") o.setup_only = true;
    else if (a == "--save-ids") o.save_ids = val();
    else if (a == "--save-uids") o.save_uids = val();
    else if (a == "--load-ids") o.load_ids = val();
    else if (a == "--load-uids") o.load_uids = val();
    else if (a == "--json") o.json_out = val();
    else if (a == "--auth-token-file") {
      const std::string problem = read_auth_token(val(), o.auth_token);
      if (!problem.empty()) die(problem);
    }
    else if (a == "--label") o.label = val();
    else die("unknown option " + a + " (see --help)");
  }
  check_options(o);
  return o;
}

[[noreturn]] void die(const std::string& msg, int code) {
  std::cerr << "tally-loadgen: " << msg << "\n";
  std::exit(code);
}

}  // namespace loadgen
