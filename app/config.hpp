// tallyd's settings: command-line flags, each with a TALLY_* environment variable and a built-in default.
// Flags win over the environment; parse() exits the process for --help and for invalid settings.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "ledger/limits.hpp"

namespace tally::app {

struct Config {
  std::string bind = "0.0.0.0";
  std::uint16_t port = 8000;
  std::string data_dir = "./data";
  int threads = 0;        // HTTP threads; 0 = default_threads(cores)
  int actor_threads = 0;  // CAF scheduler threads; 0 = default_threads(cores)
  std::string actor_turns = "sender";  // "sender": an idle actor's turn for a single PUT / dated read runs on the
                                       // HTTP thread that sent it (actors/turn_here.hpp); "workers": always CAF's
  std::string log_level = "info";
  std::uint32_t actor_idle_ms = limits::actor_idle_ms_default;  // a user's actor quits after this long idle (0 = never)
  std::size_t wal_segment_mib = limits::wal_segment_mib_max;  // rotate the WAL segment past this many MiB
  std::string metrics = "on";  // on: count and serve GET /metrics; off: record nothing (to measure the cost)
  std::string auth_file;  // the API key file (docs/security.md); "" = open: no keys, every client may do anything
  // Shards (docs/sharding.md): N, this process's K (else from the host name), and the peers' base URLs.
  std::uint32_t shards = 1;
  std::optional<std::int64_t> shard;
  std::string peers;          // "URL0,URL1,..." in shard order
  std::string peer_template;  // "http://tally-{}.tally-peers:8000"
  // Change-feed events kept in memory (docs/notifications.md): an older cursor gets 410 cursor_expired.
  std::size_t feed_retention_events = limits::feed_retention_events_default;
  // Sent as "Authorization: Bearer ..." on this shard's calls to its peers' peer-only routes, whose key file
  // names its SHA-256 with the `peer` scope (docs/security.md). Empty = none (a cluster without API keys).
  std::string peer_secret;
  bool print_routes = false;  // print the route table (method and path template per line) and exit
};

Config parse(int argc, char** argv);

// The HTTP and the actor thread count when not given: half the cores each (at least one). A durable PUT also
// needs the WAL thread and the kernel's loopback/TCP work (and, on a benchmark box, the client): with one
// HTTP/actor thread per core, 2 cores ran ~4 runnable threads and paid for it in involuntary switches.
int default_threads(unsigned cores);
// The cores this process may use: the machine's, narrowed by its CPU affinity and a cgroup v2 CPU limit (a pod's
// limits.cpu, rounded up).
unsigned usable_cores();

}  // namespace tally::app
