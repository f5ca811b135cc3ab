// TALLY_ASSERT(cond, message): an invariant of the code, checked in every build (NDEBUG or not). A failure is a
// bug, never bad input: it prints file:line, the condition and the message to stderr and aborts, because going on
// could acknowledge, persist or answer something false.
#pragma once

#include <cstdio>
#include <cstdlib>

namespace tally::detail {

[[noreturn]] inline void assert_failed(const char* condition, const char* message, const char* file,
                                       int line) noexcept {
  (void)std::fprintf(stderr, "%s:%d: invariant violated: %s (%s)\n", file, line, message, condition);
  (void)std::fflush(stderr);
  std::abort();
}

}  // namespace tally::detail

#define TALLY_ASSERT(cond, message)                                                 \
  (__builtin_expect(static_cast<bool>(cond), 1)                                      \
       ? static_cast<void>(0)                                                        \
       : ::tally::detail::assert_failed(#cond, message, __FILE__, __LINE__))
