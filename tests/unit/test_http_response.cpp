// render_response / render_error: the exact bytes of an answer, one buffer per answer.
#include <gtest/gtest.h>

#include <string>

#include "rest/http_response.hpp"

namespace tally::rest {
namespace {

TEST(HttpResponse, RendersStatusHeadersAndBody) {
  EXPECT_EQ(render_response(200, "{\"a\":1}", {}),
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 7\r\n"
            "Connection: keep-alive\r\n\r\n{\"a\":1}");
}

TEST(HttpResponse, ClosingAnswerSaysSo) {
  ResponseOptions options;
  options.keep_alive = false;
  EXPECT_EQ(render_response(201, "", options),
            "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: 0\r\n"
            "Connection: close\r\n\r\n");
}

TEST(HttpResponse, RetryAfterAndAllow) {
  ResponseOptions retry;
  retry.retry_after_seconds = 1;
  EXPECT_NE(render_response(503, "{}", retry).find("\r\nRetry-After: 1\r\n"), std::string::npos);
  ResponseOptions allow;
  allow.allow = "PUT, POST";
  const std::string answer = render_response(405, "{}", allow);
  EXPECT_EQ(answer.rfind("HTTP/1.1 405 Method Not Allowed\r\n", 0), 0u);
  EXPECT_NE(answer.find("\r\nAllow: PUT, POST\r\n"), std::string::npos);
  EXPECT_EQ(answer.find("Retry-After"), std::string::npos);
}

TEST(HttpResponse, HeadAnswerHasLengthButNoBody) {
  ResponseOptions head;
  head.head_only = true;
  const std::string answer = render_response(200, "0123456789", head);
  EXPECT_NE(answer.find("Content-Length: 10\r\n"), std::string::npos);
  EXPECT_EQ(answer.substr(answer.size() - 4), "\r\n\r\n");
}

TEST(HttpResponse, OwnContentTypeAndExtraHeaderLines) {
  ResponseOptions options;
  options.content_type = "text/css; charset=utf-8";
  options.extra_headers = "ETag: \"abc\"\r\nCache-Control: no-cache\r\n";
  EXPECT_EQ(render_response(200, "a{}", options),
            "HTTP/1.1 200 OK\r\nContent-Type: text/css; charset=utf-8\r\nContent-Length: 3\r\n"
            "Connection: keep-alive\r\nETag: \"abc\"\r\nCache-Control: no-cache\r\n\r\na{}");
}

TEST(HttpResponse, NotModifiedHasTheLengthOfWhatItOmits) {
  ResponseOptions options;
  options.head_only = true;  // a 304 never has a body; its Content-Length is the 200's (RFC 9110 8.6)
  options.extra_headers = "ETag: \"abc\"\r\n";
  EXPECT_EQ(render_response(304, "0123456789", options),
            "HTTP/1.1 304 Not Modified\r\nContent-Type: application/json\r\nContent-Length: 10\r\n"
            "Connection: keep-alive\r\nETag: \"abc\"\r\n\r\n");
}

TEST(HttpResponse, UnknownStatusStillRenders) {
  EXPECT_EQ(render_response(299, "", {}).rfind("HTTP/1.1 299 Unknown\r\n", 0), 0u);
  EXPECT_EQ(reason_phrase(299), "Unknown");
  EXPECT_EQ(reason_phrase(431), "Request Header Fields Too Large");
  EXPECT_EQ(reason_phrase(200), "OK");
}

TEST(HttpResponse, ErrorIsTheApiJson) {
  ResponseOptions options;
  options.keep_alive = false;
  const std::string answer = render_error({414, "uri_too_long", "the request line is limited"}, options);
  const std::string body = "{\"error\":{\"code\":\"uri_too_long\",\"message\":\"the request line is limited\"}}";
  EXPECT_EQ(answer, "HTTP/1.1 414 URI Too Long\r\nContent-Type: application/json\r\nContent-Length: " +
                        std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body);
}

}  // namespace
}  // namespace tally::rest
