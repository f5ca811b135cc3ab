// A minimal in-memory FileSystem for the fuzz targets: the readers under test see exactly the fuzzer's bytes,
// with no disk I/O. Single-threaded and without fault injection (tests/unit/faulty_file_system has those).
#pragma once

#include <cerrno>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "wal/file_system.hpp"

namespace tally::fuzz {

class MemoryFileSystem final : public wal::FileSystem {
 public:
  std::map<std::string, std::string> files;  // path -> content

  int open_append(const std::string& path, std::unique_ptr<wal::AppendFile>& out) override {
    out = std::make_unique<File>(files[path]);
    return 0;
  }
  int read_all(const std::string& path, std::string& out) override {
    const auto it = files.find(path);
    if (it == files.end()) return ENOENT;
    out = it->second;
    return 0;
  }
  int list(const std::string& dir, std::vector<std::string>& names) override {
    names.clear();
    const std::string prefix = dir + "/";
    for (const auto& [path, content] : files)
      if (path.compare(0, prefix.size(), prefix) == 0 && path.find('/', prefix.size()) == std::string::npos)
        names.push_back(path.substr(prefix.size()));
    return 0;
  }
  int make_dirs(const std::string&) override { return 0; }
  int rename(const std::string& from, const std::string& to) override {
    const auto it = files.find(from);
    if (it == files.end()) return ENOENT;
    files[to] = std::move(it->second);
    files.erase(from);
    return 0;
  }
  int remove(const std::string& path) override { return files.erase(path) == 1 ? 0 : ENOENT; }
  int truncate(const std::string& path, std::uint64_t size_bytes) override {
    const auto it = files.find(path);
    if (it == files.end()) return ENOENT;
    if (size_bytes < it->second.size()) it->second.resize(size_bytes);
    return 0;
  }
  int sync_dir(const std::string&) override { return 0; }

 private:
  class File final : public wal::AppendFile {
   public:
    explicit File(std::string& content) : content_(content) {}
    int append(std::string_view data) override {
      content_.append(data);
      return 0;
    }
    int sync_data() override { return 0; }
    int truncate(std::uint64_t size_bytes) override {
      if (size_bytes < content_.size()) content_.resize(size_bytes);
      return 0;
    }
    std::uint64_t size() const override { return content_.size(); }

   private:
    std::string& content_;
  };
};

}  // namespace tally::fuzz
