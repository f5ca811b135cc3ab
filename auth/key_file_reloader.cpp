// KeyFileReloader: read (bounded), compare with the last content, parse, swap.
#include "auth/key_file_reloader.hpp"

#include <spdlog/spdlog.h>

#include "auth/key_file.hpp"
#include "ledger/limits.hpp"

namespace tally::auth {

KeyFileReloader::KeyFileReloader(disk::FileSystem& fs, std::string path, KeyStore& store)
    : fs_(fs), path_(std::move(path)), store_(store) {}

namespace {
std::string client_names(const std::vector<KeyEntry>& entries) {
  std::string names;
  for (const KeyEntry& entry : entries) names += (names.empty() ? "" : ", ") + entry.name;
  return names.empty() ? "none" : names;
}
}  // namespace

std::string KeyFileReloader::read(std::string& text) {
  std::uint64_t size = 0;
  if (const disk::IoStatus sized = fs_.file_size(path_, size); !sized.ok()) return sized.message();
  if (size > limits::auth_key_file_bytes_max) {
    return "key file " + path_ + " is larger than " + std::to_string(limits::auth_key_file_bytes_max) + " bytes";
  }
  if (const disk::IoStatus read = fs_.read_all(path_, text); !read.ok()) return read.message();
  return {};
}

std::string KeyFileReloader::install(const std::string& text) {
  KeyFile file = parse_key_file(text);
  if (!file.ok()) return "key file " + path_ + ": " + file.describe_error();
  spdlog::info("API keys in force from {}: {} client(s): {}", path_, file.entries.size(), client_names(file.entries));
  store_.replace(std::move(file.entries));
  return {};
}

std::string KeyFileReloader::load() {
  std::string text;
  if (std::string error = read(text); !error.empty()) return error;
  last_content_ = sha256(text);
  return install(text);
}

KeyFileReloader::Result KeyFileReloader::reload(bool always) {
  std::string text;
  if (std::string error = read(text); !error.empty()) {
    // A file that is briefly unreadable (a Secret's symlink swap) is named once, not every check.
    if (always || !unreadable_) spdlog::error("key file not reloaded, the previous keys stay in force: {}", error);
    unreadable_ = true;
    return Result::refused;
  }
  unreadable_ = false;
  const Digest content = sha256(text);
  if (!always && last_content_ && digests_equal(*last_content_, content)) return Result::unchanged;
  last_content_ = content;
  if (std::string error = install(text); !error.empty()) {
    spdlog::error("key file not reloaded, the previous keys stay in force: {}", error);
    return Result::refused;
  }
  return Result::reloaded;
}

}  // namespace tally::auth
