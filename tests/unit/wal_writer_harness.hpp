// The harness of the WalWriter unit tests (test_wal_writer.cpp, test_wal_writer_failures.cpp): payloads that carry
// their key, the keys a scan of the log finds, completions collected in the order they happen, and a writer's
// options on a FaultyFileSystem.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "disk/data_dir.hpp"
#include "tests/unit/faulty_file_system.hpp"
#include "wal/wal_reader.hpp"
#include "wal/wal_writer.hpp"

namespace tally::wal::writer_test {

using disk::AppendFile;
using disk::FileSystem;
using testing::FaultyFileSystem;
using testing::FsOp;
using namespace std::chrono_literals;

inline const std::string dir = disk::DataDir("data").wal();
inline std::string seg(std::uint64_t n) { return dir + "/" + segment_file_name(n); }

// Payload = the key as 8 LE bytes, padded with filler words.
inline std::string payload(std::uint64_t key, std::size_t words = 1) {
  std::string p;
  for (int i = 0; i < 8; ++i) p.push_back(static_cast<char>((key >> (8 * i)) & 0xffu));
  p.append((words - 1) * 8, static_cast<char>('a' + key % 26));
  return p;
}
inline std::uint64_t key_of(std::string_view p) {
  std::uint64_t key = 0;
  for (int i = 7; i >= 0; --i) key = (key << 8) | static_cast<unsigned char>(p[static_cast<std::size_t>(i)]);
  return key;
}

inline std::vector<std::uint64_t> scanned_keys(FileSystem& fs, const std::string& where, WalScan* out = nullptr) {
  std::vector<std::uint64_t> keys;
  const WalScan scan = scan_wal(fs, where, [&](std::string_view p) {
    keys.push_back(key_of(p));
    return true;
  });
  EXPECT_TRUE(scan.status.ok()) << scan.status.message();
  if (out) *out = scan;
  return keys;
}

// Collects completions in the order they happen.
class Collector {
 public:
  WalDone done(std::uint64_t key) {
    return [this, key](WalStatus s) {
      std::lock_guard<std::mutex> lock(mutex_);
      events_.emplace_back(key, s);
      cv_.notify_all();
    };
  }
  bool wait_for(std::size_t count) {
    std::unique_lock<std::mutex> lock(mutex_);
    return cv_.wait_for(lock, 60s, [&] { return events_.size() >= count; });
  }
  std::vector<std::pair<std::uint64_t, WalStatus>> events() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return events_;
  }
  std::optional<WalStatus> status(std::uint64_t key) const {  // exactly-once: a second completion is an error
    std::optional<WalStatus> found;
    for (const auto& [k, s] : events())
      if (k == key) {
        EXPECT_FALSE(found.has_value()) << "key " << key << " completed twice";
        found = s;
      }
    return found;
  }
  WalStatus wait_status(std::uint64_t key) {
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait_for(lock, 60s, [&] {
      for (const auto& e : events_) if (e.first == key) return true;
      return false;
    });
    lock.unlock();
    return status(key).value_or(WalStatus::stopped);
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<std::pair<std::uint64_t, WalStatus>> events_;
};

// Submits one record and waits for its completion.
inline WalStatus write_one(WalWriter& w, Collector& c, std::uint64_t key, std::size_t words = 1, WalTicket depends_on = 0) {
  w.submit(payload(key, words), depends_on, c.done(key));
  return c.wait_status(key);
}

// Without zero-fill (every batch grows the file, the layout before session 10) unless zero_fill_ahead_bytes is
// given: the idle thread's zero writes would otherwise race with the faults these tests schedule by count.
// test_wal_writer_zero_fill.cpp runs the writer with its room.
inline WalWriterOptions options_for(FileSystem& fs, std::size_t segment_bytes_max = 0,
                                    std::size_t zero_fill_ahead_bytes = 0) {
  WalWriterOptions o;
  o.dir = dir;
  o.fs = &fs;
  o.segment_bytes_max = segment_bytes_max;
  o.zero_fill_ahead_bytes = zero_fill_ahead_bytes;
  return o;
}

}  // namespace tally::wal::writer_test
