// CLI11 does the parsing; this file only names the settings, their environment variables and bounds.
// Keep the README's settings table in step with this file.
#include "app/config.hpp"

#include <sched.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <thread>

#include <CLI/CLI.hpp>

namespace tally::app {

int default_threads(unsigned cores) { return static_cast<int>(cores / 2 > 0 ? cores / 2 : 1); }

unsigned usable_cores() {
  unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  cpu_set_t affinity;
  CPU_ZERO(&affinity);
  if (sched_getaffinity(0, sizeof affinity, &affinity) == 0)
    cores = std::min(cores, std::max(1u, static_cast<unsigned>(CPU_COUNT(&affinity))));
  // cgroup v2: "QUOTA PERIOD" (or "max PERIOD" for no limit), what a container's CPU limit becomes.
  std::ifstream cpu_max("/sys/fs/cgroup/cpu.max");
  std::string quota;
  std::uint64_t period = 0;
  if (cpu_max >> quota >> period && quota != "max" && period > 0) {
    const std::uint64_t micros = std::strtoull(quota.c_str(), nullptr, 10);
    const auto limit = static_cast<unsigned>((micros + period - 1) / period);  // 1.5 CPUs: 2 cores in use
    if (limit > 0) cores = std::min(cores, limit);
  }
  return cores;
}

Config parse(int argc, char** argv) {
  Config config;
  CLI::App cli{"tallyd: exact, durable, exactly-once balances over a REST API"};
  cli.add_option("--bind", config.bind, "address to listen on")->envname("TALLY_BIND")->capture_default_str();
  cli.add_option("--port", config.port, "TCP port")->envname("TALLY_PORT")->capture_default_str()
      ->check(CLI::Range(1, 65535));
  cli.add_option("--data-dir", config.data_dir, "directory for the write-ahead log")
      ->envname("TALLY_DATA_DIR")->capture_default_str();
  cli.add_option("--threads", config.threads, "HTTP threads (0 = half the cores, at least 1)")
      ->envname("TALLY_THREADS")->capture_default_str()->check(CLI::Range(0, 256));
  cli.add_option("--actor-threads", config.actor_threads, "threads running the user actors (0 = half the cores, at least 1)")
      ->envname("TALLY_ACTOR_THREADS")->capture_default_str()->check(CLI::Range(0, 256));
  cli.add_option("--actor-turns", config.actor_turns,
                 "sender: an idle user actor's turn for a single PUT or dated balance runs on the HTTP thread that "
                 "sent it (no worker wake-up); workers: every turn on the actor threads")
      ->envname("TALLY_ACTOR_TURNS")->capture_default_str()->check(CLI::IsMember({"sender", "workers"}));
  cli.add_option("--actor-idle-ms", config.actor_idle_ms,
                 "a user's actor hands its state back to a compact slot after this long idle (0 = never)")
      ->envname("TALLY_ACTOR_IDLE_MS")->capture_default_str()->check(CLI::Range(0u, limits::actor_idle_ms_max));
  cli.add_option("--log-level", config.log_level, "trace, debug, info, warn, error, critical")
      ->envname("TALLY_LOG_LEVEL")->capture_default_str()
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));
  cli.add_option("--wal-segment-mib", config.wal_segment_mib,
                 "start a new WAL segment when the next commit would pass this many MiB (small: rotation tests)")
      ->envname("TALLY_WAL_SEGMENT_MIB")->capture_default_str()
      ->check(CLI::Range(limits::wal_segment_mib_min, limits::wal_segment_mib_max));
  cli.add_option("--metrics", config.metrics, "on: record metrics and serve GET /metrics; off: record nothing")
      ->envname("TALLY_METRICS")->capture_default_str()->check(CLI::IsMember({"on", "off"}));
  cli.add_option("--auth-file", config.auth_file,
                 "API key file (name scopes sha256hex per line; docs/security.md); reloaded on SIGHUP and on change. "
                 "Without it every client may do anything")
      ->envname("TALLY_AUTH_FILE");
  cli.add_option("--shards", config.shards, "number of shards in the cluster (1 = a single node)")
      ->envname("TALLY_SHARDS")->capture_default_str()->check(CLI::Range(1u, limits::shards_max));
  std::int64_t shard = 0;
  CLI::Option* shard_option =
      cli.add_option("--shard", shard, "this process's shard, 0..N-1 (default: the host name's -<ordinal>)")
          ->envname("TALLY_SHARD");
  cli.add_option("--peers", config.peers, "every shard's base URL in shard order, comma-separated")
      ->envname("TALLY_PEERS");
  cli.add_option("--peer-template", config.peer_template,
                 "the shards' base URLs with {} for the ordinal, e.g. http://tally-{}.tally-peers:8000")
      ->envname("TALLY_PEER_TEMPLATE");
  cli.add_option("--feed-retention-events", config.feed_retention_events,
                 "change-feed events kept in memory for /v1/events (about 160 bytes each); older cursors get 410")
      ->envname("TALLY_FEED_RETENTION_EVENTS")->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, limits::feed_retention_events_max));
  cli.add_option("--peer-secret", config.peer_secret,
                 "the secret this shard presents to its peers' peer-only routes (a key with the peer scope); "
                 "give it by the environment: a flag shows in the process list")
      ->envname("TALLY_PEER_SECRET");
  cli.add_flag("--print-routes", config.print_routes,
               "print every route (method and path template, as rest/openapi.json lists them) and exit");
  try {
    cli.parse(argc, argv);
    if (shard_option->count() > 0) config.shard = shard;
  } catch (const CLI::ParseError& e) {
    std::exit(cli.exit(e));
  }
  return config;
}

}  // namespace tally::app
