// FaultyFileSystem: a map path -> {bytes, durable image, entry durable?} behind one mutex, plus a few
// scheduled faults (set up, fired by crash() and inspected in faulty_file_system_faults.cpp). Simple on purpose: tests must be able to trust it more than the code under test.
#include "faulty_file_system.hpp"

#include <algorithm>
#include <thread>

namespace tally::testing {
namespace {

std::string normalize_dir(std::string dir) {
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  return dir.empty() ? std::string(".") : dir;
}

std::string parent_of(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? std::string("/") : path.substr(0, slash);
}

disk::IoStatus status_of(int err, const std::string& path, const std::string& what) {
  if (err == 0) return {};
  return disk::IoStatus::from_errno(err, path, what);
}

}  // namespace

// One handle type for both kinds of open file: append is a write at the end, the rest is shared.
class FaultyFileSystem::Handle final : public disk::AppendFile, public disk::PositionalFile {
 public:
  Handle(FaultyFileSystem& fs, std::shared_ptr<File> file, std::string path, std::uint64_t epoch)
      : fs_(fs), file_(std::move(file)), path_(std::move(path)), epoch_(epoch) {}
  disk::IoStatus append(std::string_view data) override {
    fs_.run_hook(FsOp::append, path_);
    return write(size(), clean, data);
  }
  disk::IoStatus write_at(std::uint64_t offset, std::string_view data) override {
    fs_.run_hook(FsOp::write_at, path_);
    return write(offset, offset, data);
  }
  disk::IoStatus sync_data() override {
    fs_.run_hook(FsOp::sync_data, path_);
    return status_of(fs_.handle_sync(*file_, epoch_), path_, "fdatasync failed");
  }
  disk::IoStatus truncate(std::uint64_t size_bytes) override {
    fs_.run_hook(FsOp::truncate, path_);
    return status_of(fs_.handle_truncate(*file_, epoch_, size_bytes), path_,
                     "cannot truncate to " + std::to_string(size_bytes) + " bytes");
  }
  std::uint64_t size() const override { return fs_.handle_size(*file_); }
  disk::IoStatus free_bytes(std::uint64_t& out) const override {
    out = fs_.free_bytes();
    return {};
  }

 private:
  disk::IoStatus write(std::uint64_t at, std::uint64_t offset, std::string_view data) {
    const int err = fs_.handle_write(*file_, epoch_, offset, data);
    if (err == 0) return {};
    return disk::IoStatus::from_errno_at(err, path_, at, "cannot write");
  }
  FaultyFileSystem& fs_;
  std::shared_ptr<File> file_;  // survives remove(), like an open fd of an unlinked file
  std::string path_;
  std::uint64_t epoch_;
};

FaultyFileSystem::FaultyFileSystem() : dirs_{".", "/"} {}
FaultyFileSystem::~FaultyFileSystem() = default;

void FaultyFileSystem::run_hook(FsOp op, const std::string& path) {
  std::function<void(FsOp, const std::string&)> hook;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    hook = hook_;
  }
  if (hook) hook(op, path);
}

bool FaultyFileSystem::take_fault(std::vector<Fault>& faults, Fault& fired) {
  bool hit = false;
  for (Fault& f : faults)
    if (--f.countdown == 0 && !hit) {
      fired = f;
      hit = true;
    }
  faults.erase(std::remove_if(faults.begin(), faults.end(), [](const Fault& f) { return f.countdown <= 0; }),
               faults.end());
  return hit;
}

bool FaultyFileSystem::dir_exists_locked(const std::string& dir) const { return dirs_.count(dir) != 0; }

std::uint64_t FaultyFileSystem::used_bytes_locked() const {
  std::uint64_t used = 0;
  for (const auto& entry : files_) used += entry.second->data.size();
  return used;
}

void FaultyFileSystem::resize_locked(File& file, std::uint64_t size) {
  if (size > file.data.size()) file.dirty_from = std::min<std::uint64_t>(file.dirty_from, file.data.size());
  file.data.resize(static_cast<std::size_t>(size), '\0');
  if (file.durable.size() > size) file.durable.resize(static_cast<std::size_t>(size));  // shrinking: durable at once
}

int FaultyFileSystem::handle_write(File& file, std::uint64_t epoch, std::uint64_t offset, std::string_view data) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++append_calls_;
  if (epoch != epoch_) return EIO;
  if (offset == clean) offset = file.data.size();
  std::size_t fits = data.size();
  int err = 0;
  Fault fault{};
  if (take_fault(append_faults_, fault)) {
    fits = std::min(fault.prefix, data.size());
    err = fault.error;
  } else if (capacity_) {
    const std::uint64_t used = used_bytes_locked();
    const std::uint64_t room = used >= *capacity_ ? 0 : *capacity_ - used;
    const std::uint64_t growth = offset + data.size() > file.data.size() ? offset + data.size() - file.data.size() : 0;
    if (growth > room) {
      fits = static_cast<std::size_t>(std::max<std::uint64_t>(offset + room, file.data.size()) - offset);
      fits = std::min(fits, data.size());
      err = ENOSPC;
    }
  }
  if (fits == 0) return err;
  if (file.data.size() < offset + fits) resize_locked(file, offset + fits);
  file.data.replace(static_cast<std::size_t>(offset), fits, data.substr(0, fits));
  file.dirty_from = std::min<std::uint64_t>(file.dirty_from, offset);
  return err;
}

int FaultyFileSystem::handle_sync(File& file, std::uint64_t epoch) {
  std::uint64_t size_at_start = 0, from = 0;
  std::string written;  // the bytes this sync makes durable, as they were when it began
  std::chrono::microseconds delay{0};
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++sync_calls_;
    if (epoch != epoch_) return EIO;
    Fault fault{};
    if (take_fault(sync_faults_, fault)) return fault.error;
    size_at_start = file.data.size();
    from = std::min(file.dirty_from, size_at_start);
    written = file.data.substr(static_cast<std::size_t>(from));
    file.dirty_from = clean;
    delay = sync_delay_;
  }
  if (delay.count() > 0) std::this_thread::sleep_for(delay);
  std::lock_guard<std::mutex> lock(mutex_);
  if (epoch != epoch_) return EIO;  // the "machine" crashed while the disk was busy
  // A truncate while the disk was busy shrank the file: only what is still there can become durable.
  const std::uint64_t end = std::min<std::uint64_t>(size_at_start, file.data.size());
  if (from < end) {
    if (file.durable.size() < end) file.durable.resize(static_cast<std::size_t>(end), '\0');
    file.durable.replace(static_cast<std::size_t>(from), static_cast<std::size_t>(end - from), written, 0,
                         static_cast<std::size_t>(end - from));
  }
  if (file.durable.size() > file.data.size()) file.durable.resize(file.data.size());
  return 0;
}

int FaultyFileSystem::handle_truncate(File& file, std::uint64_t epoch, std::uint64_t size) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (epoch != epoch_) return EIO;
  resize_locked(file, size);
  return 0;
}

std::uint64_t FaultyFileSystem::free_bytes() const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!capacity_) return UINT64_MAX;
  const std::uint64_t used = used_bytes_locked();
  return used >= *capacity_ ? 0 : *capacity_ - used;
}

std::uint64_t FaultyFileSystem::handle_size(const File& file) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return file.data.size();
}

disk::IoStatus FaultyFileSystem::open_append(const std::string& path, std::unique_ptr<disk::AppendFile>& out) {
  run_hook(FsOp::open_append, path);
  std::shared_ptr<File> file;
  std::uint64_t epoch = 0;
  const int err = open_errno(path, file, epoch);
  if (err == 0) out = std::make_unique<Handle>(*this, std::move(file), path, epoch);
  return status_of(err, path, "cannot open for appending");
}

disk::IoStatus FaultyFileSystem::open_positional(const std::string& path, std::unique_ptr<disk::PositionalFile>& out) {
  run_hook(FsOp::open_positional, path);
  std::shared_ptr<File> file;
  std::uint64_t epoch = 0;
  const int err = open_errno(path, file, epoch);
  if (err == 0) out = std::make_unique<Handle>(*this, std::move(file), path, epoch);
  return status_of(err, path, "cannot open for writing");
}

disk::IoStatus FaultyFileSystem::read_all(const std::string& path, std::string& out) {
  return status_of(read_range_errno(path, 0, SIZE_MAX, out), path, "cannot read");
}

disk::IoStatus FaultyFileSystem::read_range(const std::string& path, std::uint64_t offset, std::size_t length,
                                            std::string& out) {
  const int err = read_range_errno(path, offset, length, out);
  if (err == 0) return {};
  return disk::IoStatus::from_errno_at(err, path, offset, "cannot read");
}

disk::IoStatus FaultyFileSystem::list(const std::string& dir, std::vector<std::string>& names) {
  return status_of(list_errno(dir, names), dir, "cannot list");
}

disk::IoStatus FaultyFileSystem::make_dirs(const std::string& dir) {
  return status_of(make_dirs_errno(dir), dir, "cannot create directory");
}

disk::IoStatus FaultyFileSystem::rename(const std::string& from, const std::string& to) {
  return status_of(rename_errno(from, to), from, "cannot rename to " + to);
}

disk::IoStatus FaultyFileSystem::remove(const std::string& path) {
  run_hook(FsOp::remove, path);
  std::lock_guard<std::mutex> lock(mutex_);
  if (down_) return status_of(EIO, path, "cannot remove");
  return status_of(files_.erase(path) != 0 ? 0 : ENOENT, path, "cannot remove");
}

disk::IoStatus FaultyFileSystem::truncate(const std::string& path, std::uint64_t size_bytes) {
  return status_of(truncate_errno(path, size_bytes), path,
                   "cannot truncate to " + std::to_string(size_bytes) + " bytes");
}

disk::IoStatus FaultyFileSystem::sync_dir(const std::string& dir) {
  return status_of(sync_dir_errno(dir), dir, "fsync of the directory failed");
}

int FaultyFileSystem::open_errno(const std::string& path, std::shared_ptr<File>& file, std::uint64_t& epoch) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (down_) return EIO;
  if (dirs_.count(path) != 0) return EISDIR;
  auto it = files_.find(path);
  if (it == files_.end()) {
    if (!dir_exists_locked(parent_of(path))) return ENOENT;
    it = files_.emplace(path, std::make_shared<File>()).first;
  }
  file = it->second;
  epoch = epoch_;
  return 0;
}

int FaultyFileSystem::read_range_errno(const std::string& path, std::uint64_t offset, std::size_t length,
                                       std::string& out) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (down_) return EIO;
  const auto it = files_.find(path);
  if (it == files_.end()) return dirs_.count(path) != 0 ? EISDIR : ENOENT;
  const std::string& data = it->second->data;
  out = offset >= data.size() ? std::string() : data.substr(static_cast<std::size_t>(offset), length);
  return 0;
}

disk::IoStatus FaultyFileSystem::file_size(const std::string& path, std::uint64_t& size_bytes) {
  std::lock_guard<std::mutex> lock(mutex_);
  int err = 0;
  const auto it = files_.find(path);
  if (down_) {
    err = EIO;
  } else if (it == files_.end()) {
    err = dirs_.count(path) != 0 ? EISDIR : ENOENT;
  } else {
    size_bytes = it->second->data.size();
  }
  return status_of(err, path, "cannot stat");
}

int FaultyFileSystem::list_errno(const std::string& dir_in, std::vector<std::string>& names) {
  const std::string dir = normalize_dir(dir_in);
  std::lock_guard<std::mutex> lock(mutex_);
  if (down_) return EIO;
  if (!dir_exists_locked(dir)) return files_.count(dir) != 0 ? ENOTDIR : ENOENT;
  names.clear();
  for (const auto& entry : files_)
    if (parent_of(entry.first) == dir) names.push_back(entry.first.substr(entry.first.rfind('/') + 1));
  for (const std::string& sub : dirs_)
    if (sub != dir && sub != "." && sub != "/" && parent_of(sub) == dir) names.push_back(sub.substr(sub.rfind('/') + 1));
  return 0;
}

int FaultyFileSystem::make_dirs_errno(const std::string& dir_in) {
  const std::string dir = normalize_dir(dir_in);
  std::lock_guard<std::mutex> lock(mutex_);
  if (down_) return EIO;
  for (std::size_t slash = dir.find('/', 1);; slash = dir.find('/', slash + 1)) {
    const std::string prefix = dir.substr(0, slash);
    if (files_.count(prefix) != 0) return ENOTDIR;
    dirs_.insert(prefix);
    if (slash == std::string::npos) break;
  }
  return 0;
}

int FaultyFileSystem::rename_errno(const std::string& from, const std::string& to) {
  run_hook(FsOp::rename, from);
  std::lock_guard<std::mutex> lock(mutex_);
  if (down_) return EIO;
  const auto it = files_.find(from);
  if (it == files_.end()) return ENOENT;
  if (!dir_exists_locked(parent_of(to))) return ENOENT;
  std::shared_ptr<File> file = it->second;
  files_.erase(it);
  file->entry_durable = false;
  files_[to] = std::move(file);
  return 0;
}

int FaultyFileSystem::truncate_errno(const std::string& path, std::uint64_t size_bytes) {
  run_hook(FsOp::truncate, path);
  std::lock_guard<std::mutex> lock(mutex_);
  if (down_) return EIO;
  const auto it = files_.find(path);
  if (it == files_.end()) return ENOENT;
  resize_locked(*it->second, size_bytes);
  return 0;
}

int FaultyFileSystem::sync_dir_errno(const std::string& dir_in) {
  const std::string dir = normalize_dir(dir_in);
  run_hook(FsOp::sync_dir, dir);
  std::lock_guard<std::mutex> lock(mutex_);
  if (down_) return EIO;
  if (!dir_exists_locked(dir)) return ENOENT;
  Fault fault{};
  if (take_fault(sync_dir_faults_, fault)) return fault.error;
  for (auto& entry : files_)
    if (parent_of(entry.first) == dir) entry.second->entry_durable = true;
  return 0;
}

void FaultyFileSystem::write_file(const std::string& path, const std::string& data) {
  const std::string parent = parent_of(path);
  make_dirs_errno(parent);
  std::lock_guard<std::mutex> lock(mutex_);
  auto file = std::make_shared<File>();
  file->data = data;
  file->durable = data;
  file->entry_durable = true;
  files_[path] = std::move(file);
}

}  // namespace tally::testing
