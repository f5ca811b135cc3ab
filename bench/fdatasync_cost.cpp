// fdatasync-cost: what one "write K bytes + fdatasync" costs when the file grows (the WAL segment today) against
// a file whose size does not change (pre-zeroed, PostgreSQL's way) and a fallocate'd file (unwritten extents).
// On ext4 a size change makes fdatasync write the inode and commit the journal; this measures how much that is.
// Standalone: no tallyd library; writes only under the scratch directory given, removes its files at the end.
//
//   tally-fdatasync-cost DIR [--calls N] [--rounds R]
//
// Per round, per K (200 B, 4 KiB, 64 KiB), the three modes run one after the other, their order reversed on every
// other round (A B C, C B A, ...), so a slow stretch of a shared machine lands on each mode in turn.
// Printed per run: fdatasync latency p50/p99 (µs); CPU per call of this thread inside fdatasync (RUSAGE_THREAD
// around each call); CPU per call of the whole process over the run (RUSAGE_SELF, write + fdatasync + loop).
// Journal commits done by jbd2 on behalf of the call are kernel threads: not in either figure.
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

constexpr int calls_default = 1000;
constexpr int calls_max = 100'000;
constexpr int rounds_default = 3;
constexpr int rounds_max = 20;
constexpr std::size_t write_sizes_bytes[] = {200, 4096, 65536};
constexpr std::size_t zero_fill_chunk_bytes = 1 << 20;

enum class Mode { growing, pre_zeroed, fallocated };
constexpr Mode modes[] = {Mode::growing, Mode::pre_zeroed, Mode::fallocated};

const char* mode_name(Mode mode) {
  switch (mode) {
    case Mode::growing: return "growing";
    case Mode::pre_zeroed: return "pre-zeroed";
    case Mode::fallocated: return "fallocated";
  }
  return "?";
}

[[noreturn]] void die(const char* what, const std::string& path) {
  std::fprintf(stderr, "fdatasync-cost: %s %s: %s\n", what, path.c_str(), std::strerror(errno));
  std::exit(1);
}

double cpu_micros(int who) {
  rusage usage{};
  getrusage(who, &usage);
  auto micros = [](const timeval& tv) { return tv.tv_sec * 1e6 + tv.tv_usec; };
  return micros(usage.ru_utime) + micros(usage.ru_stime);
}

void write_all(int fd, const char* data, std::size_t size, off_t offset, const std::string& path) {
  while (size > 0) {
    const ssize_t n = ::pwrite(fd, data, size, offset);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) die("pwrite", path);
    data += n;
    size -= static_cast<std::size_t>(n);
    offset += n;
  }
}

// The file each mode starts from, made durable before the timed calls so its setup is not measured.
int prepare_file(Mode mode, const std::string& path, std::size_t full_bytes) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) die("open", path);
  if (mode == Mode::pre_zeroed) {
    const std::vector<char> zeros(zero_fill_chunk_bytes, 0);
    for (std::size_t done = 0; done < full_bytes; done += zeros.size()) {
      write_all(fd, zeros.data(), std::min(zeros.size(), full_bytes - done), static_cast<off_t>(done), path);
    }
  } else if (mode == Mode::fallocated) {
    if (::fallocate(fd, 0, 0, static_cast<off_t>(full_bytes)) != 0) die("fallocate", path);
  }
  if (::fsync(fd) != 0) die("fsync", path);
  return fd;
}

struct RunResult {
  double p50_micros = 0;
  double p99_micros = 0;
  double sync_cpu_micros_per_call = 0;
  double process_cpu_micros_per_call = 0;
};

double percentile(std::vector<double>& sorted, double fraction) {
  const std::size_t at = static_cast<std::size_t>(fraction * static_cast<double>(sorted.size() - 1));
  return sorted[at];
}

RunResult run(Mode mode, const std::string& dir, std::size_t write_bytes, int calls) {
  const std::string path = dir + "/fdatasync-cost.scratch";
  const int fd = prepare_file(mode, path, write_bytes * static_cast<std::size_t>(calls));
  const std::vector<char> payload(write_bytes, 'w');
  std::vector<double> latencies;
  latencies.reserve(static_cast<std::size_t>(calls));
  double sync_cpu = 0;
  const double process_start = cpu_micros(RUSAGE_SELF);
  for (int i = 0; i < calls; ++i) {
    write_all(fd, payload.data(), write_bytes, static_cast<off_t>(write_bytes * static_cast<std::size_t>(i)), path);
    const double cpu_before = cpu_micros(RUSAGE_THREAD);
    const auto start = std::chrono::steady_clock::now();
    if (::fdatasync(fd) != 0) die("fdatasync", path);
    const auto end = std::chrono::steady_clock::now();
    sync_cpu += cpu_micros(RUSAGE_THREAD) - cpu_before;
    latencies.push_back(std::chrono::duration<double, std::micro>(end - start).count());
  }
  const double process_cpu = cpu_micros(RUSAGE_SELF) - process_start;
  ::close(fd);
  ::unlink(path.c_str());
  std::sort(latencies.begin(), latencies.end());
  return {percentile(latencies, 0.5), percentile(latencies, 0.99), sync_cpu / calls, process_cpu / calls};
}

int parse_bounded(const char* text, int max, const char* name) {
  const int value = std::atoi(text);
  if (value < 1 || value > max) {
    std::fprintf(stderr, "fdatasync-cost: %s must be 1..%d\n", name, max);
    std::exit(2);
  }
  return value;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s DIR [--calls N] [--rounds R]\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  int calls = calls_default;
  int rounds = rounds_default;
  for (int i = 2; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--calls") == 0) calls = parse_bounded(argv[i + 1], calls_max, "--calls");
    else if (std::strcmp(argv[i], "--rounds") == 0) rounds = parse_bounded(argv[i + 1], rounds_max, "--rounds");
    else return std::fprintf(stderr, "fdatasync-cost: unknown option %s\n", argv[i]), 2;
  }
  std::printf("round\twrite_bytes\tmode\tp50_us\tp99_us\tsync_cpu_us_per_call\tprocess_cpu_us_per_call\n");
  for (int round = 1; round <= rounds; ++round) {
    for (const std::size_t write_bytes : write_sizes_bytes) {
      std::vector<Mode> order(std::begin(modes), std::end(modes));
      if (round % 2 == 0) std::reverse(order.begin(), order.end());
      for (const Mode mode : order) {
        const RunResult r = run(mode, dir, write_bytes, calls);
        std::printf("%d\t%zu\t%s\t%.1f\t%.1f\t%.2f\t%.2f\n", round, write_bytes, mode_name(mode), r.p50_micros,
                    r.p99_micros, r.sync_cpu_micros_per_call, r.process_cpu_micros_per_call);
        std::fflush(stdout);
      }
    }
  }
  return 0;
}
