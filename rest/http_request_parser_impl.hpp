// The request parser's insides shared by its two files (not part of its interface; include only from
// rest/http_request_parser.cpp and rest/http_request_feed.cpp): the http_parser state kept out of the public header,
// and the error answers both the callbacks and the feed give.
#pragma once

#include <http_parser.h>

#include <cstddef>
#include <string>

#include "rest/api_error.hpp"
#include "rest/http_chunk_framing.hpp"
#include "rest/http_request_line.hpp"
#include "rest/http_request_parser.hpp"

namespace tally::rest {

namespace parser_detail {

constexpr std::size_t npos = static_cast<std::size_t>(-1);

inline ApiError malformed(std::string message) { return {400, "malformed_request", std::move(message)}; }

inline ApiError headers_too_large(std::size_t bytes, std::size_t count) {
  return {431, "headers_too_large",
          "the header section is limited to " + std::to_string(bytes) + " bytes and " + std::to_string(count) +
              " fields"};
}

inline ApiError uri_too_long(std::size_t bytes) {
  return {414, "uri_too_long", "the request line is limited to " + std::to_string(bytes) + " bytes"};
}

inline ApiError body_too_large(std::size_t bytes) {
  return {413, "body_too_large", "the body is larger than " + std::to_string(bytes) + " bytes"};
}

}  // namespace parser_detail

struct HttpRequestParser::Impl {
  http_parser parser{};
  http_parser_settings settings{};
  const char* input = nullptr;   // the buffer of the running http_parser_execute
  std::size_t head_base = 0;     // head_bytes_ before that call
  Event paused_for = Event::need_more;
  detail::RequestLineCheck line;     // the message's request line, read ahead of http_parser
  detail::ChunkFramingCheck chunks;  // a chunked body's framing, read behind http_parser
};

}  // namespace tally::rest
