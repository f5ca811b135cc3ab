// disk/: IoStatus words every failure in one shape (file, byte offset, what, errno text), DataDir is the one
// place the data directory's layout is spelled, and DataDirLock keeps a second holder out.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <random>
#include <string>

#include "disk/data_dir.hpp"
#include "disk/file_system.hpp"
#include "disk/io_status.hpp"

namespace tally::disk {
namespace {

TEST(IoStatus, OkByDefaultAndFailuresNameFileOffsetAndErrno) {
  const IoStatus ok;
  EXPECT_TRUE(ok.ok());
  EXPECT_EQ(ok.errno_value(), 0);
  EXPECT_EQ(ok.message(), "");

  const IoStatus full = IoStatus::from_errno_at(ENOSPC, "data/wal/wal-1.log", 4096, "cannot write");
  EXPECT_FALSE(full.ok());
  EXPECT_EQ(full.errno_value(), ENOSPC);
  EXPECT_EQ(full.message(), "data/wal/wal-1.log at byte 4096: cannot write: " + describe_errno(ENOSPC));

  const IoStatus missing = IoStatus::from_errno(ENOENT, "data/snapshots", "cannot list");
  EXPECT_TRUE(missing.not_found());
  EXPECT_EQ(missing.message(), "data/snapshots: cannot list: " + describe_errno(ENOENT));

  IoStatus damaged = IoStatus::damaged("data/wal/wal-3.log", 40, "bad CRC");
  EXPECT_FALSE(damaged.ok());
  EXPECT_EQ(damaged.errno_value(), 0) << "damage is not a system call's failure";
  damaged.append(" (under snapshot snap-1)");
  EXPECT_EQ(damaged.message(), "data/wal/wal-3.log at byte 40: bad CRC (under snapshot snap-1)");

  EXPECT_FALSE(IoStatus::failed("cancelled", ECANCELED).ok());
  EXPECT_EQ(describe_errno(ENOSPC), "No space left on device");
}

TEST(DataDir, OwnsTheLayout) {
  const DataDir dir("data/");
  EXPECT_EQ(dir.root(), "data");
  EXPECT_EQ(dir.wal(), "data/wal");
  EXPECT_EQ(dir.snapshots(), "data/snapshots");
  EXPECT_EQ(dir.lock_file(), "data/LOCK");
  EXPECT_EQ(DataDir("/").wal(), "/wal");
  EXPECT_EQ(DataDir().wal(), "./wal");
  EXPECT_EQ(DataDir("").snapshots(), "./snapshots");
}

TEST(DataDirLock, OneHolderAtATime) {
  char pattern[] = "/tmp/tally-disk-test-XXXXXX";
  ASSERT_NE(::mkdtemp(pattern), nullptr);
  const DataDir dir(pattern);
  {
    DataDirLock first;
    ASSERT_TRUE(first.acquire(dir).ok());
    EXPECT_TRUE(first.held());
    DataDirLock second;  // another open file description: flock refuses it as it would another process
    const IoStatus refused = second.acquire(dir);
    EXPECT_FALSE(refused.ok());
    EXPECT_EQ(refused.errno_value(), EWOULDBLOCK);
    EXPECT_NE(refused.message().find(dir.lock_file()), std::string::npos) << refused.message();
    EXPECT_FALSE(second.held());
    first.release();
    EXPECT_TRUE(second.acquire(dir).ok()) << "released: the next holder gets it";
  }
  DataDirLock again;
  EXPECT_TRUE(again.acquire(dir).ok()) << "a destroyed lock is released";
  const IoStatus nowhere = again.acquire(DataDir(std::string(pattern) + "/missing"));
  EXPECT_EQ(nowhere.errno_value(), ENOENT) << nowhere.message();
  std::filesystem::remove_all(pattern);
}

TEST(PosixFileSystem, FailuresCarryThePathAndTheErrno) {
  FileSystem& fs = posix_file_system();
  std::string out;
  const IoStatus read = fs.read_all("/nonexistent-tally-dir/file", out);
  EXPECT_TRUE(read.not_found());
  EXPECT_EQ(read.message().rfind("/nonexistent-tally-dir/file: ", 0), 0u) << read.message();
  std::vector<std::string> names;
  EXPECT_TRUE(fs.list("/nonexistent-tally-dir", names).not_found());
}

// read_all reads into the caller's string with no bounce buffer and reuses it: whatever the string held before
// (longer, shorter, empty), it ends holding exactly the file, at sizes around the file-size guess.
TEST(PosixFileSystem, ReadAllGivesExactlyTheFileIntoAReusedString) {
  char pattern[] = "/tmp/tally-read-all-XXXXXX";
  ASSERT_NE(::mkdtemp(pattern), nullptr);
  FileSystem& fs = posix_file_system();
  std::string out = std::string(300000, 'x');  // longer than every file below
  std::mt19937 random(7);
  for (const std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{7}, std::size_t{65535},
                                 std::size_t{65536}, std::size_t{65537}, std::size_t{200001}, std::size_t{3}}) {
    std::string content(size, '\0');
    for (char& c : content) c = static_cast<char>(random());
    const std::string path = std::string(pattern) + "/f" + std::to_string(size);
    std::unique_ptr<AppendFile> file;
    ASSERT_TRUE(fs.open_append(path, file).ok());
    ASSERT_TRUE(file->append(content).ok());
    file.reset();
    ASSERT_TRUE(fs.read_all(path, out).ok());
    EXPECT_EQ(out, content) << size << " bytes";
    std::string fresh;
    ASSERT_TRUE(fs.read_all(path, fresh).ok());
    EXPECT_EQ(fresh, content) << size << " bytes into an empty string";
  }
  std::filesystem::remove_all(pattern);
}

// write_at writes where it is told, over existing bytes or past the end (a gap reads as zeros), never at the end
// by itself: what the WAL writer relies on to write over its zeroed room.
TEST(PosixFileSystem, PositionalWritesLandAtTheirOffset) {
  char pattern[] = "/tmp/tally-disk-test-XXXXXX";
  ASSERT_NE(::mkdtemp(pattern), nullptr);
  const std::string path = std::string(pattern) + "/file";
  FileSystem& fs = posix_file_system();
  {
    std::unique_ptr<PositionalFile> file;
    ASSERT_TRUE(fs.open_positional(path, file).ok());
    EXPECT_EQ(file->size(), 0u);
    ASSERT_TRUE(file->write_at(0, std::string(16, '\0')).ok());
    ASSERT_TRUE(file->write_at(4, "abcd").ok());
    EXPECT_EQ(file->size(), 16u);
    ASSERT_TRUE(file->write_at(20, "xy").ok());
    EXPECT_EQ(file->size(), 22u);
    ASSERT_TRUE(file->sync_data().ok());
  }
  std::unique_ptr<PositionalFile> again;
  ASSERT_TRUE(fs.open_positional(path, again).ok());
  EXPECT_EQ(again->size(), 22u) << "opening keeps the file";
  ASSERT_TRUE(again->truncate(8).ok());
  EXPECT_EQ(again->size(), 8u);
  std::string data;
  ASSERT_TRUE(fs.read_all(path, data).ok());
  EXPECT_EQ(data, std::string("\0\0\0\0abcd", 8));
  std::unique_ptr<PositionalFile> in_dir;
  const IoStatus refused = fs.open_positional(pattern, in_dir);
  EXPECT_FALSE(refused.ok());
  EXPECT_NE(refused.message().find(pattern), std::string::npos) << refused.message();
  std::filesystem::remove_all(pattern);
}

}  // namespace
}  // namespace tally::disk
