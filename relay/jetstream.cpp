// JetStream: libnats calls, each status checked; the stream is created with file storage so a NATS restart keeps it.
#include "relay/jetstream.hpp"

#include <nats/nats.h>

#include <cstdlib>
#include <cstring>

namespace tally::relay {
namespace {

constexpr std::size_t scan_max = 100'000;
constexpr std::int64_t ack_wait_ms = 10'000;
constexpr std::int64_t connect_timeout_ms = 2'000;

std::string status_text(natsStatus s, jsErrCode code = static_cast<jsErrCode>(0)) {
  std::string text = natsStatus_GetText(s);
  if (code != 0) text += " (JetStream error " + std::to_string(static_cast<int>(code)) + ")";
  return text;
}

natsConnection* as_connection(void* p) { return static_cast<natsConnection*>(p); }
jsCtx* as_js(void* p) { return static_cast<jsCtx*>(p); }

void on_failed_ack(jsCtx*, jsPubAckErr*, void* closure) { ++*static_cast<int*>(closure); }

bool covers(const jsStreamConfig& config, const std::string& wanted) {
  for (int k = 0; k < config.SubjectsLen; ++k)
    if (wanted == config.Subjects[k]) return true;
  return false;
}

}  // namespace

JetStream::JetStream(std::string url, std::string stream, std::string subject_prefix)
    : url_(std::move(url)), stream_(std::move(stream)), prefix_(std::move(subject_prefix)) {}

JetStream::~JetStream() {
  std::lock_guard<std::mutex> lock(mutex_);
  disconnect_locked();
}

void JetStream::disconnect() {
  std::lock_guard<std::mutex> lock(mutex_);
  disconnect_locked();
}

void JetStream::disconnect_locked() {
  if (js_ != nullptr) jsCtx_Destroy(as_js(js_));
  if (connection_ != nullptr) natsConnection_Destroy(as_connection(connection_));
  js_ = nullptr;
  connection_ = nullptr;
}

bool JetStream::connect_locked(std::string& error) {
  if (connection_ != nullptr && natsConnection_Status(as_connection(connection_)) == NATS_CONN_STATUS_CONNECTED)
    return true;
  disconnect_locked();
  natsOptions* options = nullptr;
  natsStatus s = natsOptions_Create(&options);
  if (s == NATS_OK) s = natsOptions_SetURL(options, url_.c_str());
  if (s == NATS_OK) s = natsOptions_SetAllowReconnect(options, false);  // the caller reconnects and republishes
  if (s == NATS_OK) s = natsOptions_SetTimeout(options, connect_timeout_ms);
  natsConnection* connection = nullptr;
  if (s == NATS_OK) s = natsConnection_Connect(&connection, options);
  natsOptions_Destroy(options);
  if (s != NATS_OK) {
    error = "NATS " + url_ + ": " + status_text(s);
    return false;
  }
  jsOptions js_options;
  jsOptions_Init(&js_options);
  js_options.Wait = ack_wait_ms;
  js_options.PublishAsync.ErrHandler = on_failed_ack;
  js_options.PublishAsync.ErrHandlerClosure = &failed_acks_;
  jsCtx* js = nullptr;
  s = natsConnection_JetStream(&js, connection, &js_options);
  if (s != NATS_OK) {
    natsConnection_Destroy(connection);
    error = "JetStream: " + status_text(s);
    return false;
  }
  connection_ = connection;
  js_ = js;
  return true;
}

JetStream::Connect JetStream::connect(std::string& error) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!connect_locked(error)) return Connect::failed;
  const std::string subjects = prefix_ + ".>";
  jsStreamInfo* info = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus s = js_GetStreamInfo(&info, as_js(js_), stream_.c_str(), nullptr, &code);
  if (s == NATS_OK) {
    const bool ok = covers(*info->Config, subjects);
    jsStreamInfo_Destroy(info);
    if (ok) return Connect::ok;
    error = "stream " + stream_ + " exists but does not take " + subjects;
    return Connect::misconfigured;
  }
  if (s != NATS_NOT_FOUND) {
    error = "stream " + stream_ + ": " + status_text(s, code);
    disconnect_locked();
    return Connect::failed;
  }
  jsStreamConfig config;
  jsStreamConfig_Init(&config);
  config.Name = stream_.c_str();
  const char* subject_list[] = {subjects.c_str()};
  config.Subjects = subject_list;
  config.SubjectsLen = 1;
  config.Storage = js_FileStorage;
  config.Duplicates = duplicate_window_ms * 1'000'000;  // nanoseconds
  s = js_AddStream(&info, as_js(js_), &config, nullptr, &code);
  if (s != NATS_OK) {
    error = "creating stream " + stream_ + ": " + status_text(s, code);
    disconnect_locked();
    return Connect::failed;
  }
  jsStreamInfo_Destroy(info);
  return Connect::ok;
}

bool JetStream::last_seqs(std::size_t shards, std::map<int, std::uint64_t>& out, std::string& error) {
  std::lock_guard<std::mutex> lock(mutex_);
  out.clear();
  if (!connect_locked(error)) return false;
  jsStreamInfo* info = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus s = js_GetStreamInfo(&info, as_js(js_), stream_.c_str(), nullptr, &code);
  if (s != NATS_OK) {
    error = "stream " + stream_ + ": " + status_text(s, code);
    disconnect_locked();
    return false;
  }
  const std::uint64_t first = info->State.FirstSeq, last = info->State.LastSeq, count = info->State.Msgs;
  jsStreamInfo_Destroy(info);
  if (count == 0) return true;
  for (std::uint64_t at = last, scanned = 0; at >= first && at > 0 && scanned < scan_max && out.size() < shards;
       --at, ++scanned) {
    natsMsg* msg = nullptr;
    s = js_GetMsg(&msg, as_js(js_), stream_.c_str(), at, nullptr, &code);
    if (s == NATS_NOT_FOUND) continue;  // deleted
    if (s != NATS_OK) {
      error = "reading message " + std::to_string(at) + " of " + stream_ + ": " + status_text(s, code);
      disconnect_locked();
      return false;
    }
    const char* id = nullptr;
    if (natsMsgHeader_Get(msg, "Nats-Msg-Id", &id) == NATS_OK && id != nullptr) {
      // "<shard>-<seq>", as publish() writes it; anything else is not one of ours.
      char* end = nullptr;
      const long shard = std::strtol(id, &end, 10);
      if (end != id && *end == '-') {
        char* seq_end = nullptr;
        const std::uint64_t seq = std::strtoull(end + 1, &seq_end, 10);
        const int key = static_cast<int>(shard);
        if (seq_end != end + 1 && *seq_end == '\0' && out.find(key) == out.end())
          out[key] = seq;  // scanning back: the first seen is the newest
      }
    }
    natsMsg_Destroy(msg);
  }
  return true;
}

bool JetStream::publish(const std::vector<RawEvent>& events, std::string& error) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!connect_locked(error)) return false;
  failed_acks_ = 0;
  natsStatus s = NATS_OK;
  for (const RawEvent& event : events) {
    const std::string subject = prefix_ + "." + event.type;
    const std::string id = std::to_string(event.shard) + "-" + std::to_string(event.seq);
    natsMsg* msg = nullptr;
    s = natsMsg_Create(&msg, subject.c_str(), nullptr, event.json.data(), static_cast<int>(event.json.size()));
    if (s == NATS_OK) s = natsMsgHeader_Set(msg, "Nats-Msg-Id", id.c_str());
    if (s == NATS_OK) s = js_PublishMsgAsync(as_js(js_), &msg, nullptr);
    natsMsg_Destroy(msg);  // no effect once the library took it
    if (s != NATS_OK) break;
  }
  jsPubOptions wait;
  jsPubOptions_Init(&wait);
  wait.MaxWait = ack_wait_ms;
  const natsStatus completed = js_PublishAsyncComplete(as_js(js_), &wait);
  if (s == NATS_OK) s = completed;
  if (s == NATS_OK && failed_acks_ == 0) return true;
  error = "publishing to " + stream_ + ": " + (s != NATS_OK ? status_text(s) : std::to_string(failed_acks_) +
                                                                                   " messages not acknowledged");
  disconnect_locked();  // whatever state the connection is in, the next page starts on a fresh one
  return false;
}

}  // namespace tally::relay
