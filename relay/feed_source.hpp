// One tallyd's feed, read by long-polls over HTTP (libcurl): GET /v1/events?after=&limit=&wait=.
#pragma once

#include <cstdint>
#include <string>

#include "relay/feed_page.hpp"

namespace tally::relay {

struct FetchResult {
  enum class Kind { page, expired, failed };
  Kind kind = Kind::failed;
  FeedPage page;            // page
  std::uint64_t oldest = 0;  // expired: the oldest seq tallyd keeps
  std::string error;        // failed: what went wrong (connection, status, body)
};

class FeedSource {
 public:
  // api_key: a secret of a key with the `events` scope (docs/security.md), sent as a bearer token; "" = none
  // (a tallyd without --auth-file).
  FeedSource(std::string base_url, const std::string& api_key);
  ~FeedSource();
  FeedSource(const FeedSource&) = delete;
  FeedSource& operator=(const FeedSource&) = delete;

  FetchResult fetch(std::uint64_t after, int limit, int wait_seconds);
  const std::string& url() const { return base_; }

 private:
  std::string base_;
  void* curl_;     // CURL*
  void* headers_;  // curl_slist*: the Authorization field, or null
  std::string body_;
};

}  // namespace tally::relay
