// The design's CAF floor (issue 15): the CPU cost of one message to an idle actor plus its turn (a behaviour
// that only counts), sent from a thread CAF does not own (as tallyd's HTTP thread sends), to N actors addressed
// at random; and the cost of spawning an actor and of its first message (tallyd's cold user, spawned lazy_init).
// CAF is configured as app/main.cpp's configure_actors does (scheduler.max-threads = tallyd's actor threads,
// 1 on 2 cores; an idle worker blocks at once). CPU = the process's utime + stime (getrusage) over a phase,
// divided by the messages (or actors) of that phase, each round sent both with anon_send and through tallyd's own
// BatchTurns (actors/batch_turns.hpp). No timing is asserted: the program prints, that is all.
#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include <caf/all.hpp>

#include "actors/batch_turns.hpp"

namespace {

std::atomic<std::uint64_t> turns_done{0};  // every turn adds one: how the sender knows its messages were handled

caf::behavior idle_user(caf::event_based_actor* /*self*/) {
  return {[](int) { turns_done.fetch_add(1, std::memory_order_relaxed); }};
}

struct Cpu {
  double user_s = 0;
  double system_s = 0;
};

Cpu process_cpu() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return {usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6, usage.ru_stime.tv_sec + usage.ru_stime.tv_usec / 1e6};
}

void wait_for_turns(std::uint64_t target) {
  while (turns_done.load(std::memory_order_relaxed) < target) std::this_thread::sleep_for(std::chrono::microseconds(200));
}

void report(const char* phase, const Cpu& before, std::size_t count) {
  const Cpu after = process_cpu();
  const double user_us = (after.user_s - before.user_s) * 1e6 / static_cast<double>(count);
  const double system_us = (after.system_s - before.system_s) * 1e6 / static_cast<double>(count);
  std::printf("%-34s %9zu  cpu/op %6.3f us  (user %6.3f, sys %6.3f)\n", phase, count, user_us + system_us, user_us,
              system_us);
  std::fflush(stdout);
}

std::uint64_t next_random(std::uint64_t& state) {  // xorshift64: cheap, so the sender's own cost stays small
  state ^= state << 13;
  state ^= state >> 7;
  state ^= state << 17;
  return state;
}

// As a batch does: one message per distinct user, `count` users at a time, the next group once these turns ran
// (each actor is idle when its message comes): a random permutation of the actors, dealt out in groups.
class Dealer {
 public:
  explicit Dealer(std::size_t actors) : order_(actors), dealt_(actors) {
    for (std::size_t i = 0; i < order_.size(); ++i) order_[i] = static_cast<std::uint32_t>(i);
  }
  const std::uint32_t* next(std::size_t count) {
    if (dealt_ + count > order_.size()) {  // reshuffle (Fisher-Yates); counted: ~ns per actor
      for (std::size_t i = order_.size() - 1; i > 0; --i) std::swap(order_[i], order_[next_random(state_) % (i + 1)]);
      dealt_ = 0;
    }
    dealt_ += count;
    return order_.data() + dealt_ - count;
  }

 private:
  std::vector<std::uint32_t> order_;
  std::size_t dealt_;
  std::uint64_t state_ = 0x9e3779b97f4a7c15ull;
};

// anon_send: CAF schedules each actor the send readies on its own. Through BatchTurns: tallyd's batch path
// (ledger_service.cpp's apply_batch) — the sends collect the readied actors, hand_to_workers schedules them as
// jobs of up to 64 turns (no prefetch hook here: the behaviour reads nothing).
void send_group(caf::actor_system& system, const std::vector<caf::actor>& actors, const std::uint32_t* ids,
                std::size_t count, bool through_batch_turns) {
  if (!through_batch_turns) {
    for (std::size_t k = 0; k < count; ++k) caf::anon_send(actors[ids[k]], 1);
    return;
  }
  tally::BatchTurns turns(system);
  for (std::size_t k = 0; k < count; ++k) {
    caf::actor_cast<caf::abstract_actor*>(actors[ids[k]])
        ->enqueue(caf::make_mailbox_element(nullptr, caf::make_message_id(), {}, 1), &turns);
  }
  turns.hand_to_workers();
}

struct Options {
  std::size_t actors = 2000;
  std::size_t messages = 200000;
  int rounds = 3;
  std::size_t threads = 1;  // tallyd's default on 2 cores: half the cores, at least 1
  std::size_t group = 1000;  // distinct actors sent to before waiting for their turns (a 1,000-item batch's users)
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const std::size_t value = std::strtoull(argv[i + 1], nullptr, 10);
    if (flag == "--actors") o.actors = value;
    else if (flag == "--messages") o.messages = value;
    else if (flag == "--rounds") o.rounds = static_cast<int>(value);
    else if (flag == "--threads") o.threads = value;
    else if (flag == "--group" && value > 0) o.group = value;
    else {
      std::fprintf(stderr, "usage: %s [--actors N] [--messages N] [--rounds N] [--threads N] [--group N]\n", argv[0]);
      std::exit(2);
    }
  }
  return o;
}

void run(caf::actor_system& system, const Options& o) {
  std::vector<caf::actor> actors;
  actors.reserve(o.actors);
  Cpu before = process_cpu();
  for (std::size_t i = 0; i < o.actors; ++i) actors.push_back(system.spawn<caf::lazy_init>(idle_user));
  report("spawn (lazy_init)", before, o.actors);

  std::uint64_t sent = 0;
  before = process_cpu();
  for (const caf::actor& actor : actors) caf::anon_send(actor, 1);  // each actor's first turn: its behaviour made
  sent += actors.size();
  wait_for_turns(sent);
  report("first message (in spawn order)", before, actors.size());

  Dealer dealer(actors.size());
  for (int round = 0; round < o.rounds; ++round) {
    for (const bool through_batch_turns : {false, true}) {  // alternating, same process: a same-run comparison
      before = process_cpu();
      for (std::size_t m = 0; m < o.messages;) {
        const std::size_t count = std::min(o.group, o.messages - m);
        send_group(system, actors, dealer.next(count), count, through_batch_turns);
        m += count;
        sent += count;
        wait_for_turns(sent);
      }
      report((std::string(through_batch_turns ? "  ... via tallyd's BatchTurns #" : "message to a random idle actor #") +
              std::to_string(round + 1)).c_str(), before, o.messages);
    }
  }
  for (const caf::actor& actor : actors) caf::anon_send_exit(actor, caf::exit_reason::user_shutdown);
}

}  // namespace

int main(int argc, char** argv) {
  Options o = parse(argc, argv);
  o.group = std::min(o.group, o.actors);
  caf::actor_system_config config;
  config.set("scheduler.max-threads", o.threads);
  config.set("work-stealing.aggressive-poll-attempts", std::size_t{1});
  config.set("work-stealing.moderate-poll-attempts", std::size_t{0});
  caf::actor_system system{config};
  std::printf("# CAF floor: %zu actors, %zu messages a round, %zu scheduler thread(s)\n", o.actors, o.messages,
              o.threads);
  run(system, o);
  return 0;
}
