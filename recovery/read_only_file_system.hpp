// A FileSystem that forwards reads and refuses every change with EROFS: the operator tool inspects a data
// directory through it, so no code path it reuses (scan, recovery) can alter what it is inspecting.
#pragma once

#include <cerrno>

#include "wal/file_system.hpp"

namespace tally::recovery {

class ReadOnlyFileSystem final : public wal::FileSystem {
 public:
  explicit ReadOnlyFileSystem(wal::FileSystem& inner) : inner_(inner) {}

  int open_append(const std::string&, std::unique_ptr<wal::AppendFile>&) override { return refuse(); }
  int read_all(const std::string& path, std::string& out) override { return inner_.read_all(path, out); }
  int read_range(const std::string& path, std::uint64_t offset, std::size_t length, std::string& out) override {
    return inner_.read_range(path, offset, length, out);
  }
  int file_size(const std::string& path, std::uint64_t& size_bytes) override {
    return inner_.file_size(path, size_bytes);
  }
  int list(const std::string& dir, std::vector<std::string>& names) override { return inner_.list(dir, names); }
  int make_dirs(const std::string&) override { return refuse(); }
  int rename(const std::string&, const std::string&) override { return refuse(); }
  int remove(const std::string&) override { return refuse(); }
  int truncate(const std::string&, std::uint64_t) override { return refuse(); }
  int sync_dir(const std::string&) override { return refuse(); }

  int refused() const { return refused_; }  // attempted changes (a read-only caller should make none)

 private:
  int refuse() {
    ++refused_;
    return EROFS;
  }
  wal::FileSystem& inner_;
  int refused_ = 0;
};

}  // namespace tally::recovery
