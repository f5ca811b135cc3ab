// The design's bytes floor (issue 15): loopback TCP for one 1,000-item batch, with nothing else done. A client
// thread sends the request (a head plus items x request bytes), a server thread receives it in tallyd's read size
// (Pistache's 4 KiB) and sends the answer (items x answer bytes, one send as tallyd's write does), the client
// receives it. Each thread's CPU (getrusage RUSAGE_THREAD: user + system) divided by the items: the server's is
// the floor inside tallyd's budget, the client's is the load generator's. No timing is asserted.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

struct Options {
  std::size_t items = 1000;
  std::size_t request_bytes = 86;   // a loadgen batch item (10% backdated), bench/README.md "Floors"
  std::size_t answer_bytes = 163;   // tallyd's answer per item for such an item, measured on a live tallyd
  std::size_t read_bytes = 4096;    // Pistache's Const::MaxBuffer: the size of tallyd's recv
  int batches = 2000;
};

struct ThreadCpu {
  double user_us = 0;
  double system_us = 0;
};

ThreadCpu thread_cpu() {
  rusage usage{};
  getrusage(RUSAGE_THREAD, &usage);
  return {usage.ru_utime.tv_sec * 1e6 + usage.ru_utime.tv_usec, usage.ru_stime.tv_sec * 1e6 + usage.ru_stime.tv_usec};
}

void send_all(int fd, const std::string& bytes) {
  for (std::size_t done = 0; done < bytes.size();) {
    const ssize_t n = ::send(fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n <= 0) std::perror("send"), std::exit(1);
    done += static_cast<std::size_t>(n);
  }
}

void receive_exactly(int fd, std::size_t total, std::vector<char>& buffer) {
  for (std::size_t done = 0; done < total;) {
    const ssize_t n = ::recv(fd, buffer.data(), buffer.size(), 0);
    if (n <= 0) std::perror("recv"), std::exit(1);
    done += static_cast<std::size_t>(n);
  }
}

void serve(int fd, const Options& o, std::size_t request_size, ThreadCpu& spent) {
  const std::string answer(o.items * o.answer_bytes + 80, 'a');  // + an answer head
  std::vector<char> buffer(o.read_bytes);
  const ThreadCpu before = thread_cpu();
  for (int b = 0; b < o.batches; ++b) {
    receive_exactly(fd, request_size, buffer);
    send_all(fd, answer);
  }
  const ThreadCpu after = thread_cpu();
  spent = {after.user_us - before.user_us, after.system_us - before.system_us};
}

void connected_pair(int& client, int& server) {
  const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || ::listen(listener, 1) != 0 ||
      ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    std::perror("listen"), std::exit(1);
  }
  client = ::socket(AF_INET, SOCK_STREAM, 0);
  if (::connect(client, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) std::perror("connect"), std::exit(1);
  server = ::accept(listener, nullptr, nullptr);
  ::close(listener);
  const int on = 1;
  ::setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
  ::setsockopt(server, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const std::size_t value = std::strtoull(argv[i + 1], nullptr, 10);
    if (flag == "--items" && value > 0) o.items = value;
    else if (flag == "--request-bytes") o.request_bytes = value;
    else if (flag == "--answer-bytes") o.answer_bytes = value;
    else if (flag == "--read-bytes" && value > 0) o.read_bytes = value;
    else if (flag == "--batches" && value > 0) o.batches = static_cast<int>(value);
    else {
      std::fprintf(stderr, "usage: %s [--items N] [--request-bytes N] [--answer-bytes N] [--read-bytes N] [--batches N]\n",
                   argv[0]);
      std::exit(2);
    }
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  int client = -1, server = -1;
  connected_pair(client, server);
  const std::string request(o.items * o.request_bytes + 120, 'r');  // + a request head
  ThreadCpu server_cpu;
  std::thread server_thread(serve, server, std::cref(o), request.size(), std::ref(server_cpu));
  std::vector<char> buffer(1 << 16);
  const ThreadCpu before = thread_cpu();
  for (int b = 0; b < o.batches; ++b) {
    send_all(client, request);
    receive_exactly(client, o.items * o.answer_bytes + 80, buffer);
  }
  const ThreadCpu after = thread_cpu();
  server_thread.join();
  const double items = static_cast<double>(o.items) * o.batches;
  std::printf("# loopback TCP: %d batches of %zu items, %zu B/item in, %zu B/item out, reads of %zu B\n", o.batches,
              o.items, o.request_bytes, o.answer_bytes, o.read_bytes);
  std::printf("server (tallyd side) cpu/item %6.3f us  (user %6.3f, sys %6.3f)\n",
              (server_cpu.user_us + server_cpu.system_us) / items, server_cpu.user_us / items,
              server_cpu.system_us / items);
  std::printf("client (loadgen side) cpu/item %6.3f us  (user %6.3f, sys %6.3f)\n",
              (after.user_us - before.user_us + after.system_us - before.system_us) / items,
              (after.user_us - before.user_us) / items, (after.system_us - before.system_us) / items);
  ::close(client);
  ::close(server);
  return 0;
}
