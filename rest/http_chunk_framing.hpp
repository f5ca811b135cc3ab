// A chunked body's framing checked by RFC 9112 7.1's grammar at the edge itself, behind http_parser, which is
// lenient there (chunk extensions, bare CR or LF, the CRLF after a chunk's data).
#pragma once

#include <cstddef>
#include <cstdint>

namespace tally::rest::detail {

// A chunked body's framing by RFC 9112 7.1, which http_parser leaves unchecked where it is lenient: it skips
// chunk extensions up to the next CR whatever they hold (a NUL, an unterminated quoted string), takes any byte
// after a CR as its LF, and any two bytes after a chunk's data as its CRLF. Each of those lets a proxy in front
// see other chunk boundaries than this server, so each is refused:
//   chunk     = chunk-size [ chunk-ext ] CRLF chunk-data CRLF      chunk-size = 1*HEXDIG
//   chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )
//   chunk-ext-name = token;  chunk-ext-val = token / quoted-string
//   last-chunk = 1*("0") [ chunk-ext ] CRLF, then trailer field lines, each ending in CRLF, and a final CRLF.
// Fed exactly the bytes http_parser consumed in the body phase, starting with the head's final LF; time is linear
// and a chunk's data is skipped, not read.
class ChunkFramingCheck {
 public:
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);  // scan(): no bad byte
  void reset() { *this = ChunkFramingCheck(); }
  const char* problem() const { return problem_; }

  // The offset of the first byte that breaks the framing, or npos.
  std::size_t scan(const char* data, std::size_t size);

 private:
  enum class State : std::uint8_t {
    head_lf, size_start, size, ext_bws, ext_name_start, ext_name, ext_after_name, ext_value_start, ext_token,
    ext_quoted, ext_quoted_pair, ext_after_value, size_lf, data, data_cr, data_lf, trailer_start, trailer_line,
    trailer_lf, final_lf, done
  };

  bool bad(const char* problem) {
    problem_ = problem;
    return false;
  }

  static bool is_ws(char c) { return c == ' ' || c == '\t'; }
  // RFC 9110 5.6.4 qdtext and the second byte of a quoted-pair: HTAB, SP, visible ASCII, obs-text.
  static bool is_quoted_text(char c) {
    const auto u = static_cast<unsigned char>(c);
    return c == '\t' || c == ' ' || (u >= 0x21 && u != 0x7f);
  }

  bool end_of_size_line() {
    state_ = State::size_lf;
    return true;
  }

  bool step(char c);

  State state_ = State::head_lf;
  std::uint64_t size_ = 0;
  std::uint64_t remaining_ = 0;
  const char* problem_ = nullptr;
};

}  // namespace tally::rest::detail
