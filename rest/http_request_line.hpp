// The request line checked by RFC 9112 3's grammar at the edge itself, ahead of http_parser, which is lenient
// there (extra spaces, a tab or obs-text in the target, HTTP/0.9) and stops at a method it does not know.
#pragma once

#include <cstddef>
#include <cstdint>

namespace tally::rest::detail {

// The request line by RFC 9112 3's grammar, strictly: method SP request-target SP HTTP-version CRLF, one space
// each, a target of visible ASCII, "HTTP/" DIGIT "." DIGIT. http_parser is lenient where RFC 9112 3 lets a
// recipient be ("GET  /x", "GET /x  HTTP/1.1", a tab or obs-text in the target) and reads "GET /x" without a
// version as HTTP/0.9; a proxy in front that splits the line differently would see another request, so all of
// these are 400 here. It also stops at the first byte of a method it does not know, before the line shows whether
// it is a request line at all: this check reads on, so that "HELLO" is 400, "BREW /x HTTP/1.1" 501 and the HTTP/2
// preface "PRI * HTTP/2.0" 505 (RFC 9113 3.4: it is made to be refused by an HTTP/1.1 server; the version is
// what this server cannot serve).
class RequestLineCheck {
 public:
  enum class Verdict : std::uint8_t { pending, complete, malformed, too_long };

  void reset() { *this = RequestLineCheck(); }
  bool finished() const { return verdict_ != Verdict::pending; }
  Verdict verdict() const { return verdict_; }
  bool started() const { return state_ != State::line_start && state_ != State::leading_lf; }  // a method byte came
  const char* problem() const { return problem_; }
  int major() const { return major_; }

  // Reads up to the end of the line (just past its LF) or to the first byte that breaks it; returns the bytes
  // read, so the bad byte (if any) is data[returned].
  std::size_t scan(const char* data, std::size_t size, std::size_t line_bytes_max);

 private:
  enum class State : std::uint8_t { line_start, leading_lf, method, target_start, target, version, major, dot, minor, cr, lf };

  bool bad(const char* problem) {
    problem_ = problem;
    return false;
  }

  bool step(char c);

  State state_ = State::line_start;
  Verdict verdict_ = Verdict::pending;
  std::size_t version_index_ = 0;
  std::size_t line_bytes_ = 0;  // from the method's first byte, CRLF excluded
  int major_ = 0;
  const char* problem_ = nullptr;
};

}  // namespace tally::rest::detail
