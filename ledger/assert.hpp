// TALLY_ASSERT(condition, "why"): the project's one assertion idiom. It states an invariant where the data is
// (a count against the frames given, a position that only grows, totals a footer promises) and checks it in
// every build, release included: a failed check prints file:line, the condition and why to stderr and aborts,
// because carrying on would write or acknowledge data the code no longer understands. Keep conditions cheap
// (a comparison, a loop over what is being written anyway): they stay on. Not for input checks: bad bytes
// from disk or the network are reported (disk::IoStatus, Outcome), never asserted.
#pragma once

#include <cstdio>
#include <cstdlib>

namespace tally::detail {

[[noreturn]] [[gnu::cold]] [[gnu::noinline]] inline void assert_failed(const char* condition, const char* why,
                                                                       const char* file, int line) {
  // Nothing to do if stderr is gone: abort regardless.
  static_cast<void>(std::fprintf(stderr, "%s:%d: invariant violated: %s (%s)\n", file, line, why, condition));
  static_cast<void>(std::fflush(stderr));
  std::abort();
}

}  // namespace tally::detail

#define TALLY_ASSERT(condition, why)                                                \
  (__builtin_expect(static_cast<bool>(condition), 1)                                \
       ? static_cast<void>(0)                                                       \
       : ::tally::detail::assert_failed(#condition, why, __FILE__, __LINE__))
