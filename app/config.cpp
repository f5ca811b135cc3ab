// CLI11 does the parsing; this file only names the settings, their environment variables and bounds.
// Keep the README's settings table in step with this file.
#include "app/config.hpp"

#include <CLI/CLI.hpp>

namespace tally::app {

Config parse(int argc, char** argv) {
  Config config;
  CLI::App cli{"tallyd: exact, durable, exactly-once balances over a REST API"};
  cli.add_option("--bind", config.bind, "address to listen on")->envname("TALLY_BIND")->capture_default_str();
  cli.add_option("--port", config.port, "TCP port")->envname("TALLY_PORT")->capture_default_str()
      ->check(CLI::Range(1, 65535));
  cli.add_option("--data-dir", config.data_dir, "directory for the write-ahead log")
      ->envname("TALLY_DATA_DIR")->capture_default_str();
  cli.add_option("--threads", config.threads, "HTTP threads (0 = number of cores)")
      ->envname("TALLY_THREADS")->capture_default_str()->check(CLI::Range(0, 256));
  cli.add_option("--actor-threads", config.actor_threads, "threads running the user actors (0 = as --threads)")
      ->envname("TALLY_ACTOR_THREADS")->capture_default_str()->check(CLI::Range(0, 256));
  cli.add_option("--actor-idle-ms", config.actor_idle_ms,
                 "a user's actor hands its state back to a compact slot after this long idle (0 = never)")
      ->envname("TALLY_ACTOR_IDLE_MS")->capture_default_str()->check(CLI::Range(0u, limits::actor_idle_ms_max));
  cli.add_option("--log-level", config.log_level, "trace, debug, info, warn, error, critical")
      ->envname("TALLY_LOG_LEVEL")->capture_default_str()
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));
  cli.add_option("--feed-retention-events", config.feed_retention_events,
                 "change-feed events kept in memory for /v1/events (about 160 bytes each); older cursors get 410")
      ->envname("TALLY_FEED_RETENTION_EVENTS")->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, limits::feed_retention_events_max));
  cli.add_flag("--print-routes", config.print_routes,
               "print every route (method and path template, as rest/openapi.json lists them) and exit");
  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    std::exit(cli.exit(e));
  }
  return config;
}

}  // namespace tally::app
