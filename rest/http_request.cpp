// HttpRequest accessors and the shared HTTP text rules.
#include "rest/http_request.hpp"

#include <cstring>

namespace tally::rest {

bool is_token_char(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return c != 0 && std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

std::string_view trim_ows(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

ApiError transfer_coding_error(std::string_view list) {
  int chunked = 0;
  bool other = false;
  std::string_view last;  // the final coding: RFC 9112 6.3 frames a request body only when it is chunked
  while (true) {
    const std::size_t comma = list.find(',');
    const std::string_view coding = trim_ows(list.substr(0, comma));
    if (equals_ignoring_case(coding, "chunked")) {
      ++chunked;
    } else if (!coding.empty()) {
      other = true;
    }
    if (!coding.empty()) last = coding;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  // Framing first: without chunked last (or with it twice) the body's end is unknown, and RFC 9112 6.3 requires
  // 400 and a close, whatever else the list names.
  if (!equals_ignoring_case(last, "chunked")) {
    return {400, "malformed_request", "chunked must be the final transfer coding, and is the only one supported"};
  }
  if (chunked != 1) return {400, "malformed_request", "Transfer-Encoding must name chunked exactly once"};
  // chunked is last: the framing is known, another coding before it is one this server does not implement.
  if (other) return {501, "unsupported_transfer_coding", "only the chunked transfer coding is supported"};
  return {};
}

std::string_view HttpRequest::path() const {
  const std::string_view all = target;
  return all.substr(0, all.find('?'));
}

std::string_view HttpRequest::query() const {
  const std::string_view all = target;
  const std::size_t mark = all.find('?');
  return mark == std::string_view::npos ? std::string_view{} : all.substr(mark + 1);
}

std::optional<std::string_view> HttpRequest::header(std::string_view name) const {
  for (const HttpHeaderField& field : other_headers) {
    if (equals_ignoring_case(field.name, name)) return std::string_view(field.value);
  }
  return std::nullopt;
}

std::optional<std::string_view> query_param(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    const std::size_t eq = pair.find('=');
    if (pair.substr(0, eq) == name) {
      return eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

}  // namespace tally::rest
