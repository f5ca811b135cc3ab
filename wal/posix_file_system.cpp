// The production FileSystem: thin POSIX calls returning errno values. Short writes and EINTR are retried
// here so callers see either "all written" or an error with size() telling how much did land.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "wal/file_system.hpp"

namespace tally::wal {
namespace {

int open_retry(const char* path, int flags, mode_t mode = 0) {
  for (;;) {
    const int fd = ::open(path, flags, mode);
    if (fd >= 0 || errno != EINTR) return fd;
  }
}

class PosixAppendFile final : public AppendFile {
 public:
  PosixAppendFile(int fd, std::uint64_t size) : fd_(fd), size_(size) {}
  ~PosixAppendFile() override { ::close(fd_); }  // no retry on EINTR: the fd is released either way on Linux
  PosixAppendFile(const PosixAppendFile&) = delete;
  PosixAppendFile& operator=(const PosixAppendFile&) = delete;

  int append(std::string_view data) override {
    const char* p = data.data();
    std::size_t left = data.size();
    while (left > 0) {
      const ssize_t n = ::write(fd_, p, left);
      if (n < 0) {
        if (errno == EINTR) continue;
        return errno;
      }
      // write() returning 0 for a non-zero count does not happen for regular files; avoid spinning if it does.
      if (n == 0) return EIO;
      p += n;
      left -= static_cast<std::size_t>(n);
      size_ += static_cast<std::uint64_t>(n);
    }
    return 0;
  }

  int sync_data() override {
    // Never retry a failed fdatasync: the kernel may already have dropped the dirty pages it could not write.
    return ::fdatasync(fd_) == 0 ? 0 : errno;
  }

  int truncate(std::uint64_t size_bytes) override {
    for (;;) {
      if (::ftruncate(fd_, static_cast<off_t>(size_bytes)) == 0) {
        size_ = size_bytes;
        return 0;
      }
      if (errno != EINTR) return errno;
    }
  }

  std::uint64_t size() const override { return size_; }

 private:
  int fd_;
  std::uint64_t size_;
};

class PosixFileSystem final : public FileSystem {
 public:
  int read_range(const std::string& path, std::uint64_t offset, std::size_t length, std::string& out) override {
    const int fd = open_retry(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return errno;
    out.resize(length);
    std::size_t got = 0;
    while (got < length) {
      const ssize_t n = ::pread(fd, &out[got], length - got, static_cast<off_t>(offset + got));
      if (n < 0) {
        if (errno == EINTR) continue;
        const int err = errno;
        ::close(fd);
        return err;
      }
      if (n == 0) break;  // end of file
      got += static_cast<std::size_t>(n);
    }
    out.resize(got);
    ::close(fd);
    return 0;
  }

  int file_size(const std::string& path, std::uint64_t& size_bytes) override {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return errno;
    if (S_ISDIR(st.st_mode)) return EISDIR;
    size_bytes = static_cast<std::uint64_t>(st.st_size);
    return 0;
  }

  int open_append(const std::string& path, std::unique_ptr<AppendFile>& out) override {
    const int fd = open_retry(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) return errno;
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
      const int err = errno;
      ::close(fd);
      return err;
    }
    out = std::make_unique<PosixAppendFile>(fd, static_cast<std::uint64_t>(st.st_size));
    return 0;
  }

  int read_all(const std::string& path, std::string& out) override {
    const int fd = open_retry(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return errno;
    out.clear();
    struct stat st {};
    if (::fstat(fd, &st) == 0 && st.st_size > 0) out.reserve(static_cast<std::size_t>(st.st_size));
    char buffer[1 << 16];
    for (;;) {
      const ssize_t n = ::read(fd, buffer, sizeof buffer);
      if (n < 0) {
        if (errno == EINTR) continue;
        const int err = errno;
        ::close(fd);
        return err;
      }
      if (n == 0) break;
      out.append(buffer, static_cast<std::size_t>(n));
    }
    ::close(fd);
    return 0;
  }

  int list(const std::string& dir, std::vector<std::string>& names) override {
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) return errno;
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
    return err;
  }

  int make_dirs(const std::string& dir) override {
    if (dir.empty()) return 0;
    for (std::size_t slash = dir.find('/', 1);; slash = dir.find('/', slash + 1)) {
      const std::string prefix = dir.substr(0, slash);
      if (!prefix.empty() && ::mkdir(prefix.c_str(), 0755) != 0 && errno != EEXIST) return errno;
      if (slash == std::string::npos) break;
    }
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0) return errno;
    return S_ISDIR(st.st_mode) ? 0 : ENOTDIR;
  }

  int rename(const std::string& from, const std::string& to) override {
    return ::rename(from.c_str(), to.c_str()) == 0 ? 0 : errno;
  }

  int remove(const std::string& path) override { return ::unlink(path.c_str()) == 0 ? 0 : errno; }

  int truncate(const std::string& path, std::uint64_t size_bytes) override {
    for (;;) {
      if (::truncate(path.c_str(), static_cast<off_t>(size_bytes)) == 0) return 0;
      if (errno != EINTR) return errno;
    }
  }

  int sync_dir(const std::string& dir) override {
    const int fd = open_retry(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return errno;
    const int err = ::fsync(fd) == 0 ? 0 : errno;
    ::close(fd);
    return err;
  }
};

}  // namespace

int FileSystem::read_range(const std::string& path, std::uint64_t offset, std::size_t length, std::string& out) {
  std::string all;
  if (int err = read_all(path, all)) return err;
  out = offset >= all.size() ? std::string() : all.substr(static_cast<std::size_t>(offset), length);
  return 0;
}

int FileSystem::file_size(const std::string& path, std::uint64_t& size_bytes) {
  std::string all;
  if (int err = read_all(path, all)) return err;
  size_bytes = all.size();
  return 0;
}

FileSystem& posix_file_system() {
  static PosixFileSystem instance;
  return instance;
}

}  // namespace tally::wal
