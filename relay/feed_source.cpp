// FeedSource: one reused curl easy handle (keep-alive to tallyd); a read times out 10 s after its wait.
#include "relay/feed_source.hpp"

#include <curl/curl.h>

#include <nlohmann/json.hpp>

namespace tally::relay {
namespace {

constexpr long timeout_beyond_wait_seconds = 10;

std::size_t collect(char* data, std::size_t size, std::size_t count, void* into) {
  static_cast<std::string*>(into)->append(data, size * count);
  return size * count;
}

}  // namespace

FeedSource::FeedSource(std::string base_url, const std::string& api_key)
    : base_(std::move(base_url)), curl_(curl_easy_init()), headers_(nullptr) {
  while (!base_.empty() && base_.back() == '/') base_.pop_back();
  if (!api_key.empty())
    headers_ = curl_slist_append(nullptr, ("Authorization: Bearer " + api_key).c_str());
}

FeedSource::~FeedSource() {
  curl_easy_cleanup(static_cast<CURL*>(curl_));
  curl_slist_free_all(static_cast<curl_slist*>(headers_));
}

FetchResult FeedSource::fetch(std::uint64_t after, int limit, int wait_seconds) {
  CURL* curl = static_cast<CURL*>(curl_);
  FetchResult result;
  if (curl == nullptr) {
    result.error = "curl could not start";
    return result;
  }
  const std::string url = base_ + "/v1/events?after=" + std::to_string(after) + "&limit=" + std::to_string(limit) +
                          "&wait=" + std::to_string(wait_seconds);
  std::string& body = body_;  // reused: its capacity stays that of the largest page so far
  body.clear();
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, static_cast<long>(wait_seconds) + timeout_beyond_wait_seconds);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 5L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  if (headers_ != nullptr) curl_easy_setopt(curl, CURLOPT_HTTPHEADER, static_cast<curl_slist*>(headers_));
  const CURLcode code = curl_easy_perform(curl);
  if (code != CURLE_OK) {
    result.error = url + ": " + curl_easy_strerror(code);
    return result;
  }
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  if (status == 410) {
    const nlohmann::json doc = nlohmann::json::parse(body, nullptr, false);
    if (!doc.is_discarded() && doc.contains("error") && doc["error"].contains("oldest")) {
      result.kind = FetchResult::Kind::expired;
      result.oldest = doc["error"]["oldest"].get<std::uint64_t>();
      return result;
    }
  }
  if (status != 200) {
    result.error = url + ": HTTP " + std::to_string(status) + " " + body.substr(0, 300);
    return result;
  }
  std::optional<FeedPage> page = parse_feed_page(body, result.error);
  if (!page) return result;
  result.kind = FetchResult::Kind::page;
  result.page = std::move(*page);
  return result;
}

}  // namespace tally::relay
