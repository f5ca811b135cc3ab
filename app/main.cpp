// tallyd: recover the ledger (snapshot + WAL), serve the v1 API, snapshot in the background, and on SIGTERM/SIGINT
// drain requests, flush the WAL, take a final snapshot and exit 0; on SIGHUP reload the API key file. A failed
// fdatasync ends the process at once.
#include <pthread.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <thread>
#include <variant>

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "actors/ledger_service.hpp"
#include "app/config.hpp"
#include "app/startup_recovery.hpp"
#include "auth/key_file_reloader.hpp"
#include "auth/key_store.hpp"
#include "disk/data_dir.hpp"
#include "disk/file_system.hpp"
#include "disk/shard_identity.hpp"
#include "feed/feed_log.hpp"
#include "ledger/limits.hpp"
#include "recovery/recover.hpp"
#include "rest/events_dispatcher.hpp"
#include "rest/http_server.hpp"
#include "rest/route_table.hpp"
#include "shard/layout.hpp"
#include "shard/shard_router.hpp"
#include "snapshot/snapshotter.hpp"
#include "telemetry/catalogue.hpp"
#include "telemetry/metrics.hpp"
#include "wal/wal_writer.hpp"

namespace {


// Every client connection costs a descriptor: take all the hard limit allows (the HTTP edge sizes its connection
// cap from what is available).
void raise_descriptor_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == limit.rlim_max) return;
  const rlim_t before = limit.rlim_cur;
  limit.rlim_cur = limit.rlim_max;
  if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) {
    spdlog::warn("cannot raise the open file limit from {}: {}", before, std::strerror(errno));
    return;
  }
  spdlog::info("open file limit raised from {} to {}", before, limit.rlim_cur);
}

// Gauges read at scrape time (O(1) reads on the scraping thread), and the restored snapshot's age.
void register_scrape_gauges(tally::telemetry::Metrics& metrics, const tally::LedgerService& ledger,
                            const tally::telemetry::SnapshotMetrics& snapshots, const std::string& restored) {
  metrics.gauge_read("tally_users", "Users", [&ledger] { return static_cast<double>(ledger.user_count()); });
  metrics.gauge_read("tally_transactions", "Durable transactions",
                     [&ledger] { return static_cast<double>(ledger.transaction_count()); });
  metrics.gauge_read("tally_live_actors", "Users whose actor is running (not passivated)",
                     [&ledger] { return static_cast<double>(ledger.live_actors()); });
  metrics.gauge_read("tally_snapshot_age_seconds", "Seconds since the newest complete snapshot (absent: none yet)",
                     [&snapshots] {
                       const double last = snapshots.last_success.value();
                       const double now = static_cast<double>(tally::utc_now_micros()) / 1e6;
                       return last > 0 ? std::max(0.0, now - last) : std::nan("");
                     });
  struct stat restored_stat {};
  if (!restored.empty() && ::stat(restored.c_str(), &restored_stat) == 0)
    snapshots.last_success.set(static_cast<double>(restored_stat.st_mtime));
}

// The change feed's gauges, read at scrape time: how far the feed is (its newest seq: every event this shard's
// log has made) and the readers waiting on it (parked long-polls, open streams; both bounded by limits).
void register_feed_gauges(tally::telemetry::Metrics& metrics, const tally::feed::FeedLog& feed,
                          const tally::rest::ServerState& state) {
  metrics.gauge_read("tally_feed_newest_seq", "The change feed's newest event number (events made since the log began)",
                     [&feed] { return static_cast<double>(feed.newest_seq()); });
  metrics.gauge_read("tally_feed_parked_readers", "Long-polls of GET /v1/events waiting for an event", [&state] {
    return state.events ? static_cast<double>(state.events->parked()) : 0.0;
  });
  metrics.gauge_read("tally_feed_streams", "Open GET /v1/events/stream answers", [&state] {
    return state.events ? static_cast<double>(state.events->streams()) : 0.0;
  });
}

[[noreturn]] void fail_stop(const std::string& what) {
  spdlog::critical("{}: stopping now; unacknowledged requests were not applied", what);
  spdlog::shutdown();
  std::_Exit(70);
}

// Waits for SIGTERM or SIGINT. Meanwhile, with a key file, reloads it on SIGHUP and whenever its content changed
// (checked every limits::auth_file_check_interval_ms): on this thread, never an HTTP one.
int wait_for_stop(tally::auth::KeyFileReloader* keys) {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  const timespec interval{tally::limits::auth_file_check_interval_ms / 1000,
                          (tally::limits::auth_file_check_interval_ms % 1000) * 1'000'000L};
  for (;;) {
    const int signal_number = sigtimedwait(&signals, nullptr, &interval);
    if (signal_number == SIGTERM || signal_number == SIGINT) return signal_number;
    if (keys == nullptr) {
      if (signal_number == SIGHUP) spdlog::info("SIGHUP: no --auth-file to reload");
      continue;
    }
    if (signal_number == SIGHUP) spdlog::info("SIGHUP: reloading the key file");
    keys->reload(signal_number == SIGHUP);
  }
}

std::string host_name() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return {};
  return name;
}

// The cluster from the flags (or nullopt after logging why this process must not start).
std::optional<tally::shard::ShardLayout> resolve_cluster(const tally::app::Config& config) {
  tally::shard::LayoutSettings settings;
  settings.shards = config.shards;
  settings.shard = config.shard;
  settings.host_name = host_name();
  settings.peers = config.peers;
  settings.peer_template = config.peer_template;
  std::string refusal;
  std::optional<tally::shard::ShardLayout> layout = tally::shard::resolve_layout(settings, refusal);
  if (!layout) spdlog::critical("refusing to start: {}", refusal);
  return layout;
}

// The data directory must be this shard's (disk/shard_identity.hpp); the first start records it.
bool check_identity(tally::disk::FileSystem& fs, const tally::disk::DataDir& data_dir,
                    const tally::shard::ShardLayout& layout) {
  std::string refusal;
  const tally::disk::IoStatus checked =
      tally::disk::check_shard_identity(fs, data_dir, {layout.count, layout.self}, refusal);
  if (!checked.ok()) {
    spdlog::critical("cannot read or record the shard identity: {}", checked.message());
    return false;
  }
  if (!refusal.empty()) spdlog::critical("{}", refusal);
  return refusal.empty();
}

// The API keys (--auth-file), loaded into `keys`; the reloader that keeps them current, or none in open mode.
// False: the file cannot be used, and tallyd must not start.
bool load_keys(const tally::app::Config& config, tally::auth::KeyStore& keys,
               std::unique_ptr<tally::auth::KeyFileReloader>& key_file) {
  if (config.auth_file.empty()) {
    spdlog::warn("no --auth-file: API keys are off, any client that reaches the port may read and move money");
    return true;
  }
  key_file = std::make_unique<tally::auth::KeyFileReloader>(tally::disk::posix_file_system(), config.auth_file, keys);
  if (const std::string error = key_file->load(); !error.empty()) {
    spdlog::critical("refusing to start: the key file cannot be used: {}", error);
    return false;
  }
  return true;
}

// Creates the data directory, takes its lock and checks that it is this shard's. 0, or the exit code.
int open_data_dir(tally::disk::FileSystem& fs, const tally::disk::DataDir& data_dir, const std::string& path,
                  const tally::shard::ShardLayout& layout, tally::disk::DataDirLock& lock) {
  if (const tally::disk::IoStatus made = fs.make_dirs(data_dir.wal()); !made.ok()) {
    spdlog::critical("{}", made.message());
    return 1;
  }
  if (const tally::disk::IoStatus locked = lock.acquire(data_dir); !locked.ok()) {
    spdlog::critical("data directory {} is in use by another tallyd (or not writable): {}", path, locked.message());
    return 1;
  }
  if (!check_identity(fs, data_dir, layout)) return 2;
  if (layout.clustered()) spdlog::info("shard {} of {}", layout.self, layout.count);
  return 0;
}

// The WAL writer appending where recovery ended; null (logged) when the log cannot be opened.
std::unique_ptr<tally::wal::WalWriter> open_wal(tally::disk::FileSystem& fs, const tally::disk::DataDir& data_dir,
                                                const tally::recovery::RecoveryReport& report,
                                                const tally::telemetry::WalMetrics& wal_metrics,
                                                std::size_t segment_bytes_max) {
  tally::wal::WalWriterOptions wal_options;
  wal_options.dir = data_dir.wal();
  wal_options.fs = &fs;
  wal_options.append_at = report.end;
  wal_options.segment_bytes_max = segment_bytes_max;
  wal_options.on_fatal = fail_stop;
  wal_options.metrics = &wal_metrics;
  try {
    return std::make_unique<tally::wal::WalWriter>(wal_options);  // throws when the log cannot be opened
  } catch (const std::exception& e) {
    spdlog::critical("cannot open the write-ahead log for appending: {}; nothing was changed", e.what());
    return nullptr;
  }
}

// A graceful stop: answers what is in flight (bounded), stops the WAL writer (everything acknowledged is durable),
// then the HTTP server and the router, and writes the final snapshot, which covers the whole closed log.
void drain_and_stop(tally::rest::HttpServer& server, tally::wal::WalWriter& wal, tally::shard::ShardRouter* router,
                    tally::snapshot::Snapshotter& snapshotter, const tally::LedgerService& ledger) {
  const bool drained = server.drain(std::chrono::milliseconds(tally::limits::shutdown_drain_ms));
  wal.stop();
  server.drain(std::chrono::milliseconds(tally::limits::shutdown_final_answers_ms));
  server.stop();
  if (router) router->stop();
  snapshotter.stop();
  snapshotter.snapshot_through(wal.position());
  const tally::wal::WalStats stats = wal.stats();
  spdlog::info("stopped{}: {} requests, {} WAL records in {} batches ({} fsyncs); users {}, transactions {}",
               drained ? "" : " (drain timed out)", server.state().requests.load(), stats.records, stats.batches,
               stats.syncs, ledger.user_count(), ledger.transaction_count());
}

void configure_actors(caf::actor_system_config& actor_config, int actor_threads) {
  actor_config.set("scheduler.max-threads", static_cast<std::size_t>(actor_threads));
  // CAF's default idle policy spins, then naps 50 us at a time for ~25 ms before it blocks. On a small machine
  // those naps steal the cores the HTTP and WAL threads need and added 10+ ms to the p99 of durable PUTs at
  // 2,000 req/s (bench/README.md). Blocking at once costs a wake-up per message to an idle worker instead.
  actor_config.set("work-stealing.aggressive-poll-attempts", std::size_t{1});
  actor_config.set("work-stealing.moderate-poll-attempts", std::size_t{0});
}

// Snapshots taken while serving start where the restored one (if any) left off and read the WAL's position.
tally::snapshot::SnapshotterOptions snapshot_options(tally::disk::FileSystem& fs, const tally::disk::DataDir& data_dir,
                                                     const tally::wal::WalWriter& wal,
                                                     const tally::recovery::RecoveryReport& report,
                                                     const tally::telemetry::SnapshotMetrics& snapshot_metrics) {
  tally::snapshot::SnapshotterOptions options;
  options.fs = &fs;
  options.data_dir = data_dir;
  options.wal_position = [&wal] { return wal.position(); };
  options.covered = report.snapshot_covered;
  options.restored = report.snapshot;
  options.metrics = &snapshot_metrics;
  return options;
}

// The ledger service on the actor system: its users are the ones this node's shard owns.
std::unique_ptr<tally::LedgerService> make_ledger(caf::actor_system& actors, const tally::app::Config& config,
                                                  const tally::shard::ShardLayout& layout) {
  auto ledger = std::make_unique<tally::LedgerService>(actors, config.actor_idle_ms, tally::system_clock(),
                                                       layout.user_ids());
  ledger->run_turns_on_senders(config.actor_turns == "sender");
  return ledger;
}

// Starts listening; if the address cannot be had, stops the snapshot and WAL threads started before it.
bool start_listening(tally::rest::HttpServer& server, const tally::app::Config& config,
                     tally::snapshot::Snapshotter& snapshotter, tally::wal::WalWriter& wal) {
  try {
    server.start();
    return true;
  } catch (const std::exception& e) {
    spdlog::critical("cannot listen on {}:{}: {}", config.bind, config.port, e.what());
    snapshotter.stop();
    wal.stop();
    return false;
  }
}

int run(const tally::app::Config& config) {
  raise_descriptor_limit();
  const std::optional<tally::shard::ShardLayout> layout = resolve_cluster(config);
  if (!layout) return 2;
  tally::auth::KeyStore keys;
  std::unique_ptr<tally::auth::KeyFileReloader> key_file;
  if (!load_keys(config, keys, key_file)) return 1;
  const unsigned cores = tally::app::usable_cores();
  const int threads = config.threads > 0 ? config.threads : tally::app::default_threads(cores);
  tally::disk::FileSystem& fs = tally::disk::posix_file_system();
  const tally::disk::DataDir data_dir(config.data_dir);
  tally::disk::DataDirLock lock;
  if (const int refused = open_data_dir(fs, data_dir, config.data_dir, *layout, lock); refused != 0) return refused;

  // Before the actor system and everything else: whatever records into it (actors answering requests, the WAL
  // and snapshot threads) is gone before it is.
  tally::telemetry::Metrics metrics(config.metrics == "on");
  const tally::telemetry::ProcessMetrics process_metrics{metrics};
  const tally::telemetry::WalMetrics wal_metrics{metrics};
  const tally::telemetry::SnapshotMetrics snapshot_metrics{metrics};
  process_metrics.build_info.set(1);
  caf::actor_system_config actor_config;
  const int actor_threads = config.actor_threads > 0 ? config.actor_threads : tally::app::default_threads(cores);
  configure_actors(actor_config, actor_threads);
  caf::actor_system actors{actor_config};
  spdlog::info("recovering from {}", config.data_dir);
  tally::app::RecoveredState recovered;
  const auto fresh_ledger = [&] { return make_ledger(actors, config, *layout); };
  if (!tally::app::recover_state(fs, data_dir, fresh_ledger, config.feed_retention_events, layout->self, recovered))
    return 2;
  std::unique_ptr<tally::LedgerService> ledger = std::move(recovered.ledger);
  tally::feed::FeedLog& feed = *recovered.feed;
  const tally::recovery::RecoveryReport& report = recovered.report;
  process_metrics.recovery_duration.set(report.millis / 1000.0);
  process_metrics.recovered_records.set(static_cast<double>(report.wal_records));
  register_scrape_gauges(metrics, *ledger, snapshot_metrics, report.snapshot);

  const std::size_t segment_bytes_max = config.wal_segment_mib << 20;
  const std::unique_ptr<tally::wal::WalWriter> wal = open_wal(fs, data_dir, report, wal_metrics, segment_bytes_max);
  if (!wal) return 2;
  ledger->attach(*wal);
  ledger->attach_feed(feed);
  spdlog::info("change feed: events 1..{} (keeping the newest {})", feed.newest_seq(), feed.retention());

  tally::snapshot::Snapshotter snapshotter(snapshot_options(fs, data_dir, *wal, report, snapshot_metrics));
  snapshotter.start();

  // A cluster puts a ShardRouter in front of the ledger (docs/sharding.md); a single node serves it directly.
  std::unique_ptr<tally::shard::ShardRouter> router;
  if (layout->clustered()) {
    router = std::make_unique<tally::shard::ShardRouter>(*ledger, *ledger, *layout, config.peer_secret);
  }
  tally::LedgerApi& api = router ? static_cast<tally::LedgerApi&>(*router) : *ledger;
  tally::rest::HttpServer server(
      api, tally::rest::HttpServerOptions{config.bind, config.port, threads, &metrics, &keys, router.get(), &feed});
  register_feed_gauges(metrics, feed, server.state());
  if (!start_listening(server, config, snapshotter, *wal)) return 1;
  process_metrics.start_time.set(static_cast<double>(tally::utc_now_micros()) / 1e6);
  spdlog::info("tallyd listening on {}:{} with {} HTTP and {} actor threads (actor turns: {}), data in {}",
               config.bind, config.port, threads, actor_threads, config.actor_turns, config.data_dir);

  const int signal_number = wait_for_stop(key_file.get());

  spdlog::info("{} received: draining", signal_number == SIGTERM ? "SIGTERM" : "SIGINT");
  drain_and_stop(server, *wal, router.get(), snapshotter, *ledger);
  router.reset();
  ledger.reset();
  lock.release();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const tally::app::Config config = tally::app::parse(argc, argv);
  if (config.print_routes) {
    std::fputs(tally::rest::route_table_text().c_str(), stdout);
    return 0;
  }
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %^%-5l%$ %v", spdlog::pattern_time_type::utc);
  spdlog::set_level(spdlog::level::from_str(config.log_level));
  // Signals are taken synchronously by the main thread: block them before any other thread exists.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);  // the key file's reload (wait_for_stop)
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);
  return run(config);
}
