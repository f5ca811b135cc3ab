// tally-admin dump: every record as one JSON line, in log order, with where it was read (file, byte offset;
// for a snapshot the chunk's offset and the record's index in it). Amounts and times in the API's text forms.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <variant>

#include <nlohmann/json.hpp>

#include "ledger/money.hpp"
#include "ledger/utc_time.hpp"
#include "recovery/admin.hpp"
#include "recovery/recover.hpp"
#include "snapshot/snapshot_format.hpp"
#include "snapshot/snapshot_reader.hpp"
#include "wal/record_codec.hpp"
#include "wal/wal_reader.hpp"

namespace tally::admin {
namespace {

using Json = nlohmann::ordered_json;

std::string base_name(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

void emit(const std::string& source, std::uint64_t offset, const std::uint32_t* index, const wal::Record& record) {
  Json line;
  line["source"] = source;
  line["offset"] = offset;
  if (index != nullptr) line["index"] = *index;
  if (const auto* user = std::get_if<UserCreated>(&record)) {
    line["type"] = "user_created";
    line["id"] = user->id;
    line["name"] = user->name;
    line["idempotency_key"] = user->idempotency_key;
    line["created_at"] = format_iso8601(user->created_at);
    line["client"] = user->client;
    line["low_balance_threshold"] = format_minor_units(user->low_balance_threshold);
  } else if (const auto* update = std::get_if<UserUpdated>(&record)) {
    line["type"] = "user_updated";
    line["user_id"] = update->user_id;
    line["low_balance_threshold"] = format_minor_units(update->low_balance_threshold);
    line["at"] = format_iso8601(update->at);
    line["client"] = update->client;
  } else {
    const auto* reservation = std::get_if<UidReservation>(&record);
    const auto& tx = reservation ? reservation->tx : std::get<TransactionApplied>(record);
    line["type"] = !reservation ? "transaction" : reservation->released ? "uid_released" : "uid_reserved";
    line["uid"] = tx.uid;
    line["user_id"] = tx.user_id;
    line["kind"] = to_string(tx.kind);
    line["amount"] = format_minor_units(tx.amount);
    line["timestamp"] = format_iso8601(tx.at);
    line["timestamp_given"] = tx.timestamp_given;
    line["client"] = tx.client;
    if (tx.recorded_at != 0) line["recorded_at"] = format_iso8601(tx.recorded_at);
  }
  // Names are not required to be valid UTF-8 in the log; replacing keeps every line parseable.
  std::string text = line.dump(-1, ' ', false, Json::error_handler_t::replace);
  text.push_back('\n');
  std::fwrite(text.data(), 1, text.size(), stdout);
}

bool dump_snapshot(disk::FileSystem& fs, const std::string& path) {
  const std::string source = base_name(path);
  const snapshot::SnapshotRead read = snapshot::read_snapshot(fs, path, [&](const snapshot::SnapshotRecord& r) {
    emit(source, r.chunk_offset, &r.index, *r.record);
    return true;
  });
  if (!read.status.ok()) std::fprintf(stderr, "tally-admin: %s\n", read.status.message().c_str());
  return read.status.ok();
}

bool dump_wal(disk::FileSystem& fs, const std::string& wal_dir, wal::WalPosition start) {
  wal::ScanOptions options;
  options.start = start;
  options.read_only = true;
  const wal::WalScan scan = wal::scan_wal(fs, wal_dir, options, [&](wal::WalPosition at, std::string_view payload) {
    const std::optional<wal::Record> record = wal::decode(payload);
    if (!record) return false;
    emit(wal::segment_file_name(at.segment), at.offset, nullptr, *record);
    return true;
  });
  if (scan.torn_tail)
    std::fprintf(stderr, "tally-admin: torn tail in %s at byte %llu (%llu bytes, cut at the next start)\n",
                 wal::segment_file_name(scan.torn_at.segment).c_str(),
                 static_cast<unsigned long long>(scan.torn_at.offset),
                 static_cast<unsigned long long>(scan.torn_bytes));
  if (!scan.status.ok()) std::fprintf(stderr, "tally-admin: %s\n", scan.status.message().c_str());
  return scan.status.ok();
}

}  // namespace

int dump(disk::FileSystem& fs, const disk::DataDir& data_dir, DumpSource source, const std::string& snapshot_path) {
  const std::string& wal_dir = data_dir.wal();
  bool ok = false;
  switch (source) {
    case DumpSource::snapshot: ok = dump_snapshot(fs, snapshot_path); break;
    case DumpSource::wal_only: ok = dump_wal(fs, wal_dir, wal::WalPosition{}); break;
    case DumpSource::recovery: {
      const recovery::SnapshotPick pick = recovery::pick_snapshot(fs, data_dir);
      for (const std::string& warning : pick.warnings) std::fprintf(stderr, "tally-admin: %s\n", warning.c_str());
      if (!pick.status.ok()) {
        std::fprintf(stderr, "tally-admin: %s\n", pick.status.message().c_str());
        break;
      }
      ok = !pick.chosen || dump_snapshot(fs, pick.chosen->path);
      if (ok) ok = dump_wal(fs, wal_dir, pick.chosen ? pick.chosen->covered : wal::WalPosition{1, 0});
      break;
    }
  }
  // A dump redirected to a full disk or a closed pipe must not end "successfully" with lines missing.
  if (std::fflush(stdout) != 0 || std::ferror(stdout)) {
    std::fprintf(stderr, "tally-admin: writing the dump failed: %s\n", std::strerror(errno));
    return exit_problem;
  }
  return ok ? exit_ok : exit_problem;
}

}  // namespace tally::admin
