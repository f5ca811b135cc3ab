// tally-relay: publishes every event of one or more tallyd feeds to a NATS JetStream stream, once (docs/notifications.md).
// One thread per source long-polls GET /v1/events and publishes each page, waiting for every ack before it moves
// on, and only past the events the stream is known to hold; where to start comes from the stream itself (its
// newest message id per shard: the stream never holds a gap, relay/jetstream.hpp), so the relay keeps no file and
// may be killed at any moment. Failures of tallyd or NATS are logged, counted and retried with backoff; only
// configuration errors end it (exit 2). --discard reads the feed exactly as when publishing and drops every page
// (no NATS): what the relay's reading costs tallyd, apart from the relay's and nats-server's own work
// (bench/feed_cost.sh).
#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <curl/curl.h>
#include <spdlog/spdlog.h>

#include "relay/feed_source.hpp"
#include "relay/jetstream.hpp"
#include "relay/relay_metrics.hpp"

namespace {

using tally::relay::FeedSource;
using tally::relay::FetchResult;
using tally::relay::JetStream;
using tally::relay::RelayMetrics;

constexpr int page_events_max = 1'000;
constexpr int poll_wait_seconds = 25;
// After a page shorter than page_events_max, wait this long (--linger-ms) before the next read: under load the next
// page is then hundreds of events, not a handful, which is what keeps the relay's, nats-server's and tallyd's work
// per event small. It adds at most this much latency.
constexpr int page_linger_ms_default = 10;
constexpr int page_linger_ms_max = 1'000;
constexpr std::chrono::milliseconds backoff_min{100};
constexpr std::chrono::milliseconds backoff_max{5'000};
constexpr std::chrono::seconds stats_interval{60};
constexpr int exit_misconfigured = 2;

struct Counters {
  std::atomic<std::uint64_t> published{0}, pages{0}, source_failures{0}, nats_failures{0}, expired{0};
};

struct Settings {
  std::vector<std::string> sources;
  std::string nats = "nats://127.0.0.1:4222";
  std::string stream = "TALLY";
  std::string prefix = "tally";
  // A secret of a key with the `events` scope, from the environment only (never on a command line, where `ps`
  // shows it): TALLY_RELAY_API_KEY. Empty: tallyd runs without --auth-file.
  std::string api_key;
  // How far back the stream is read for a shard's newest message when no resume point is found
  // (docs/notifications.md, "Where the relay resumes"). Small values are for tests.
  std::size_t resume_scan_max = 100'000;
  std::string metrics_address = "127.0.0.1";
  int metrics_port = 0;  // 0: no /metrics endpoint
  int linger_ms = page_linger_ms_default;
  // A measurement mode, not a relay: the same requests, pages and linger, from this seq on, and nothing published.
  std::optional<std::uint64_t> discard_after;
};

void log_counters(const Counters& c) {
  spdlog::info("relay: {} events published in {} pages; failures: {} reading tallyd, {} publishing to NATS; {} "
               "cursors expired",
               c.published.load(), c.pages.load(), c.source_failures.load(), c.nats_failures.load(),
               c.expired.load());
}

[[noreturn]] void misconfigured(const std::string& what) {
  spdlog::critical("configuration error: {}", what);
  spdlog::shutdown();
  std::_Exit(exit_misconfigured);
}

class SourceWorker {
 public:
  // discard_after: read from that seq on and publish nothing (--discard); nullopt: relay to the stream.
  SourceWorker(std::string url, const std::string& api_key, JetStream& js, std::size_t sources, Counters& counters,
               RelayMetrics& metrics, std::optional<std::uint64_t> discard_after, std::chrono::milliseconds linger)
      : source_(std::move(url), api_key),
        js_(js),
        sources_(sources),
        counters_(counters),
        metrics_(metrics),
        discard_(discard_after.has_value()),
        linger_(linger),
        cursor_(discard_after) {}

  void run() {
    for (;;) {
      if (!discard_ && (!cursor_ || resync_) && !resume()) {
        pause();
        continue;
      }
      const FetchResult r = source_.fetch(*cursor_, page_events_max, poll_wait_seconds);
      if (r.kind == FetchResult::Kind::failed) {
        ++counters_.source_failures;
        metrics_.source_failure();
        spdlog::warn("{}: {}; retrying", source_.url(), r.error);
        pause();
        continue;
      }
      if (r.kind == FetchResult::Kind::expired) {
        ++counters_.expired;
        spdlog::error("{}: events {}..{} are no longer kept by tallyd and were NOT published (raise "
                      "--feed-retention-events); continuing from {}",
                      source_.url(), *cursor_ + 1, r.oldest - 1, r.oldest);
        cursor_ = r.oldest - 1;
        continue;
      }
      if (!r.page.events.empty()) {
        const int shard = r.page.events.front().shard;
        metrics_.seen(shard, r.page.events.back().seq);
        std::string error;
        const std::size_t held = discard_ ? r.page.events.size() : js_.publish(r.page.events, error);
        counters_.published += held;
        if (held > 0) metrics_.acked(shard, r.page.events[held - 1].seq, held);
        if (held < r.page.events.size()) {
          ++counters_.nats_failures;
          metrics_.publish_retry();
          if (held > 0) cursor_ = r.page.events[held - 1].seq;  // only past what the stream is known to hold
          spdlog::warn("{}: {}; republishing from seq {}", source_.url(), error, *cursor_ + 1);
          resync_ = true;  // messages without an answer may be in the stream after all: it says where it ends
          pause();
          continue;
        }
        ++counters_.pages;
      }
      cursor_ = r.page.last;
      backoff_ = backoff_min;
      if (!r.page.events.empty() && r.page.events.size() < static_cast<std::size_t>(page_events_max))
        std::this_thread::sleep_for(linger_);
    }
  }

 private:
  void pause() {
    std::this_thread::sleep_for(backoff_);
    backoff_ = std::min(backoff_ * 2, backoff_max);
  }

  // The source's shard (from one of its events), then the stream's newest message of that shard.
  bool resume() {
    std::string error;
    switch (js_.connect(error)) {
      case JetStream::Connect::ok: break;
      case JetStream::Connect::misconfigured: misconfigured(error);
      case JetStream::Connect::failed:
        ++counters_.nats_failures;
        spdlog::warn("{}; retrying", error);
        return false;
    }
    if (!shard_) {
      FetchResult first = source_.fetch(0, 1, 0);
      if (first.kind == FetchResult::Kind::expired) first = source_.fetch(first.oldest - 1, 1, 0);
      if (first.kind != FetchResult::Kind::page) {
        ++counters_.source_failures;
        spdlog::warn("{}: {}; retrying", source_.url(), first.error);
        return false;
      }
      if (first.page.events.empty()) {  // nothing yet: the stream cannot hold any of it
        cursor_ = 0;
        resync_ = false;
        return true;
      }
      shard_ = first.page.events.front().shard;
    }
    const int shard = *shard_;
    std::uint64_t newest = 0;
    std::string how;
    if (!js_.resume_point(shard, sources_, newest, how, error)) {
      ++counters_.nats_failures;
      spdlog::warn("{}; retrying", error);
      return false;
    }
    // The stream never holds an event without every earlier one of its shard (relay/jetstream.hpp), so its newest
    // is where to go on. Never behind what this worker saw acknowledged (an operator may have purged the stream).
    cursor_ = std::max(cursor_.value_or(0), newest);
    resync_ = false;
    metrics_.acked(shard, *cursor_, 0);
    spdlog::info("{}: shard {}, resuming after seq {} (the stream's newest of this shard, from {})", source_.url(),
                 shard, *cursor_, how);
    return true;
  }

  FeedSource source_;
  JetStream& js_;
  std::size_t sources_;
  Counters& counters_;
  RelayMetrics& metrics_;
  const bool discard_;
  const std::chrono::milliseconds linger_;
  std::optional<std::uint64_t> cursor_;  // every event up to it is acknowledged by the stream
  bool resync_ = false;                  // a page was not fully stored: ask the stream where it ends
  std::optional<int> shard_;             // the source's shard, from its first event
  std::chrono::milliseconds backoff_ = backoff_min;
};

}  // namespace

namespace {

// The command line (and TALLY_RELAY_API_KEY) into settings; an exit code when the process ends here (--help, a
// parse error). Settings the options cannot check alone end it as misconfigured.
std::optional<int> parse_command_line(int argc, char** argv, Settings& settings) {
  CLI::App cli{"tally-relay: publishes tallyd's change feed to NATS JetStream (docs/notifications.md)"};
  cli.add_option("--source", settings.sources, "a tallyd base URL, e.g. http://127.0.0.1:8000 (one per shard)")
      ->required();
  cli.add_option("--nats", settings.nats, "NATS server URL")->capture_default_str();
  cli.add_option("--stream", settings.stream, "JetStream stream name (created if missing)")->capture_default_str();
  cli.add_option("--subject-prefix", settings.prefix, "events go to <prefix>.<type>")->capture_default_str();
  cli.add_option("--resume-scan-max", settings.resume_scan_max,
                 "stream messages read back at most to find a shard's newest when it has no resume point")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cli.add_option("--metrics-port", settings.metrics_port, "serve Prometheus metrics at /metrics on this port (0: off)")
      ->capture_default_str()
      ->check(CLI::Range(0, 65535));
  cli.add_option("--metrics-address", settings.metrics_address, "address the /metrics port listens on")
      ->capture_default_str();
  cli.add_option("--linger-ms", settings.linger_ms,
                 "after a page shorter than 1,000 events, wait this long before the next read (latency for fewer, "
                 "larger pages: less CPU per event for the relay, nats-server and tallyd)")
      ->capture_default_str()
      ->check(CLI::Range(0, page_linger_ms_max));
  cli.add_option("--discard", settings.discard_after,
                 "measurement only: read the feed after this seq exactly as when publishing (same requests, pages, "
                 "linger), drop every page, use no NATS (bench/feed_cost.sh)");
  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return cli.exit(e) == 0 ? 0 : exit_misconfigured;
  }
  if (settings.stream.empty() || settings.stream.find_first_of(".*> ") != std::string::npos)
    misconfigured("--stream must be a name without '.', '*', '>' or spaces");
  if (settings.prefix.empty() || settings.prefix.find_first_of("*> ") != std::string::npos)
    misconfigured("--subject-prefix must be a subject without wildcards or spaces");
  if (const char* key = std::getenv("TALLY_RELAY_API_KEY")) settings.api_key = key;
  return std::nullopt;
}

int run(int argc, char** argv) {
  Settings settings;
  if (const std::optional<int> exit_code = parse_command_line(argc, argv, settings)) return *exit_code;
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %^%-5l%$ %v", spdlog::pattern_time_type::utc);
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);
  curl_global_init(CURL_GLOBAL_DEFAULT);

  Counters counters;
  std::unique_ptr<RelayMetrics> metrics;
  try {
    metrics = std::make_unique<RelayMetrics>(settings.metrics_address, settings.metrics_port);
  } catch (const std::exception& e) {
    misconfigured("--metrics-port " + std::to_string(settings.metrics_port) + ": " + e.what());
  }
  JetStream js(settings.nats, settings.stream, settings.prefix, settings.resume_scan_max);
  std::vector<std::unique_ptr<SourceWorker>> workers;
  for (const std::string& url : settings.sources)
    workers.push_back(
        std::make_unique<SourceWorker>(url, settings.api_key, js, settings.sources.size(), counters, *metrics,
                                       settings.discard_after, std::chrono::milliseconds(settings.linger_ms)));
  for (auto& worker : workers) std::thread([w = worker.get()] { w->run(); }).detach();
  if (settings.discard_after)
    spdlog::info("relay: {} source(s), reading after seq {} and discarding every page (--discard: no NATS)",
                 settings.sources.size(), *settings.discard_after);
  else
    spdlog::info("relay: {} source(s) -> {} stream {} subjects {}.>", settings.sources.size(), settings.nats,
                 settings.stream, settings.prefix);

  // The main thread waits for a signal, logging the counters now and then.
  const timespec interval{static_cast<time_t>(stats_interval.count()), 0};
  for (;;) {
    const int got = sigtimedwait(&signals, nullptr, &interval);
    log_counters(counters);
    if (got == SIGTERM || got == SIGINT) break;
  }
  // Nothing to flush: every acked event is in the stream, and the stream says where to resume.
  spdlog::shutdown();
  std::_Exit(0);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {  // out of memory, most likely: not a configuration error
    std::fprintf(stderr, "tally-relay: %s\n", e.what());
    return 1;
  }
}
