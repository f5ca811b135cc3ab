// Response rendering: an upper bound of the size is computed first, so each answer is written into a single
// allocation, piece by piece, without a capacity check per piece.
#include "rest/http_response.hpp"

#include <charconv>
#include <cstring>

#include "ledger/assert.hpp"
#include "rest/response_json.hpp"

namespace tally::rest {

namespace {

struct StatusLine {
  int status;
  std::string_view line;
};

// Every status the server sends, each with its complete status line.
constexpr StatusLine status_lines[] = {
    {200, "HTTP/1.1 200 OK\r\n"},
    {201, "HTTP/1.1 201 Created\r\n"},
    {304, "HTTP/1.1 304 Not Modified\r\n"},
    {400, "HTTP/1.1 400 Bad Request\r\n"},
    {401, "HTTP/1.1 401 Unauthorized\r\n"},
    {402, "HTTP/1.1 402 Payment Required\r\n"},
    {403, "HTTP/1.1 403 Forbidden\r\n"},
    {404, "HTTP/1.1 404 Not Found\r\n"},
    {405, "HTTP/1.1 405 Method Not Allowed\r\n"},
    {408, "HTTP/1.1 408 Request Timeout\r\n"},
    {409, "HTTP/1.1 409 Conflict\r\n"},
    {410, "HTTP/1.1 410 Gone\r\n"},
    {413, "HTTP/1.1 413 Content Too Large\r\n"},
    {414, "HTTP/1.1 414 URI Too Long\r\n"},
    {422, "HTTP/1.1 422 Unprocessable Content\r\n"},
    {431, "HTTP/1.1 431 Request Header Fields Too Large\r\n"},
    {500, "HTTP/1.1 500 Internal Server Error\r\n"},
    {501, "HTTP/1.1 501 Not Implemented\r\n"},
    {503, "HTTP/1.1 503 Service Unavailable\r\n"},
    {505, "HTTP/1.1 505 HTTP Version Not Supported\r\n"},
};

constexpr std::string_view status_prefix = "HTTP/1.1 ";
constexpr std::string_view line_end = "\r\n";
constexpr std::string_view content_type = "Content-Type: application/json\r\n";
constexpr std::string_view content_type_name = "Content-Type: ";
constexpr std::string_view content_length = "Content-Length: ";
constexpr std::string_view keep_alive = "Connection: keep-alive\r\n";
constexpr std::string_view close = "Connection: close\r\n";
constexpr std::string_view retry_after = "Retry-After: ";
constexpr std::string_view allow = "Allow: ";
constexpr std::size_t number_chars_max = 20;

std::string_view known_status_line(int status) {
  for (const StatusLine& known : status_lines) {
    if (known.status == status) return known.line;
  }
  return {};
}

// Writes an answer into a buffer already sized to an upper bound of it: one copy per piece and no capacity check
// per append (string::append's were half of rendering a PUT's answer).
class Cursor {
 public:
  explicit Cursor(char* at) : at_(at) {}
  Cursor& put(std::string_view text) {
    if (!text.empty()) std::memcpy(at_, text.data(), text.size());
    at_ += text.size();
    return *this;
  }
  Cursor& number(std::size_t value) {
    at_ = std::to_chars(at_, at_ + number_chars_max, value).ptr;
    return *this;
  }
  char* at() const { return at_; }

 private:
  char* at_;
};

}  // namespace

std::string_view reason_phrase(int status) {
  std::string_view line = known_status_line(status);
  if (line.empty()) return "Unknown";
  line.remove_prefix(status_prefix.size() + 4);  // "HTTP/1.1 200 "
  line.remove_suffix(line_end.size());
  return line;
}

std::string render_response(int status, std::string_view body, const ResponseOptions& options) {
  TALLY_ASSERT(status >= 200 && status <= 599, "a final status");
  TALLY_ASSERT(status != 304 || options.head_only, "a 304 never has a body");
  const std::string_view known = known_status_line(status);
  const std::size_t size = (known.empty() ? status_prefix.size() + 4 + 7 + line_end.size() : known.size()) +
                           content_type.size() + content_length.size() + number_chars_max + line_end.size() +
                           close.size() + retry_after.size() + number_chars_max + line_end.size() + allow.size() +
                           options.allow.size() + line_end.size() + line_end.size() +
                           (options.content_type.empty() ? 0 : options.content_type.size() + line_end.size()) +
                           options.extra_headers.size() + (options.head_only ? 0 : body.size());
  std::string out(size, '\0');
  Cursor cursor(out.data());
  if (known.empty()) {
    cursor.put(status_prefix).number(static_cast<std::size_t>(status)).put(" Unknown").put(line_end);
  } else {
    cursor.put(known);
  }
  if (options.content_type.empty()) {
    cursor.put(content_type);
  } else {
    cursor.put(content_type_name).put(options.content_type).put(line_end);
  }
  cursor.put(content_length).number(body.size()).put(line_end);
  cursor.put(options.keep_alive ? keep_alive : close);
  if (options.retry_after_seconds > 0) {
    cursor.put(retry_after).number(static_cast<std::size_t>(options.retry_after_seconds)).put(line_end);
  }
  if (!options.allow.empty()) cursor.put(allow).put(options.allow).put(line_end);
  cursor.put(options.extra_headers).put(line_end);
  if (!options.head_only) cursor.put(body);
  const std::size_t used = static_cast<std::size_t>(cursor.at() - out.data());
  TALLY_ASSERT(used <= size, "the answer fits the size computed for it");  // a bound: every piece at its most
  out.resize(used);
  return out;
}

std::string render_error(const ApiError& error, const ResponseOptions& options) {
  TALLY_ASSERT(error, "an error answer has an error");
  std::string body;
  append_error(body, error);
  return render_response(error.status, body, options);
}

}  // namespace tally::rest
