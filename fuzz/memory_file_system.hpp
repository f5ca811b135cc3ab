// A minimal in-memory FileSystem for the fuzz targets: the readers under test see exactly the fuzzer's bytes,
// with no disk I/O. Single-threaded and without fault injection (tests/unit/faulty_file_system has those).
#pragma once

#include <cerrno>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "disk/file_system.hpp"

namespace tally::fuzz {

class MemoryFileSystem final : public disk::FileSystem {
 public:
  std::map<std::string, std::string> files;  // path -> content

  disk::IoStatus open_append(const std::string& path, std::unique_ptr<disk::AppendFile>& out) override {
    out = std::make_unique<File>(files[path]);
    return {};
  }
  disk::IoStatus open_positional(const std::string& path, std::unique_ptr<disk::PositionalFile>& out) override {
    out = std::make_unique<PositionedFile>(files[path]);
    return {};
  }
  disk::IoStatus read_all(const std::string& path, std::string& out) override {
    const auto it = files.find(path);
    if (it == files.end()) return missing(path);
    out = it->second;
    return {};
  }
  disk::IoStatus list(const std::string& dir, std::vector<std::string>& names) override {
    names.clear();
    const std::string prefix = dir + "/";
    for (const auto& [path, content] : files)
      if (path.compare(0, prefix.size(), prefix) == 0 && path.find('/', prefix.size()) == std::string::npos)
        names.push_back(path.substr(prefix.size()));
    return {};
  }
  disk::IoStatus make_dirs(const std::string&) override { return {}; }
  disk::IoStatus rename(const std::string& from, const std::string& to) override {
    const auto it = files.find(from);
    if (it == files.end()) return missing(from);
    files[to] = std::move(it->second);
    files.erase(from);
    return {};
  }
  disk::IoStatus remove(const std::string& path) override {
    if (files.erase(path) == 1) return {};
    return missing(path);
  }
  disk::IoStatus truncate(const std::string& path, std::uint64_t size_bytes) override {
    const auto it = files.find(path);
    if (it == files.end()) return missing(path);
    if (size_bytes < it->second.size()) it->second.resize(size_bytes);
    return {};
  }
  disk::IoStatus sync_dir(const std::string&) override { return {}; }

 private:
  static disk::IoStatus missing(const std::string& path) { return disk::IoStatus::from_errno(ENOENT, path, ""); }

  class File final : public disk::AppendFile {
   public:
    explicit File(std::string& content) : content_(content) {}
    disk::IoStatus append(std::string_view data) override {
      content_.append(data);
      return {};
    }
    disk::IoStatus sync_data() override { return {}; }
    disk::IoStatus truncate(std::uint64_t size_bytes) override {
      if (size_bytes < content_.size()) content_.resize(size_bytes);
      return {};
    }
    std::uint64_t size() const override { return content_.size(); }

   private:
    std::string& content_;
  };

  class PositionedFile final : public disk::PositionalFile {
   public:
    explicit PositionedFile(std::string& content) : content_(content) {}
    disk::IoStatus write_at(std::uint64_t offset, std::string_view data) override {
      if (content_.size() < offset + data.size()) content_.resize(offset + data.size(), '\0');
      content_.replace(offset, data.size(), data);
      return {};
    }
    disk::IoStatus sync_data() override { return {}; }
    disk::IoStatus truncate(std::uint64_t size_bytes) override {
      content_.resize(size_bytes, '\0');
      return {};
    }
    std::uint64_t size() const override { return content_.size(); }

   private:
    std::string& content_;
  };
};

}  // namespace tally::fuzz
