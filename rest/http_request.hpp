// An HTTP request as the routes see it, and the small text rules of HTTP shared by the parser and the routes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/ascii.hpp"
#include "rest/api_error.hpp"

namespace tally::rest {

enum class HttpMethod : std::uint8_t { get, head, post, put, delete_, patch, options, other };

struct HttpHeaderField {
  std::string name;
  std::string value;
};

// One request as the routes see it. Only the headers the server uses are parsed out; up to
// limits::http_kept_header_count_max others are kept verbatim.
struct HttpRequest {
  HttpMethod method = HttpMethod::other;
  std::string_view method_name;  // as received, e.g. "PROPFIND" (static text)
  std::string target;            // the request-target as received: "/v1/user/1/balance?date=..."
  int version_minor = 1;         // HTTP/1.0 or HTTP/1.1; other versions never reach a route
  bool keep_alive = true;        // HTTP/1.1 unless "Connection: close"; HTTP/1.0 only with "keep-alive"
  bool expect_continue = false;  // "Expect: 100-continue" on an HTTP/1.1 request
  std::string host;
  std::string content_type;
  std::optional<std::string> idempotency_key;
  // The credentials (auth/): never logged. A plain string, so its buffer is reused by the connection's next request.
  std::string authorization;
  bool authorization_given = false;  // the header was present (maybe empty)
  std::vector<HttpHeaderField> other_headers;
  std::string body;

  std::string_view path() const;   // the target up to '?', not percent-decoded
  std::string_view query() const;  // after '?', raw; empty without one
  // A kept header by case-insensitive name (the first of repeats); nullopt if absent or not kept.
  std::optional<std::string_view> header(std::string_view name) const;
};

// The raw value of the first "name=value" pair of a query string ("" for a bare "name"), split on '&' only.
// Values are not percent-decoded here: the callers decode what they read.
std::optional<std::string_view> query_param(std::string_view query, std::string_view name);

// RFC 9110 tchar: the characters of a method or header name.
bool is_token_char(char c);
// The refusal of a line end other than CRLF, or of an obs-fold, in the head or a chunked body's trailer.
constexpr const char* crlf_message = "header lines must end in CRLF, without folding";

// Without the optional whitespace (SP, HTAB) around a field value or list element.
std::string_view trim_ows(std::string_view text);
// The refusal of a Transfer-Encoding list (its lines joined by ','), or no error for exactly "chunked": a list
// whose final coding is not chunked, or that names it twice, is malformed framing (400); another coding before a
// final chunked is unsupported (501).
ApiError transfer_coding_error(std::string_view list);

}  // namespace tally::rest
