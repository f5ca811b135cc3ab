// Puts the key file in force at start and again when asked (SIGHUP) or when its content changed (checked every
// limits::auth_file_check_interval_ms by tallyd's main thread): a file that cannot be read or parsed is refused
// with a logged error and the keys in force stay. Runs on one thread (never an HTTP thread); logs client names
// and counts only, never a secret or a digest.
#pragma once

#include <optional>
#include <string>

#include "auth/digest.hpp"
#include "auth/key_store.hpp"
#include "disk/file_system.hpp"

namespace tally::auth {

class KeyFileReloader {
 public:
  KeyFileReloader(disk::FileSystem& fs, std::string path, KeyStore& store);

  // At start: the file's keys in force, or why not ("" = in force).
  std::string load();

  enum class Result { unchanged, reloaded, refused };
  // Reads the file; unless `always` (SIGHUP), content identical to the last read (in force or refused) is left.
  Result reload(bool always);

 private:
  std::string read(std::string& text);           // the error, or "" with the file's content
  std::string install(const std::string& text);  // the parse error, or "" with the keys in force

  disk::FileSystem& fs_;
  const std::string path_;
  KeyStore& store_;
  std::optional<Digest> last_content_;  // of the last content read (in force or refused)
  bool unreadable_ = false;             // the last check could not read the file (logged once)
};

}  // namespace tally::auth
