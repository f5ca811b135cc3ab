// FaultyFileSystem's test-facing side: scheduling faults, power loss (crash/restart), bit flips, and the setup
// and inspection calls. The file operations themselves are in faulty_file_system.cpp.
#include <algorithm>

#include "faulty_file_system.hpp"

namespace tally::testing {

void FaultyFileSystem::fail_append(int nth, int error, std::size_t prefix_bytes) {
  std::lock_guard<std::mutex> lock(mutex_);
  append_faults_.push_back(Fault{nth, error, prefix_bytes});
}

void FaultyFileSystem::fail_sync(int nth, int error) {
  std::lock_guard<std::mutex> lock(mutex_);
  sync_faults_.push_back(Fault{nth, error, 0});
}

void FaultyFileSystem::fail_sync_dir(int nth, int error) {
  std::lock_guard<std::mutex> lock(mutex_);
  sync_dir_faults_.push_back(Fault{nth, error, 0});
}

void FaultyFileSystem::set_capacity(std::optional<std::uint64_t> bytes) {
  std::lock_guard<std::mutex> lock(mutex_);
  capacity_ = bytes;
}

void FaultyFileSystem::set_sync_delay(std::chrono::microseconds delay) {
  std::lock_guard<std::mutex> lock(mutex_);
  sync_delay_ = delay;
}

void FaultyFileSystem::set_hook(std::function<void(FsOp, const std::string&)> hook) {
  std::lock_guard<std::mutex> lock(mutex_);
  hook_ = std::move(hook);
}

void FaultyFileSystem::crash(std::size_t keep_unsynced_bytes) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++epoch_;
  for (auto it = files_.begin(); it != files_.end();) {
    File& file = *it->second;
    if (!file.entry_durable) {
      it = files_.erase(it);
      continue;
    }
    std::string kept = file.durable;
    if (file.dirty_from < file.data.size()) {  // a prefix of the unsynced writes landed (a torn write)
      const std::uint64_t from = file.dirty_from;
      const std::uint64_t landed = std::min<std::uint64_t>(keep_unsynced_bytes, file.data.size() - from);
      if (kept.size() < from + landed) kept.resize(static_cast<std::size_t>(from + landed), '\0');
      kept.replace(static_cast<std::size_t>(from), static_cast<std::size_t>(landed), file.data,
                   static_cast<std::size_t>(from), static_cast<std::size_t>(landed));
    }
    file.data = kept;
    file.durable = std::move(kept);  // what survived a reboot is on disk now
    file.dirty_from = clean;
    ++it;
  }
  down_ = true;
}

void FaultyFileSystem::restart() {
  std::lock_guard<std::mutex> lock(mutex_);
  down_ = false;
}

bool FaultyFileSystem::flip_bit(const std::string& path, std::uint64_t offset, int bit) {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto it = files_.find(path);
  if (it == files_.end() || offset >= it->second->data.size()) return false;
  File& file = *it->second;
  file.data[static_cast<std::size_t>(offset)] ^= static_cast<char>(1u << (bit & 7));
  if (offset < file.durable.size()) file.durable[static_cast<std::size_t>(offset)] ^= static_cast<char>(1u << (bit & 7));
  return true;
}

bool FaultyFileSystem::exists(const std::string& path) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return files_.count(path) != 0;
}

std::string FaultyFileSystem::contents(const std::string& path) const {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto it = files_.find(path);
  return it == files_.end() ? std::string() : it->second->data;
}

std::uint64_t FaultyFileSystem::synced_size(const std::string& path) const {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto it = files_.find(path);
  return it == files_.end() ? 0 : it->second->durable.size();
}

std::vector<std::string> FaultyFileSystem::file_paths() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<std::string> paths;
  for (const auto& entry : files_) paths.push_back(entry.first);
  return paths;  // std::map iterates in order
}

std::uint64_t FaultyFileSystem::append_calls() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return append_calls_;
}

std::uint64_t FaultyFileSystem::sync_calls() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return sync_calls_;
}

}  // namespace tally::testing
