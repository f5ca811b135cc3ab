// tally-loadgen: the epoll loop of one measuring thread: non-blocking connects, one request in flight per
// keep-alive connection, Content-Length framing, reconnects, and the open-loop timeline.
#include "engine.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>

#include "http_response.hpp"

namespace loadgen {

namespace {

constexpr uint64_t kRetryNs = 50000000;  // wait 50 ms before reconnecting after a failed connect

struct Conn {
  enum State { closed, connecting, idle, busy };
  int fd = -1;
  State st = closed;
  std::string req;
  std::size_t woff = 0;
  std::string rbuf;
  bool head_known = false;
  ResponseHead head;
  ReqMeta meta;
  uint64_t sched_ns = 0;
  bool in_window = false;
  uint64_t idle_since = 0;  // open loop: a send due after this that still went late is the client's fault
  bool want_out = false;  // EPOLLOUT is being watched (a request did not fit in the socket buffer)
  uint64_t retry_at = 0;
};

class Engine {
 public:
  Engine(const RunSpec& spec, Source& src)
      : spec_(spec), src_(src), conns_(static_cast<std::size_t>(spec.connections)), closed_(conns_.size()) {
    std::memset(&addr_, 0, sizeof addr_);
    addr_.sin_family = AF_INET;
    addr_.sin_port = htons(static_cast<uint16_t>(spec.port));
    inet_pton(AF_INET, spec.host.c_str(), &addr_.sin_addr);
    ep_ = epoll_create1(EPOLL_CLOEXEC);
    if (spec_.rate > 0) interval_ns_ = 1e9 / spec_.rate;
  }
  ~Engine() {
    for (Conn& c : conns_)
      if (c.fd >= 0) close(c.fd);
    if (ep_ >= 0) close(ep_);
  }

  Stats run();

 private:
  void open_conn(std::size_t i, uint64_t now);
  void close_conn(std::size_t i, uint64_t now, uint64_t retry_delay);
  void fail_conn(std::size_t i, uint64_t now, const char* what, int err);
  void send_request(std::size_t i, uint64_t sched, uint64_t now);
  void flush(std::size_t i, uint64_t now);
  void on_event(std::size_t i, uint32_t events, uint64_t now);
  void try_complete(std::size_t i, uint64_t now);
  void wait(uint64_t timeout_ns);
  uint64_t sched_of(uint64_t k) const {
    uint64_t step = static_cast<uint64_t>(std::llround(static_cast<double>(k) * interval_ns_));
    return spec_.start_ns + spec_.offset_ns + step;
  }
  void watch(std::size_t i, int op, uint32_t events) {
    epoll_event ev{};
    ev.events = events | EPOLLRDHUP;
    ev.data.u64 = i;
    epoll_ctl(ep_, op, conns_[i].fd, &ev);
  }
  void make_idle(std::size_t i, uint64_t now) {
    conns_[i].st = Conn::idle;
    conns_[i].idle_since = now;
    idle_.push_back(i);
    ++idle_count_;
  }

  const RunSpec& spec_;
  Source& src_;
  std::vector<Conn> conns_;
  sockaddr_in addr_;
  int ep_ = -1;
  double interval_ns_ = 0;
  std::vector<std::size_t> idle_;  // may hold stale entries; idle_count_ is exact
  std::size_t idle_count_ = 0;
  std::size_t inflight_ = 0;
  std::size_t closed_;  // connections waiting to be (re)opened
  bool exhausted_ = false;
  Stats st_;
};

void Engine::open_conn(std::size_t i, uint64_t now) {
  Conn& c = conns_[i];
  c = Conn{};
  --closed_;
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    fail_conn(i, now, "socket", errno);
    return;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  c.fd = fd;
  c.st = Conn::connecting;
  watch(i, EPOLL_CTL_ADD, EPOLLOUT);  // level-triggered: writable once the connect is done
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr_), sizeof addr_) < 0 && errno != EINPROGRESS)
    fail_conn(i, now, "connect", errno);
}

void Engine::close_conn(std::size_t i, uint64_t now, uint64_t retry_delay) {
  Conn& c = conns_[i];
  if (c.st == Conn::idle) --idle_count_;
  if (c.st == Conn::busy) --inflight_;
  if (c.fd >= 0) close(c.fd);  // closing also removes it from the epoll set
  c.fd = -1;
  c.st = Conn::closed;
  ++closed_;
  c.retry_at = now + retry_delay;
}

void Engine::fail_conn(std::size_t i, uint64_t now, const char* what, int err) {
  Conn& c = conns_[i];
  ++st_.sock_errors;
  if (st_.first_sock_error.empty()) {
    st_.first_sock_error = std::string(what) + ": " + (err ? std::strerror(err) : "connection closed by server");
    if (c.st == Conn::busy) st_.first_sock_error += " while waiting for: " + excerpt(c.req);
  }
  close_conn(i, now, kRetryNs);
}

void Engine::send_request(std::size_t i, uint64_t sched, uint64_t now) {
  Conn& c = conns_[i];
  c.req.clear();
  c.woff = 0;
  if (!src_.next(c.req, c.meta)) {
    exhausted_ = true;
    return;
  }
  c.st = Conn::busy;
  --idle_count_;
  ++inflight_;
  c.sched_ns = sched;
  c.head_known = false;
  c.in_window = sched >= spec_.window_start_ns;
  if (c.in_window) {
    ++st_.sent;
    st_.items_sent += static_cast<uint64_t>(c.meta.items);
    if (spec_.rate > 0 && now - sched > spec_.late_ns) {
      ++st_.late;
      if (c.idle_since <= sched) ++st_.late_client;  // a connection was free: this process woke up late
    }
  }
  flush(i, now);
}

void Engine::flush(std::size_t i, uint64_t now) {
  Conn& c = conns_[i];
  while (c.woff < c.req.size()) {
    ssize_t n = ::send(c.fd, c.req.data() + c.woff, c.req.size() - c.woff, MSG_NOSIGNAL);
    if (n > 0) {
      c.woff += static_cast<std::size_t>(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!c.want_out) {
        c.want_out = true;
        watch(i, EPOLL_CTL_MOD, EPOLLIN | EPOLLOUT);
      }
      return;
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      fail_conn(i, now, "send", errno);
      return;
    }
  }
  if (c.want_out) {
    c.want_out = false;
    watch(i, EPOLL_CTL_MOD, EPOLLIN);
  }
}

void Engine::try_complete(std::size_t i, uint64_t now) {
  Conn& c = conns_[i];
  if (!c.head_known) {
    std::string err;
    ParseResult r = parse_response_head(c.rbuf, c.head, err);
    if (r == ParseResult::need_more) return;
    if (r == ParseResult::error) {
      set_fatal(err + " (request: " + excerpt(c.req, 200) + ")");
      close_conn(i, now, 0);
      return;
    }
    c.head_known = true;
  }
  std::size_t total = c.head.head_len + c.head.body_len;
  if (c.rbuf.size() < total) return;
  std::string_view body(c.rbuf.data() + c.head.head_len, c.head.body_len);
  int status = c.head.status;
  if (now >= spec_.window_start_ns && now <= spec_.end_ns) {
    ++st_.completed_in_window;
    if (status >= 200 && status < 300) st_.items_in_window += static_cast<uint64_t>(c.meta.items);
  }
  if (c.in_window) {
    std::size_t slot = SIZE_MAX;
    if (spec_.slot_ns && now >= spec_.window_start_ns)
      slot = static_cast<std::size_t>((now - spec_.window_start_ns) / spec_.slot_ns);
    st_.record_answer(status, now - c.sched_ns, slot, c.req, body, spec_.count_items);
  }
  src_.on_response(c.meta, status, body);
  bool leftover = c.rbuf.size() > total;
  c.rbuf.clear();
  --inflight_;
  c.st = Conn::idle;
  c.idle_since = now;
  ++idle_count_;
  if (leftover) {
    set_fatal("server sent bytes after a complete response (pipelining is not used)");
    close_conn(i, now, 0);
  } else if (c.head.close) {
    ++st_.reconnects;
    close_conn(i, now, 0);
  } else {
    idle_.push_back(i);
  }
}

void Engine::on_event(std::size_t i, uint32_t events, uint64_t now) {
  Conn& c = conns_[i];
  if (c.fd < 0) return;
  if (c.st == Conn::connecting) {
    if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) return;
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0 || (events & (EPOLLERR | EPOLLHUP))) {
      fail_conn(i, now, "connect", err ? err : ECONNREFUSED);
      return;
    }
    watch(i, EPOLL_CTL_MOD, EPOLLIN);
    make_idle(i, now);
    return;
  }
  if ((events & EPOLLOUT) && c.st == Conn::busy && c.woff < c.req.size()) {
    flush(i, now);
    if (c.fd < 0) return;
  }
  if (!(events & (EPOLLIN | EPOLLRDHUP | EPOLLERR | EPOLLHUP))) return;
  char buf[65536];
  bool eof = false;
  int read_err = 0;
  for (;;) {  // level-triggered: one recv is enough unless it filled the buffer
    ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
    if (n > 0) {
      c.rbuf.append(buf, static_cast<std::size_t>(n));
      if (static_cast<std::size_t>(n) == sizeof buf) continue;
      break;
    }
    if (n == 0) eof = true;
    else if (errno == EINTR) continue;
    else if (errno != EAGAIN && errno != EWOULDBLOCK) read_err = errno;
    break;
  }
  if (c.st == Conn::busy) try_complete(i, now);
  else if (!c.rbuf.empty() && c.st == Conn::idle) {
    set_fatal("server sent bytes on an idle connection: " + excerpt(c.rbuf, 200));
    close_conn(i, now, 0);
    return;
  }
  if (c.fd < 0) return;
  if (eof || read_err) {
    if (c.st == Conn::busy) {
      fail_conn(i, now, "recv", read_err);
    } else {
      ++st_.reconnects;  // the server closed an idle keep-alive connection: not an error
      close_conn(i, now, 0);
    }
  }
}

void Engine::wait(uint64_t timeout_ns) {
  epoll_event evs[256];
  timespec ts;
  ts.tv_sec = static_cast<time_t>(timeout_ns / 1000000000ull);
  ts.tv_nsec = static_cast<long>(timeout_ns % 1000000000ull);
  int n = epoll_pwait2(ep_, evs, 256, &ts, nullptr);
  if (n < 0 && errno == ENOSYS) n = epoll_wait(ep_, evs, 256, static_cast<int>((timeout_ns + 999999) / 1000000));
  uint64_t now = mono_ns();
  for (int k = 0; k < n; ++k) on_event(static_cast<std::size_t>(evs[k].data.u64), evs[k].events, now);
}

Stats Engine::run() {
  uint64_t now = mono_ns();
  for (std::size_t i = 0; i < conns_.size(); ++i) open_conn(i, now);
  const bool open_loop = spec_.rate > 0;
  uint64_t next_k = 0;
  for (;;) {
    now = mono_ns();
    if (g_stop.load(std::memory_order_relaxed)) break;
    bool sending = now < spec_.end_ns && !exhausted_;
    if (!sending && (inflight_ == 0 || now >= spec_.grace_end_ns)) break;
    uint64_t deadline = sending ? spec_.end_ns : spec_.grace_end_ns;
    if (sending) {
      for (std::size_t i = 0; closed_ > 0 && i < conns_.size(); ++i) {
        Conn& c = conns_[i];
        if (c.st == Conn::closed) {
          if (c.retry_at <= now) open_conn(i, now);
          else deadline = std::min(deadline, c.retry_at);
        }
      }
      if (now < spec_.start_ns) {
        deadline = std::min(deadline, spec_.start_ns);
      } else {
        while (idle_count_ > 0 && !exhausted_) {
          std::size_t i = idle_.back();
          idle_.pop_back();
          if (conns_[i].st != Conn::idle) continue;  // stale entry
          if (open_loop) {
            uint64_t sched = sched_of(next_k);
            if (sched > now) {
              idle_.push_back(i);
              deadline = std::min(deadline, sched);
              break;
            }
            ++next_k;
            send_request(i, sched, now);
          } else {
            send_request(i, now, now);
          }
        }
      }
    }
    now = mono_ns();
    wait(deadline > now ? deadline - now : 0);
  }
  if (open_loop) {
    uint64_t first = spec_.start_ns + spec_.offset_ns;
    uint64_t due = spec_.end_ns > first
                       ? static_cast<uint64_t>(std::ceil(static_cast<double>(spec_.end_ns - first) / interval_ns_))
                       : 0;
    st_.dropped = due > next_k ? due - next_k : 0;
  }
  st_.unfinished = inflight_;
  return std::move(st_);
}

}  // namespace

Stats run_engine(const RunSpec& spec, Source& source) {
  Engine e(spec, source);
  return e.run();
}

}  // namespace loadgen
