// PeerClient: each call is one curl easy handle added to the shared multi handle, whose connection cache keeps
// the peers' connections alive between calls. The thread sleeps in curl_multi_poll; send() wakes it.
#include "shard/peer_client.hpp"

#include <curl/curl.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>
#include <memory>

#include "ledger/assert.hpp"
#include "ledger/limits.hpp"

namespace tally::shard {

namespace {

// One call in flight: the easy handle's CURLOPT_PRIVATE.
struct Transfer {
  PeerCall call;
  PeerReply reply;
  PeerAnswer answer;
  curl_slist* headers = nullptr;
};

bool header_is(std::string_view line, std::string_view name) {
  if (line.size() <= name.size() || line[name.size()] != ':') return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(line[i])) != std::tolower(static_cast<unsigned char>(name[i]))) {
      return false;
    }
  }
  return true;
}

std::string header_value(std::string_view line, std::size_t name_size) {
  std::string_view value = line.substr(name_size + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' '))
    value.remove_suffix(1);
  return std::string(value);
}

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const std::string_view line(data, size * count);
  if (line.rfind("HTTP/", 0) == 0) {  // a new status line (after a 1xx): forget the earlier headers
    transfer->answer.retry_after_seconds = 0;
    transfer->answer.owner_shard.reset();
  } else if (header_is(line, "Retry-After")) {
    transfer->answer.retry_after_seconds = std::atoi(header_value(line, 11).c_str());
  } else if (header_is(line, shard_header)) {
    const std::string value = header_value(line, std::string_view(shard_header).size());
    if (!value.empty()) transfer->answer.owner_shard = static_cast<ShardId>(std::strtoul(value.c_str(), nullptr, 10));
  }
  return size * count;
}

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
  static_cast<Transfer*>(user)->answer.body.append(data, size * count);
  return size * count;
}

void set_up_easy(CURL* easy, Transfer& transfer) {
  curl_easy_setopt(easy, CURLOPT_URL, transfer.call.url.c_str());
  curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, transfer.call.method.c_str());
  if (!transfer.call.body.empty() || transfer.call.method != "GET") {
    curl_easy_setopt(easy, CURLOPT_POSTFIELDS, transfer.call.body.data());
    curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(transfer.call.body.size()));
  }
  transfer.headers = curl_slist_append(transfer.headers, "Expect:");  // no 100-continue round trip
  transfer.headers = curl_slist_append(transfer.headers, "Content-Type: application/json");
  for (const std::string& line : transfer.call.headers)
    transfer.headers = curl_slist_append(transfer.headers, line.c_str());
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, transfer.headers);
  curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(limits::peer_connect_timeout_ms));
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(limits::peer_request_timeout_ms));
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(easy, CURLOPT_HEADERDATA, &transfer);
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(easy, CURLOPT_PRIVATE, &transfer);
}

// A failed transfer: did the request leave this process? If not, nothing happened at the peer.
void classify_failure(CURL* easy, CURLcode code, PeerAnswer& answer) {
  long request_bytes = 0;
  curl_easy_getinfo(easy, CURLINFO_REQUEST_SIZE, &request_bytes);
  const bool never_sent = code == CURLE_COULDNT_CONNECT || code == CURLE_COULDNT_RESOLVE_HOST ||
                          code == CURLE_COULDNT_RESOLVE_PROXY || request_bytes == 0;
  answer.kind = never_sent ? PeerAnswer::Kind::unreachable : PeerAnswer::Kind::outcome_unknown;
  answer.failure = curl_easy_strerror(code);
  answer.body.clear();
}

}  // namespace

PeerClient::PeerClient() {
  static const CURLcode global = curl_global_init(CURL_GLOBAL_DEFAULT);  // once per process, before any thread
  TALLY_ASSERT(global == CURLE_OK, "curl_global_init");
  multi_ = curl_multi_init();
  TALLY_ASSERT(multi_ != nullptr, "curl_multi_init");
  curl_multi_setopt(multi_, CURLMOPT_MAXCONNECTS, limits::peer_connections_max);
  thread_ = std::thread([this] { run(); });
}

PeerClient::~PeerClient() {
  stop();
  for (void* easy : spare_) curl_easy_cleanup(static_cast<CURL*>(easy));
  curl_multi_cleanup(multi_);
}

void PeerClient::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  curl_multi_wakeup(multi_);
  if (thread_.joinable()) thread_.join();
}

void PeerClient::send(PeerCall call, PeerReply reply, int delay_ms) {
  const auto due = std::chrono::steady_clock::now() + std::chrono::milliseconds(delay_ms);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!stopping_) {
      queued_.push_back(Pending{std::move(call), std::move(reply), due});
      reply = nullptr;
    }
  }
  if (reply) {
    PeerAnswer answer;
    answer.failure = "shutting down";
    reply(std::move(answer));
    return;
  }
  curl_multi_wakeup(multi_);
}

void PeerClient::start_due(std::chrono::steady_clock::time_point now) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    while (!queued_.empty()) {
      delayed_.push_back(std::move(queued_.front()));
      queued_.pop_front();
    }
  }
  auto not_due = std::partition(delayed_.begin(), delayed_.end(), [now](const Pending& p) { return p.due > now; });
  for (auto it = not_due; it != delayed_.end(); ++it) {
    if (it->call.url.empty()) {  // a timer (after()): no transfer
      it->reply(PeerAnswer{});
      continue;
    }
    auto transfer = std::make_unique<Transfer>();
    transfer->call = std::move(it->call);
    transfer->reply = std::move(it->reply);
    CURL* easy = nullptr;
    if (spare_.empty()) {
      easy = curl_easy_init();
      TALLY_ASSERT(easy != nullptr, "curl_easy_init");
    } else {
      easy = static_cast<CURL*>(spare_.back());
      spare_.pop_back();
    }
    set_up_easy(easy, *transfer);
    curl_multi_add_handle(multi_, easy);
    in_flight_.insert(easy);
    transfer.release();  // owned by the easy handle (CURLOPT_PRIVATE) until finish_done
  }
  delayed_.erase(not_due, delayed_.end());
}

void PeerClient::finish_done() {
  int left = 0;
  while (CURLMsg* message = curl_multi_info_read(multi_, &left)) {
    if (message->msg != CURLMSG_DONE) continue;
    CURL* easy = message->easy_handle;
    Transfer* raw = nullptr;
    curl_easy_getinfo(easy, CURLINFO_PRIVATE, &raw);
    std::unique_ptr<Transfer> transfer(raw);
    if (message->data.result == CURLE_OK) {
      long status = 0;
      curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
      transfer->answer.kind = PeerAnswer::Kind::answered;
      transfer->answer.status = static_cast<int>(status);
    } else {
      classify_failure(easy, message->data.result, transfer->answer);
    }
    in_flight_.erase(easy);
    curl_multi_remove_handle(multi_, easy);
    if (spare_.size() < spare_handles_max) {  // reused: an easy handle costs more to make than to reset
      curl_easy_reset(easy);
      spare_.push_back(easy);
    } else {
      curl_easy_cleanup(easy);
    }
    curl_slist_free_all(transfer->headers);
    transfer->reply(std::move(transfer->answer));
  }
}

int PeerClient::poll_timeout_ms(std::chrono::steady_clock::time_point now) const {
  int timeout = limits::peer_request_timeout_ms;
  for (const Pending& p : delayed_) {
    const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(p.due - now).count();
    timeout = std::min<int>(timeout, static_cast<int>(std::max<long long>(wait, 0)));
  }
  return timeout;
}

void PeerClient::run() {
  for (;;) {
    start_due(std::chrono::steady_clock::now());
    int running = 0;
    curl_multi_perform(multi_, &running);
    finish_done();
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (stopping_) break;
    }
    curl_multi_poll(multi_, nullptr, 0, poll_timeout_ms(std::chrono::steady_clock::now()), nullptr);
  }
  abandon_all();
}

// Stopping: every call still pending is answered, none is dropped. One already sent may have been applied.
void PeerClient::abandon_all() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (Pending& p : queued_) delayed_.push_back(std::move(p));
    queued_.clear();
  }
  for (Pending& p : delayed_) {
    PeerAnswer answer;
    answer.failure = "shutting down";
    p.reply(std::move(answer));
  }
  delayed_.clear();
  for (void* handle : in_flight_) {
    CURL* easy = static_cast<CURL*>(handle);
    Transfer* raw = nullptr;
    curl_easy_getinfo(easy, CURLINFO_PRIVATE, &raw);
    std::unique_ptr<Transfer> transfer(raw);
    curl_multi_remove_handle(multi_, easy);
    transfer->answer.kind = PeerAnswer::Kind::outcome_unknown;
    transfer->answer.failure = "shutting down";
    curl_easy_cleanup(easy);
    curl_slist_free_all(transfer->headers);
    transfer->reply(std::move(transfer->answer));
  }
  in_flight_.clear();
}

}  // namespace tally::shard
