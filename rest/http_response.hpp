// Whole HTTP/1.1 answers rendered into one buffer, so that each is one write: a pre-built status line, JSON
// content type (or the given one), Content-Length, the connection's fate, and Retry-After / Allow when given. No ostream.
#pragma once

#include <string>
#include <string_view>

#include "rest/api_error.hpp"

namespace tally::rest {

struct ResponseOptions {
  bool keep_alive = true;       // "Connection: keep-alive", else "Connection: close"
  int retry_after_seconds = 0;  // > 0 adds Retry-After
  std::string_view allow;       // non-empty adds Allow (405)
  bool head_only = false;       // an answer to HEAD: Content-Length of the body, but not the body
  std::string_view content_type;   // empty: "application/json"
  std::string_view extra_headers;  // whole header lines, each ending in "\r\n" (ETag, Cache-Control, ...)
};

inline constexpr std::string_view continue_response = "HTTP/1.1 100 Continue\r\n\r\n";

// "OK", "Not Found", ...; "Unknown" for a status this server never sends.
std::string_view reason_phrase(int status);

// The status must be a final one (200..599).
std::string render_response(int status, std::string_view body, const ResponseOptions& options);

// {"error":{"code":...,"message":...}} with the error's status.
std::string render_error(const ApiError& error, const ResponseOptions& options);

}  // namespace tally::rest
