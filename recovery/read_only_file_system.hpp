// A FileSystem that forwards reads and refuses every change with EROFS: the operator tool inspects a data
// directory through it, so no code path it reuses (scan, recovery) can alter what it is inspecting.
#pragma once

#include <cerrno>

#include "disk/file_system.hpp"

namespace tally::recovery {

class ReadOnlyFileSystem final : public disk::FileSystem {
 public:
  explicit ReadOnlyFileSystem(disk::FileSystem& inner) : inner_(inner) {}

  disk::IoStatus open_append(const std::string& path, std::unique_ptr<disk::AppendFile>&) override {
    return refuse(path, "cannot open for appending");
  }
  disk::IoStatus open_positional(const std::string& path, std::unique_ptr<disk::PositionalFile>&) override {
    return refuse(path, "cannot open for writing");
  }
  disk::IoStatus read_all(const std::string& path, std::string& out) override { return inner_.read_all(path, out); }
  disk::IoStatus read_range(const std::string& path, std::uint64_t offset, std::size_t length,
                            std::string& out) override {
    return inner_.read_range(path, offset, length, out);
  }
  disk::IoStatus file_size(const std::string& path, std::uint64_t& size_bytes) override {
    return inner_.file_size(path, size_bytes);
  }
  disk::IoStatus list(const std::string& dir, std::vector<std::string>& names) override {
    return inner_.list(dir, names);
  }
  disk::IoStatus make_dirs(const std::string& dir) override { return refuse(dir, "cannot create directory"); }
  disk::IoStatus rename(const std::string& from, const std::string& to) override {
    return refuse(from, "cannot rename to " + to);
  }
  disk::IoStatus remove(const std::string& path) override { return refuse(path, "cannot remove"); }
  disk::IoStatus truncate(const std::string& path, std::uint64_t) override { return refuse(path, "cannot truncate"); }
  disk::IoStatus sync_dir(const std::string& dir) override { return refuse(dir, "fsync of the directory failed"); }

  int refused() const { return refused_; }  // attempted changes (a read-only caller should make none)

 private:
  disk::IoStatus refuse(const std::string& path, const std::string& what) {
    ++refused_;
    return disk::IoStatus::from_errno(EROFS, path, what + " (tally-admin changes nothing)");
  }
  disk::FileSystem& inner_;
  int refused_ = 0;
};

}  // namespace tally::recovery
