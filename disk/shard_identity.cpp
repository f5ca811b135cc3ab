// The shard identity file: read and compare, or write it durably the first time.
#include "disk/shard_identity.hpp"

#include <cstdio>
#include <memory>

namespace tally::disk {

namespace {

std::string render(ShardIdentity identity) {
  return "shards " + std::to_string(identity.shards) + "\nshard " + std::to_string(identity.shard) + "\n";
}

bool parse(const std::string& text, ShardIdentity& out) {
  unsigned long shards = 0;
  unsigned long shard = 0;
  int consumed = 0;
  if (std::sscanf(text.c_str(), "shards %lu\nshard %lu\n%n", &shards, &shard, &consumed) != 2) return false;
  if (static_cast<std::size_t>(consumed) != text.size() || shards == 0 || shard >= shards) return false;
  out = ShardIdentity{static_cast<std::uint32_t>(shards), static_cast<std::uint32_t>(shard)};
  return true;
}

IoStatus write_identity(FileSystem& fs, const DataDir& dir, ShardIdentity identity) {
  const std::string temp = dir.shard_identity_file() + ".tmp";
  if (IoStatus removed = fs.remove(temp); !removed.ok() && !removed.not_found()) return removed;
  std::unique_ptr<AppendFile> file;
  if (IoStatus opened = fs.open_append(temp, file); !opened.ok()) return opened;
  if (IoStatus written = file->append(render(identity)); !written.ok()) return written;
  if (IoStatus synced = file->sync_data(); !synced.ok()) return synced;
  file.reset();
  if (IoStatus renamed = fs.rename(temp, dir.shard_identity_file()); !renamed.ok()) return renamed;
  return fs.sync_dir(dir.root());
}

}  // namespace

IoStatus check_shard_identity(FileSystem& fs, const DataDir& dir, ShardIdentity wanted, std::string& refusal) {
  refusal.clear();
  std::string text;
  const IoStatus read = fs.read_all(dir.shard_identity_file(), text);
  if (read.not_found()) return write_identity(fs, dir, wanted);
  if (!read.ok()) return read;
  ShardIdentity recorded;
  if (!parse(text, recorded)) {
    refusal = dir.shard_identity_file() + " is not a shard identity file ('shards N' and 'shard K' lines)";
    return {};
  }
  if (recorded.shards != wanted.shards || recorded.shard != wanted.shard) {
    refusal = "data directory " + dir.root() + " belongs to shard " + std::to_string(recorded.shard) + " of " +
              std::to_string(recorded.shards) + " shards, but this process was started as shard " +
              std::to_string(wanted.shard) + " of " + std::to_string(wanted.shards) +
              "; refusing to start (no silent resharding: see docs/sharding.md, 'Resharding')";
  }
  return {};
}

}  // namespace tally::disk
