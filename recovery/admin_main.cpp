// tally-admin command line: `verify DATA_DIR`, `dump DATA_DIR [--wal-only|--snapshot PATH]` and
// `new-key NAME SCOPES`. Wraps the real file system in ReadOnlyFileSystem before anything else runs.
#include <cstdio>
#include <cstring>
#include <string>

#include "recovery/admin.hpp"
#include "recovery/read_only_file_system.hpp"

namespace {

constexpr char usage[] =
    "usage: tally-admin verify DATA_DIR\n"
    "       tally-admin dump DATA_DIR [--wal-only | --snapshot PATH]\n"
    "       tally-admin new-key NAME SCOPE[,SCOPE...]\n"
    "\n"
    "verify  checks every snapshot and WAL segment (CRCs, decoding, counts, timestamps, torn tail) and runs\n"
    "        recovery read-only; exit 0 if tallyd would start from DATA_DIR, 1 if not (the problem is named\n"
    "        with file and byte offset).\n"
    "dump    prints one JSON object per record: by default what recovery would restore (the snapshot it\n"
    "        picks, then the WAL after it); --wal-only every WAL segment; --snapshot one snapshot file.\n"
    "new-key makes an API key (scopes: read, write, events, peer) and prints two lines: 'secret: ...' for the\n"
    "        client and 'entry: ...' to append to tallyd's --auth-file (it holds only the secret's SHA-256).\n"
    "Nothing in DATA_DIR is ever modified.\n";

int usage_error(const char* why) {
  std::fprintf(stderr, "tally-admin: %s\n%s", why, usage);
  return tally::admin::exit_usage;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2 && (std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0)) {
    std::fputs(usage, stdout);
    return tally::admin::exit_ok;
  }
  if (argc >= 2 && std::strcmp(argv[1], "new-key") == 0) {
    if (argc != 4) return usage_error("new-key takes NAME and SCOPE[,SCOPE...]");
    return tally::admin::new_key(argv[2], argv[3]);
  }
  if (argc < 3) return usage_error("missing command or DATA_DIR");
  const std::string command = argv[1];
  const tally::disk::DataDir data_dir(argv[2]);
  tally::recovery::ReadOnlyFileSystem fs(tally::disk::posix_file_system());

  if (command == "verify") {
    if (argc != 3) return usage_error("verify takes only DATA_DIR");
    return tally::admin::verify(fs, data_dir);
  }
  if (command == "dump") {
    auto source = tally::admin::DumpSource::recovery;
    std::string snapshot_path;
    if (argc == 4 && std::strcmp(argv[3], "--wal-only") == 0) {
      source = tally::admin::DumpSource::wal_only;
    } else if (argc == 5 && std::strcmp(argv[3], "--snapshot") == 0) {
      source = tally::admin::DumpSource::snapshot;
      snapshot_path = argv[4];
    } else if (argc != 3) {
      return usage_error("dump takes DATA_DIR and optionally --wal-only or --snapshot PATH");
    }
    return tally::admin::dump(fs, data_dir, source, snapshot_path);
  }
  return usage_error(("unknown command '" + command + "'").c_str());
}
