// The first CR or LF of a stretch of an HTTP head: the one search the edge's CRLF checks need per line
// (rest/http_request_parser.cpp, scan_head_bytes). 16 bytes per step where SSE2 is there (every x86-64), a plain
// loop elsewhere and for the tail.
#pragma once

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace tally::rest {

// The first '\r' or '\n' in [at, end), or end.
inline const char* find_line_break(const char* at, const char* end) {
#if defined(__SSE2__)
  const __m128i cr = _mm_set1_epi8('\r'), lf = _mm_set1_epi8('\n');
  for (; end - at >= 16; at += 16) {
    const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(at));
    const int hits = _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(bytes, cr), _mm_cmpeq_epi8(bytes, lf)));
    if (hits != 0) return at + __builtin_ctz(static_cast<unsigned>(hits));
  }
#endif
  for (; at < end; ++at)
    if (*at == '\r' || *at == '\n') return at;
  return end;
}

}  // namespace tally::rest
