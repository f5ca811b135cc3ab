// IoStatus: composes every storage failure message in one shape (file, byte offset, what, errno text).
#include "disk/io_status.hpp"

#include <system_error>

#include "ledger/assert.hpp"

namespace tally::disk {

std::string describe_errno(int err) { return std::error_code(err, std::generic_category()).message(); }

IoStatus::IoStatus(int err, std::string message) : errno_(err), message_(std::move(message)) {
  TALLY_ASSERT(!message_.empty(), "a failed IoStatus says what failed");
  TALLY_ASSERT(errno_ >= 0, "errno values are positive");
}

IoStatus IoStatus::from_errno(int err, std::string_view file, std::string_view what) {
  TALLY_ASSERT(err > 0, "from_errno needs the errno of a failed call");
  std::string message(file);
  message += ": ";
  if (!what.empty()) {
    message += what;
    message += ": ";
  }
  message += describe_errno(err);
  return IoStatus(err, std::move(message));
}

IoStatus IoStatus::from_errno_at(int err, std::string_view file, std::uint64_t offset, std::string_view what) {
  TALLY_ASSERT(err > 0, "from_errno_at needs the errno of a failed call");
  std::string message(file);
  message += " at byte " + std::to_string(offset) + ": ";
  if (!what.empty()) {
    message += what;
    message += ": ";
  }
  message += describe_errno(err);
  return IoStatus(err, std::move(message));
}

IoStatus IoStatus::damaged(std::string_view file, std::uint64_t offset, std::string_view what) {
  std::string message(file);
  message += " at byte " + std::to_string(offset) + ": ";
  message += what;
  return IoStatus(0, std::move(message));
}

IoStatus IoStatus::failed(std::string message, int err) { return IoStatus(err, std::move(message)); }

IoStatus& IoStatus::append(std::string_view more) {
  TALLY_ASSERT(!ok(), "context is added to failures only");
  message_ += more;
  return *this;
}

}  // namespace tally::disk
