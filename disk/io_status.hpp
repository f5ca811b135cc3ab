// IoStatus: the one result of fallible I/O in Tally's storage (disk/, wal/, snapshot/, recovery/). It is ok, or a
// failure carrying the errno behind it (0 when the failure is in the bytes rather than in a system call: damage,
// a record recovery refused, a cancelled build) and one message naming the file and, where known, the byte
// offset, always in the same shape:
//   "data/wal/wal-00000000000000000003.log at byte 4096: bad CRC (record length 40)"
//   "data/snapshots: cannot list: Permission denied"
// An operation that yields nothing else returns an IoStatus; one that yields a report (WalScan, SnapshotRead,
// RecoveryReport, ...) carries it as the report's `status`. Exceptions remain only where a constructor cannot
// succeed (WalWriter) and for precondition violations of pure functions (wal::append_frame).
#pragma once

#include <cerrno>
#include <cstdint>
#include <string>
#include <string_view>

namespace tally::disk {

// The text of an errno value ("No space left on device"); thread-safe.
std::string describe_errno(int err);

class [[nodiscard]] IoStatus {
 public:
  IoStatus() = default;  // ok

  // A system call on `file` failed with `err` (> 0) while doing `what`: "<file>: <what>: <strerror>".
  static IoStatus from_errno(int err, std::string_view file, std::string_view what);
  // The same where the byte offset is known: "<file> at byte <offset>: <what>: <strerror>".
  static IoStatus from_errno_at(int err, std::string_view file, std::uint64_t offset, std::string_view what);
  // The bytes at `offset` of `file` are not what they must be (errno 0): "<file> at byte <offset>: <what>".
  static IoStatus damaged(std::string_view file, std::uint64_t offset, std::string_view what);
  // Any other failure, already worded (it should still name the file); err 0 unless a system call failed.
  static IoStatus failed(std::string message, int err = 0);

  bool ok() const noexcept { return message_.empty(); }
  // The errno behind the failure; 0 when ok or when the failure is not a system call's.
  int errno_value() const noexcept { return errno_; }
  bool not_found() const noexcept { return errno_ == ENOENT; }
  const std::string& message() const noexcept { return message_; }  // "" when ok

  // Adds context after the message (a failure only): "<message><more>".
  IoStatus& append(std::string_view more);

 private:
  IoStatus(int err, std::string message);

  int errno_ = 0;
  std::string message_;  // never empty for a failure
};

}  // namespace tally::disk
