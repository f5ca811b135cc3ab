// The production FileSystem: thin POSIX calls whose failures become IoStatus values naming the path (and the
// offset of a failed write or read). Short writes and EINTR are retried here so callers see either "all
// written" or an error with size() telling how much did land.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "disk/file_system.hpp"
#include "ledger/assert.hpp"

namespace tally::disk {
namespace {

int open_retry(const char* path, int flags, mode_t mode = 0) {
  for (;;) {
    const int fd = ::open(path, flags, mode);
    if (fd >= 0 || errno != EINTR) return fd;
  }
}

std::string truncate_what(std::uint64_t size_bytes) {
  return "cannot truncate to " + std::to_string(size_bytes) + " bytes";
}

// Writes all of `data`, retrying EINTR and short writes: `write_some(p, n, at)` is write() or pwrite() at `at`,
// and `at` moves past each piece that landed (the append file's size, the positional file's offset).
template <typename WriteSome>
IoStatus write_whole(std::string_view data, std::uint64_t& at, const std::string& path, WriteSome write_some) {
  const char* p = data.data();
  std::size_t left = data.size();
  while (left > 0) {
    const ssize_t n = write_some(p, left, at);
    if (n < 0) {
      if (errno == EINTR) continue;
      return IoStatus::from_errno_at(errno, path, at, "cannot write");
    }
    // A write returning 0 for a non-zero count does not happen for regular files; avoid spinning if it does.
    if (n == 0) return IoStatus::from_errno_at(EIO, path, at, "write made no progress");
    TALLY_ASSERT(static_cast<std::size_t>(n) <= left, "a write wrote no more than it was given");
    p += n;
    left -= static_cast<std::size_t>(n);
    at += static_cast<std::uint64_t>(n);
  }
  return {};
}

// The data sync and the cut both open files do the same way (one copy, so the rule below is said once).
IoStatus sync_data_of(int fd, const std::string& path) {
  // Never retry a failed fdatasync: the kernel may already have dropped the dirty pages it could not write.
  if (::fdatasync(fd) == 0) return {};
  return IoStatus::from_errno(errno, path, "fdatasync failed");
}

IoStatus truncate_fd(int fd, const std::string& path, std::uint64_t size_bytes) {
  for (;;) {
    if (::ftruncate(fd, static_cast<off_t>(size_bytes)) == 0) return {};
    if (errno != EINTR) return IoStatus::from_errno(errno, path, truncate_what(size_bytes));
  }
}

// What both kinds of open file share: the descriptor, the path errors name, the size as this process made it,
// and the data sync and the cut. `Interface` is AppendFile or PositionalFile.
template <typename Interface>
class PosixFile : public Interface {
 public:
  PosixFile(int fd, std::string path, std::uint64_t size) : fd_(fd), path_(std::move(path)), size_(size) {}
  ~PosixFile() override { ::close(fd_); }  // no retry on EINTR: the fd is released either way on Linux
  PosixFile(const PosixFile&) = delete;
  PosixFile& operator=(const PosixFile&) = delete;

  IoStatus sync_data() override { return sync_data_of(fd_, path_); }

  IoStatus truncate(std::uint64_t size_bytes) override {
    IoStatus status = truncate_fd(fd_, path_, size_bytes);
    if (status.ok()) size_ = size_bytes;
    return status;
  }

  std::uint64_t size() const override { return size_; }

 protected:
  int fd_;
  std::string path_;
  std::uint64_t size_;
};

class PosixAppendFile final : public PosixFile<AppendFile> {
 public:
  using PosixFile::PosixFile;

  IoStatus append(std::string_view data) override {
    return write_whole(data, size_, path_,
                       [this](const char* p, std::size_t n, std::uint64_t) { return ::write(fd_, p, n); });
  }
};

class PosixPositionalFile final : public PosixFile<PositionalFile> {
 public:
  using PosixFile::PosixFile;

  IoStatus write_at(std::uint64_t offset, std::string_view data) override {
    std::uint64_t at = offset;
    IoStatus status = write_whole(data, at, path_, [this](const char* p, std::size_t n, std::uint64_t where) {
      return ::pwrite(fd_, p, n, static_cast<off_t>(where));
    });
    size_ = std::max(size_, at);  // what landed counts, even before a failure
    return status;
  }

  IoStatus free_bytes(std::uint64_t& out) const override {
    struct statvfs fs {};
    if (::fstatvfs(fd_, &fs) != 0) return IoStatus::from_errno(errno, path_, "fstatvfs failed");
    out = static_cast<std::uint64_t>(fs.f_bavail) * static_cast<std::uint64_t>(fs.f_frsize);
    return {};
  }
};

// Opens path with flags and hands (fd, size) to make; the fd is closed again when fstat fails.
template <typename Made, typename Make>
IoStatus open_sized(const std::string& path, int flags, const char* what, std::unique_ptr<Made>& out, Make make) {
  const int fd = open_retry(path.c_str(), flags, 0644);
  if (fd < 0) return IoStatus::from_errno(errno, path, what);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    return IoStatus::from_errno(err, path, "cannot stat");
  }
  out = make(fd, static_cast<std::uint64_t>(st.st_size));
  return {};
}

class PosixFileSystem final : public FileSystem {
 public:
  IoStatus read_range(const std::string& path, std::uint64_t offset, std::size_t length, std::string& out) override {
    const int fd = open_retry(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return IoStatus::from_errno(errno, path, "cannot open");
    out.resize(length);
    std::size_t got = 0;
    while (got < length) {
      const ssize_t n = ::pread(fd, &out[got], length - got, static_cast<off_t>(offset + got));
      if (n < 0) {
        if (errno == EINTR) continue;
        const int err = errno;
        ::close(fd);
        return IoStatus::from_errno_at(err, path, offset + got, "cannot read");
      }
      if (n == 0) break;  // end of file
      got += static_cast<std::size_t>(n);
    }
    out.resize(got);
    ::close(fd);
    return {};
  }

  IoStatus file_size(const std::string& path, std::uint64_t& size_bytes) override {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return IoStatus::from_errno(errno, path, "cannot stat");
    if (S_ISDIR(st.st_mode)) return IoStatus::from_errno(EISDIR, path, "cannot take the size");
    size_bytes = static_cast<std::uint64_t>(st.st_size);
    return {};
  }

  IoStatus open_append(const std::string& path, std::unique_ptr<AppendFile>& out) override {
    return open_sized(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, "cannot open for appending", out,
                      [&path](int fd, std::uint64_t size) { return std::make_unique<PosixAppendFile>(fd, path, size); });
  }

  IoStatus open_positional(const std::string& path, std::unique_ptr<PositionalFile>& out) override {
    return open_sized(path, O_WRONLY | O_CREAT | O_CLOEXEC, "cannot open for writing", out, [&path](int fd, std::uint64_t size) {
      return std::make_unique<PosixPositionalFile>(fd, path, size);
    });
  }

  // Straight into `out` (no bounce buffer: recovery reads every WAL segment, 64 MiB each, through here), sized
  // from the file plus one byte, so its end shows in the same read. A string reused for the next file is not
  // zero-filled again, except where it grows.
  IoStatus read_all(const std::string& path, std::string& out) override {
    const int fd = open_retry(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return IoStatus::from_errno(errno, path, "cannot open");
    struct stat st {};
    const std::size_t expected = ::fstat(fd, &st) == 0 && st.st_size > 0 ? static_cast<std::size_t>(st.st_size) : 0;
    if (out.size() < expected + 1) out.resize(expected + 1);
    std::size_t got = 0;
    for (;;) {
      if (got == out.size()) out.resize(2 * out.size());  // the file grew since fstat
      const ssize_t n = ::read(fd, &out[got], out.size() - got);
      if (n < 0) {
        if (errno == EINTR) continue;
        const int err = errno;
        ::close(fd);
        out.resize(got);
        return IoStatus::from_errno_at(err, path, got, "cannot read");
      }
      if (n == 0) break;
      got += static_cast<std::size_t>(n);
    }
    out.resize(got);
    ::close(fd);
    return {};
  }

  IoStatus list(const std::string& dir, std::vector<std::string>& names) override {
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) return IoStatus::from_errno(errno, dir, "cannot list");
    names.clear();
    for (;;) {
      errno = 0;
      const dirent* entry = ::readdir(d);
      if (entry == nullptr) break;
      const std::string name = entry->d_name;
      if (name != "." && name != "..") names.push_back(name);
    }
    const int err = errno;
    ::closedir(d);
    if (err != 0) return IoStatus::from_errno(err, dir, "cannot list");
    return {};
  }

  IoStatus make_dirs(const std::string& dir) override {
    if (dir.empty()) return {};
    for (std::size_t slash = dir.find('/', 1);; slash = dir.find('/', slash + 1)) {
      const std::string prefix = dir.substr(0, slash);
      if (!prefix.empty() && ::mkdir(prefix.c_str(), 0755) != 0 && errno != EEXIST)
        return IoStatus::from_errno(errno, prefix, "cannot create directory");
      if (slash == std::string::npos) break;
    }
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0) return IoStatus::from_errno(errno, dir, "cannot create directory");
    if (!S_ISDIR(st.st_mode)) return IoStatus::from_errno(ENOTDIR, dir, "cannot create directory");
    return {};
  }

  IoStatus rename(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) == 0) return {};
    return IoStatus::from_errno(errno, from, "cannot rename to " + to);
  }

  IoStatus remove(const std::string& path) override {
    if (::unlink(path.c_str()) == 0) return {};
    return IoStatus::from_errno(errno, path, "cannot remove");
  }

  IoStatus truncate(const std::string& path, std::uint64_t size_bytes) override {
    for (;;) {
      if (::truncate(path.c_str(), static_cast<off_t>(size_bytes)) == 0) return {};
      if (errno != EINTR) return IoStatus::from_errno(errno, path, truncate_what(size_bytes));
    }
  }

  IoStatus sync_dir(const std::string& dir) override {
    const std::string name = dir.empty() ? "." : dir;
    const int fd = open_retry(name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return IoStatus::from_errno(errno, name, "cannot open the directory to fsync it");
    const int err = ::fsync(fd) == 0 ? 0 : errno;
    ::close(fd);
    if (err != 0) return IoStatus::from_errno(err, name, "fsync of the directory failed");
    return {};
  }
};

}  // namespace

IoStatus FileSystem::read_range(const std::string& path, std::uint64_t offset, std::size_t length, std::string& out) {
  std::string all;
  if (IoStatus status = read_all(path, all); !status.ok()) return status;
  out = offset >= all.size() ? std::string() : all.substr(static_cast<std::size_t>(offset), length);
  return {};
}

IoStatus FileSystem::file_size(const std::string& path, std::uint64_t& size_bytes) {
  std::string all;
  if (IoStatus status = read_all(path, all); !status.ok()) return status;
  size_bytes = all.size();
  return {};
}

FileSystem& posix_file_system() {
  static PosixFileSystem instance;
  return instance;
}

}  // namespace tally::disk
