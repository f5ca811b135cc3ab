// Every bound Tally enforces and every tunable it runs with, in one place, with its unit in its name.
// Changing a limit here changes it everywhere, error messages included; nothing else hard-codes these numbers.
// (Constants of a file format, like header sizes, stay with their format.)
#pragma once

#include <cstddef>
#include <cstdint>

namespace tally::limits {

// HTTP. A request's body limit follows from its head: PUT|POST /v1/transactions the batch limit, all others the
// plain one; the edge refuses a larger body before reading it (Content-Length) or as soon as it grows (chunked).
inline constexpr std::size_t request_body_bytes_max = 64 * 1024;
inline constexpr std::size_t batch_request_body_bytes_max = 4 * 1024 * 1024;
inline constexpr std::size_t http_request_line_bytes_max = 8 * 1024;  // method, target and version: else 414
inline constexpr std::size_t http_header_bytes_max = 16 * 1024;       // the header lines after it: else 431
inline constexpr std::size_t http_header_count_max = 100;             // header lines in one request: else 431
inline constexpr std::size_t http_kept_header_count_max = 8;          // unrecognised headers a request keeps
inline constexpr std::size_t http_chunk_framing_bytes_max = 64 * 1024;  // chunk sizes, extensions, trailers
inline constexpr std::size_t http_pipeline_depth_max = 32;            // requests read ahead of their answers
inline constexpr std::size_t http_pipeline_backlog_bytes_max = 64 * 1024;  // unread input held at that depth
inline constexpr std::size_t http_connections_max = 10'000;           // open client connections: beyond, 503
inline constexpr int http_header_timeout_ms = 10'000;    // a request head, from its first byte (or the connect)
inline constexpr int http_body_timeout_ms = 30'000;      // a request body, from the end of its head
inline constexpr int http_keepalive_idle_ms = 60'000;    // an idle keep-alive connection is closed after this
inline constexpr int http_write_timeout_ms = 30'000;     // an answer the client does not read: the connection closes
inline constexpr int http_close_linger_ms = 2'000;       // reading (and dropping) input after a final answer
inline constexpr int http_timer_tick_ms = 250;           // how often timeouts are checked
inline constexpr int http_accept_backoff_ms = 100;       // accept pauses this long when out of descriptors
inline constexpr int http_accepts_per_wakeup_max = 64;   // then the listener lets writes and ticks run
inline constexpr int http_refusals_per_backoff_max = 16;  // waiting clients answered 503 per pause when out of fds
inline constexpr int http_retry_after_seconds = 1;       // 503 storage_full, shutting_down, too_many_connections
// Read (and dropped) from a connection refused at accept, so that its close sends FIN, not a reset.
inline constexpr std::size_t http_refused_request_bytes_max = 16 * 1024;
// Descriptors the connection cap leaves for the WAL, snapshots, epoll and the rest (at most half the limit).
inline constexpr std::size_t http_descriptors_reserved_max = 256;

// Identity
inline constexpr std::size_t user_name_chars_max = 200;
inline constexpr std::size_t user_name_bytes_max = 4 * user_name_chars_max;  // UTF-8
inline constexpr std::size_t uid_bytes_max = 64;
inline constexpr std::size_t idempotency_key_bytes_max = 128;
inline constexpr std::uint64_t users_max = 1ull << 26;
// A client's name (the key file's first column, stored with every record it makes): [A-Za-z0-9._-], 1..this.
inline constexpr std::size_t client_name_bytes_max = 64;
// Distinct client names one process holds (each record stores an ordinal into that table: actors/client_names).
inline constexpr std::size_t client_names_max = 1u << 20;

// API keys (auth/, docs/security.md)
inline constexpr std::size_t auth_key_file_bytes_max = 1024 * 1024;  // a larger key file is refused
inline constexpr std::size_t auth_key_file_entries_max = 10'000;
inline constexpr int auth_file_check_interval_ms = 2'000;     // the key file's content is checked this often
inline constexpr std::size_t auth_secret_random_bytes = 32;   // tally-admin new-key: 256 bits from getrandom()
// Brute force: a peer address with more than this many 401s within the window has its 401s answered after the
// delay (released by the edge's tick, so up to http_timer_tick_ms later); the table holds this many addresses
// (least recently failed evicted first).
inline constexpr int auth_failures_before_delay_max = 10;
inline constexpr int auth_failure_window_ms = 60'000;
inline constexpr int auth_failure_delay_ms = 500;
inline constexpr std::size_t auth_failure_addresses_max = 4'096;

// Money, in minor units (cents). Every balance, at every moment, stays in [0, balance_minor_max],
// so every partial sum of a history fits an int64 with room to spare.
inline constexpr std::int64_t amount_minor_max = 1'000'000'000'000'000;     // 10^15 = 10 trillion units
inline constexpr std::int64_t balance_minor_max = 100'000'000'000'000'000;  // 10^17
inline constexpr int amount_fraction_digits = 2;

// Time: UTC microseconds since 1970, from 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999Z (ISO 8601's range).
inline constexpr std::int64_t utc_micros_min = -62'135'596'800'000'000;
inline constexpr std::int64_t utc_micros_max = 253'402'300'799'999'999;
inline constexpr std::int64_t future_skew_micros_max = 5ll * 60 * 1'000'000;

// WAL
inline constexpr std::size_t wal_record_bytes_max = 64 * 1024;
inline constexpr std::size_t wal_batch_bytes_max = 8 * 1024 * 1024;
inline constexpr std::size_t wal_batch_records_max = 65'536;
inline constexpr std::size_t wal_segment_bytes_max = 64 * 1024 * 1024;
// tallyd --wal-segment-mib: the rotation size in MiB, 1..64 (the default is the max). Small segments are for
// testing rotation (the crash runner's --wal-segment-mib); readers accept any segment size.
inline constexpr std::size_t wal_segment_mib_min = 1;
inline constexpr std::size_t wal_segment_mib_max = wal_segment_bytes_max / (1024 * 1024);
inline constexpr std::size_t wal_queue_records_max = 1'000'000;
// Pre-zeroed room (docs/wal_format.md): the idle writer keeps up to this many zero bytes, fdatasync'ed, ahead of
// the logical end of the last segment, so a commit's fdatasync changes no file size; filled a chunk at a time so
// a record that arrives meanwhile waits at most one chunk's write + fdatasync.
inline constexpr std::size_t wal_zero_fill_ahead_bytes = 4 * 1024 * 1024;
inline constexpr std::size_t wal_zero_fill_chunk_bytes = 1024 * 1024;
// A chunk is zero-filled only while the file system keeps at least this much free after it (fstatvfs first):
// zeros are an optimisation and must not take the last free space a commit or a snapshot needs.
inline constexpr std::size_t wal_zero_fill_reserve_bytes = 64 * 1024 * 1024;

// History listing (GET /v1/user/{id}/transactions): transactions on one page
inline constexpr std::size_t history_page_transactions_default = 100;
inline constexpr std::size_t history_page_transactions_max = 1000;

// Batch ingest
inline constexpr std::size_t batch_transactions_max = 10'000;

// User actors: one with nothing to do for this long hands its state back to its slot and quits (0 = never).
inline constexpr std::uint32_t actor_idle_ms_default = 30'000;  // --actor-idle-ms
inline constexpr std::uint32_t actor_idle_ms_max = 86'400'000;
// The idle sweep visits the users in this many parts per idle period: checks spread out, not one burst.
inline constexpr std::uint32_t idle_sweep_slices = 16;

// Shards (docs/sharding.md): --shards N, and the peer client that forwards to the owner of a request.
inline constexpr std::uint32_t shards_max = 1024;
inline constexpr int peer_connect_timeout_ms = 1'000;   // a peer that does not accept by then is unreachable
inline constexpr int peer_request_timeout_ms = 5'000;   // an answer not complete by then: its outcome is unknown
inline constexpr int peer_retry_after_seconds = 1;      // 503 shard_unavailable
inline constexpr long peer_connections_max = 256;       // kept-alive connections to all peers together
inline constexpr int uid_reservation_busy_retries_max = 50;  // a uid whose reservation is still in flight elsewhere
inline constexpr int uid_reservation_busy_wait_ms = 20;      // between those retries

// Shutdown (SIGTERM/SIGINT): requests in flight get this long to be answered before the WAL writer stops, then
// the answers of its last completions this long to leave.
inline constexpr int shutdown_drain_ms = 10'000;
inline constexpr int shutdown_final_answers_ms = 2'000;

// Snapshots (snapshot/snapshotter.hpp): the closed WAL after the newest snapshot that triggers the next one (4
// segments at the default size) ...
inline constexpr std::uint64_t snapshot_wal_bytes_min = 256ull * 1024 * 1024;
// ... and at least (newest snapshot bytes / this): every build rewrites the whole state, so a large state waits
// for proportionally more WAL, which caps the rewriting at about this many bytes per WAL byte.
inline constexpr std::uint64_t snapshot_rewrite_per_wal_byte_max = 2;
inline constexpr int snapshot_check_interval_ms = 5'000;
// After a failed build (ENOSPC, EIO): rewriting a large file every few seconds would only add pressure.
inline constexpr int snapshot_retry_interval_ms = 60'000;

// The change feed (docs/notifications.md). Events kept in memory, newest: an older cursor gets 410 cursor_expired.
inline constexpr std::size_t feed_retention_events_default = 1'000'000;  // --feed-retention-events
inline constexpr std::size_t feed_retention_events_max = 100'000'000;
inline constexpr std::size_t feed_read_events_default = 1'000;  // GET /v1/events without limit=
inline constexpr std::size_t feed_read_events_max = 10'000;     // limit= at most
// Events one read looks at (filtered out or not): a narrow filter over a long log answers in steps, `last`
// telling the reader where the next step starts.
inline constexpr std::size_t feed_scan_events_max = 100'000;
inline constexpr std::size_t feed_scan_chunk_events = 4'096;  // looked at per hold of the log's lock
// After serving its readers, the dispatcher waits at least this long before the next pass: under a steady write
// load one pass per interval serves many events at once (at most this much added latency).
inline constexpr int feed_dispatch_interval_min_ms = 5;
inline constexpr int feed_wait_seconds_max = 30;            // wait= at most
inline constexpr std::size_t feed_parked_readers_max = 1'000;  // long-polls waiting at once: beyond, 503
inline constexpr std::size_t feed_streams_max = 256;           // open /v1/events/stream answers: beyond, 503
inline constexpr int feed_stream_heartbeat_ms = 15'000;        // a comment line on an idle stream
// Stream bytes a client has not taken yet: beyond, it is too slow to follow and the stream ends.
inline constexpr std::size_t feed_stream_unsent_bytes_max = 8 * 1024 * 1024;
inline constexpr int feed_dispatch_tick_ms = 250;  // parked readers' deadlines and heartbeats are checked this often

}  // namespace tally::limits
