// tallyd: recover the ledger (snapshot + WAL), serve the v1 API, snapshot in the background, and on SIGTERM/SIGINT
// drain requests, flush the WAL, take a final snapshot and exit 0. A failed fdatasync ends the process at once.
#include <pthread.h>
#include <sys/resource.h>

#include <chrono>
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
#include "disk/data_dir.hpp"
#include "disk/file_system.hpp"
#include "feed/feed_log.hpp"
#include "feed/feed_rebuild.hpp"
#include "ledger/limits.hpp"
#include "recovery/recover.hpp"
#include "rest/http_server.hpp"
#include "rest/route_table.hpp"
#include "snapshot/snapshotter.hpp"
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

[[noreturn]] void fail_stop(const std::string& what) {
  spdlog::critical("{}: stopping now; unacknowledged requests were not applied", what);
  spdlog::shutdown();
  std::_Exit(70);
}

int run(const tally::app::Config& config) {
  raise_descriptor_limit();
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  const int threads = config.threads > 0 ? config.threads : static_cast<int>(cores);
  tally::disk::FileSystem& fs = tally::disk::posix_file_system();
  const tally::disk::DataDir data_dir(config.data_dir);
  if (const tally::disk::IoStatus made = fs.make_dirs(data_dir.wal()); !made.ok()) {
    spdlog::critical("{}", made.message());
    return 1;
  }
  tally::disk::DataDirLock lock;
  if (const tally::disk::IoStatus locked = lock.acquire(data_dir); !locked.ok()) {
    spdlog::critical("data directory {} is in use by another tallyd (or not writable): {}", config.data_dir,
                     locked.message());
    return 1;
  }

  caf::actor_system_config actor_config;
  const int actor_threads = config.actor_threads > 0 ? config.actor_threads : threads;
  actor_config.set("scheduler.max-threads", static_cast<std::size_t>(actor_threads));
  // CAF's default idle policy spins, then naps 50 us at a time for ~25 ms before it blocks. On a small machine
  // those naps steal the cores the HTTP and WAL threads need and added 10+ ms to the p99 of durable PUTs at
  // 2,000 req/s (bench/README.md). Blocking at once costs a wake-up per message to an idle worker instead.
  actor_config.set("work-stealing.aggressive-poll-attempts", std::size_t{1});
  actor_config.set("work-stealing.moderate-poll-attempts", std::size_t{0});
  caf::actor_system actors{actor_config};
  auto ledger = std::make_unique<tally::LedgerService>(actors, config.actor_idle_ms);

  spdlog::info("recovering from {}", config.data_dir);
  // The change feed is rebuilt from the same records, in the same order, as the ledger: the same events, seqs.
  tally::feed::FeedLog feed(config.feed_retention_events, tally::feed::this_shard);
  tally::recovery::RecoveryOptions recovery_options;
  recovery_options.data_dir = data_dir;
  auto rebuild = std::make_unique<tally::feed::FeedRebuild>(feed);
  recovery_options.on_record = [&rebuild](const tally::wal::Record& record) {
    return std::visit([&rebuild](const auto& r) { return rebuild->add(r); }, record);
  };
  const tally::recovery::RecoveryReport report = tally::recovery::recover(fs, recovery_options, *ledger);
  rebuild.reset();  // its per-user state is only needed while replaying
  for (const std::string& warning : report.warnings) spdlog::warn("recovery: {}", warning);
  if (!report.status.ok()) {
    spdlog::critical("recovery failed: {}", report.status.message());
    spdlog::critical("refusing to start: the log holds data that cannot be read; nothing was changed");
    return 2;
  }
  if (report.torn_bytes_cut > 0) {
    spdlog::warn("cut a torn tail of {} bytes from the last WAL segment (a write cut short by a crash)",
                 report.torn_bytes_cut);
  }
  if (report.snapshot.empty()) {
    spdlog::info("recovery: no snapshot, {} records from the WAL", report.wal_records);
  } else {
    spdlog::info("recovery: snapshot {} ({} records, {:.1f} ms; {} WAL records under it checked) + {} WAL records "
                 "after {}",
                 report.snapshot, report.snapshot_records, report.snapshot_millis, report.wal_checked_records,
                 report.wal_records, tally::wal::to_string(report.snapshot_covered));
  }
  spdlog::info("recovered {} users, {} transactions, {} bytes in {} segments in {:.1f} ms", report.users,
               report.transactions, report.bytes, report.segments, report.millis);

  tally::wal::WalWriterOptions wal_options;
  wal_options.dir = data_dir.wal();
  wal_options.fs = &fs;
  wal_options.append_at = report.end;
  wal_options.on_fatal = fail_stop;
  std::unique_ptr<tally::wal::WalWriter> wal;
  try {
    wal = std::make_unique<tally::wal::WalWriter>(wal_options);  // throws when the log cannot be opened
  } catch (const std::exception& e) {
    spdlog::critical("cannot open the write-ahead log for appending: {}; nothing was changed", e.what());
    return 2;
  }
  ledger->attach(*wal);
  ledger->attach_feed(feed);
  spdlog::info("change feed: events 1..{} (keeping the newest {})", feed.newest_seq(), feed.retention());

  tally::snapshot::SnapshotterOptions snapshot_options;
  snapshot_options.fs = &fs;
  snapshot_options.data_dir = data_dir;
  snapshot_options.wal_position = [&wal] { return wal->position(); };
  snapshot_options.covered = report.snapshot_covered;
  snapshot_options.restored = report.snapshot;
  tally::snapshot::Snapshotter snapshotter(snapshot_options);
  snapshotter.start();

  tally::rest::HttpServer server(*ledger, tally::rest::HttpServerOptions{config.bind, config.port, threads, &feed});
  try {
    server.start();
  } catch (const std::exception& e) {
    spdlog::critical("cannot listen on {}:{}: {}", config.bind, config.port, e.what());
    snapshotter.stop();
    wal->stop();
    return 1;
  }
  spdlog::info("tallyd listening on {}:{} with {} threads, data in {}", config.bind, config.port, threads,
               config.data_dir);

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  int signal_number = 0;
  sigwait(&signals, &signal_number);

  spdlog::info("{} received: draining", signal_number == SIGTERM ? "SIGTERM" : "SIGINT");
  const bool drained = server.drain(std::chrono::milliseconds(tally::limits::shutdown_drain_ms));
  wal->stop();
  server.drain(std::chrono::milliseconds(tally::limits::shutdown_final_answers_ms));
  server.stop();
  // The writer has stopped: the whole log is durable and closed, so the final snapshot covers all of it.
  snapshotter.stop();
  snapshotter.snapshot_through(wal->position());
  const tally::wal::WalStats stats = wal->stats();
  spdlog::info("stopped{}: {} requests, {} WAL records in {} batches ({} fsyncs); users {}, transactions {}",
               drained ? "" : " (drain timed out)", server.state().requests.load(), stats.records, stats.batches,
               stats.syncs, ledger->user_count(), ledger->transaction_count());
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
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);
  return run(config);
}
