// recover(): decode each WAL record and hand it to the ledger's restore(); any record that does not decode or
// contradicts the state rebuilt so far stops recovery at that record's offset.
#include "recovery/recover.hpp"

#include <chrono>
#include <variant>

#include "wal/record_codec.hpp"
#include "wal/wal_reader.hpp"

namespace tally::recovery {

RecoveryReport recover(wal::FileSystem& fs, const std::string& wal_dir, LedgerService& ledger) {
  const auto started = std::chrono::steady_clock::now();
  RecoveryReport report;
  const wal::WalScan scan = wal::scan_wal(fs, wal_dir, [&](std::string_view payload) {
    std::optional<wal::Record> record = wal::decode(payload);
    if (!record) return false;
    if (const auto* user = std::get_if<UserCreated>(&*record)) {
      if (!ledger.restore(*user)) return false;
      ++report.users;
      return true;
    }
    if (!ledger.restore(std::get<TransactionApplied>(*record))) return false;
    ++report.transactions;
    return true;
  });
  report.ok = scan.ok;
  report.error = scan.error;
  report.bytes = scan.bytes;
  report.segments = scan.segments;
  report.torn_bytes_cut = scan.torn_bytes_cut;
  report.end = scan.end;
  report.millis =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  return report;
}

}  // namespace tally::recovery
