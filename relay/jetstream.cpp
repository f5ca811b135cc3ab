// JetStream: libnats calls, each status checked; the stream is created with file storage so a NATS restart keeps it.
#include "relay/jetstream.hpp"

#include <nats/nats.h>

#include <cstdlib>
#include <cstring>

namespace tally::relay {
namespace {

constexpr std::int64_t ack_wait_ms = 10'000;
constexpr std::int64_t connect_timeout_ms = 2'000;

std::string status_text(natsStatus s, jsErrCode code = static_cast<jsErrCode>(0)) {
  std::string text = natsStatus_GetText(s);
  if (code != 0) text += " (JetStream error " + std::to_string(static_cast<int>(code)) + ")";
  return text;
}

natsConnection* as_connection(void* p) { return static_cast<natsConnection*>(p); }
jsCtx* as_js(void* p) { return static_cast<jsCtx*>(p); }

// "<shard>-<seq>", as publish() writes it; false for anything else (not one of ours).
bool parse_msg_id(const char* id, int& shard, std::uint64_t& seq) {
  if (id == nullptr) return false;
  char* end = nullptr;
  const long s = std::strtol(id, &end, 10);
  if (end == id || *end != '-') return false;
  char* seq_end = nullptr;
  seq = std::strtoull(end + 1, &seq_end, 10);
  shard = static_cast<int>(s);
  return seq_end != end + 1 && *seq_end == '\0';
}

// Runs on libnats's thread for every message published asynchronously: what the stream said about it.
void on_ack(jsCtx*, natsMsg* msg, jsPubAck* ack, jsPubAckErr* refusal, void* closure) {
  const char* id = nullptr;
  int shard = 0;
  std::uint64_t seq = 0;
  if (natsMsgHeader_Get(msg, "Nats-Msg-Id", &id) == NATS_OK && parse_msg_id(id, shard, seq)) {
    auto& acks = *static_cast<PageAcks*>(closure);
    if (ack != nullptr) {
      acks.record(shard, seq, ack->Duplicate ? PageAcks::Outcome::duplicate : PageAcks::Outcome::stored,
                  ack->Sequence, std::string());
    } else if (refusal != nullptr) {
      std::string why = refusal->ErrText != nullptr ? refusal->ErrText : natsStatus_GetText(refusal->Err);
      if (refusal->ErrCode != 0) why += " (JetStream error " + std::to_string(static_cast<int>(refusal->ErrCode)) + ")";
      acks.record(shard, seq, PageAcks::Outcome::refused, 0, why);
    }
  }
  natsMsg_Destroy(msg);
}

bool covers(const jsStreamConfig& config, const std::string& wanted) {
  for (int k = 0; k < config.SubjectsLen; ++k)
    if (wanted == config.Subjects[k]) return true;
  return false;
}

}  // namespace

JetStream::JetStream(std::string url, std::string stream, std::string subject_prefix, std::size_t scan_max)
    : url_(std::move(url)), stream_(std::move(stream)), prefix_(std::move(subject_prefix)), scan_max_(scan_max) {}

JetStream::~JetStream() {
  std::lock_guard<std::mutex> lock(mutex_);
  disconnect_locked();
}

void JetStream::disconnect() {
  std::lock_guard<std::mutex> lock(mutex_);
  disconnect_locked();
}

void JetStream::disconnect_locked() {
  stream_last_known_ = false;
  if (bucket_ != nullptr) kvStore_Destroy(static_cast<kvStore*>(bucket_));
  bucket_ = nullptr;
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
  js_options.PublishAsync.AckHandler = on_ack;
  js_options.PublishAsync.AckHandlerClosure = &acks_;
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
    stream_last_ = info->State.LastSeq;
    stream_last_known_ = true;
    jsStreamInfo_Destroy(info);
    if (!ok) {
      error = "stream " + stream_ + " exists but does not take " + subjects;
      return Connect::misconfigured;
    }
    return open_bucket_locked(error) ? Connect::ok : Connect::failed;
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
  stream_last_ = info->State.LastSeq;
  stream_last_known_ = true;
  jsStreamInfo_Destroy(info);
  return open_bucket_locked(error) ? Connect::ok : Connect::failed;
}

bool JetStream::open_bucket_locked(std::string& error) {
  if (bucket_ != nullptr) return true;
  const std::string name = stream_ + "_relay";
  kvStore* bucket = nullptr;
  natsStatus s = js_KeyValue(&bucket, as_js(js_), name.c_str());
  if (s == NATS_NOT_FOUND) {
    kvConfig config;
    kvConfig_Init(&config);
    config.Bucket = name.c_str();
    config.History = 1;  // only the newest intent of each shard matters
    config.StorageType = js_FileStorage;
    s = js_CreateKeyValue(&bucket, as_js(js_), &config);
  }
  if (s != NATS_OK) {
    error = "key-value bucket " + name + ": " + status_text(s);
    disconnect_locked();
    return false;
  }
  bucket_ = bucket;
  return true;
}

bool JetStream::read_stream_state_locked(StreamState& state, std::string& error) {
  jsStreamInfo* info = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  const natsStatus s = js_GetStreamInfo(&info, as_js(js_), stream_.c_str(), nullptr, &code);
  if (s != NATS_OK) {
    error = "stream " + stream_ + ": " + status_text(s, code);
    disconnect_locked();
    return false;
  }
  state = StreamState{info->State.FirstSeq, info->State.LastSeq, info->State.Msgs};
  jsStreamInfo_Destroy(info);
  return true;
}

bool JetStream::read_stream_last_locked(std::string& error) {
  StreamState state;
  if (!read_stream_state_locked(state, error)) return false;
  stream_last_ = state.last;
  stream_last_known_ = true;
  return true;
}

bool JetStream::read_msg_id_locked(std::uint64_t stream_seq, std::string& id, std::string& error) {
  id.clear();
  natsMsg* msg = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  const natsStatus s = js_GetMsg(&msg, as_js(js_), stream_.c_str(), stream_seq, nullptr, &code);
  if (s == NATS_NOT_FOUND) return true;  // deleted, or past the end
  if (s != NATS_OK) {
    error = "reading message " + std::to_string(stream_seq) + " of " + stream_ + ": " + status_text(s, code);
    disconnect_locked();
    return false;
  }
  const char* text = nullptr;
  if (natsMsgHeader_Get(msg, "Nats-Msg-Id", &text) == NATS_OK && text != nullptr) id = text;
  natsMsg_Destroy(msg);
  return true;
}

bool JetStream::scan_back_locked(std::size_t shards, std::map<int, ShardTail>& out, std::string& error) {
  out.clear();
  StreamState state;
  if (!read_stream_state_locked(state, error)) return false;
  const std::uint64_t first = state.first, last = state.last;
  if (state.messages == 0) return true;
  std::string id;
  for (std::uint64_t at = last, scanned = 0; at >= first && at > 0 && scanned < scan_max_ && out.size() < shards;
       --at, ++scanned) {
    if (!read_msg_id_locked(at, id, error)) return false;
    int shard = 0;
    std::uint64_t seq = 0;
    if (parse_msg_id(id.c_str(), shard, seq) && out.find(shard) == out.end())
      out[shard] = {seq, at};  // scanning back: the first seen is the newest
  }
  return true;
}

bool JetStream::read_intent_locked(int shard, ResumeIntent& intent, bool& found, std::string& error) {
  found = false;
  kvEntry* entry = nullptr;
  const std::string key = "shard." + std::to_string(shard);
  const natsStatus s = kvStore_Get(&entry, static_cast<kvStore*>(bucket_), key.c_str());
  if (s == NATS_NOT_FOUND) return true;
  if (s != NATS_OK) {
    error = "reading " + key + " of " + stream_ + "_relay: " + status_text(s);
    disconnect_locked();
    return false;
  }
  const auto* value = static_cast<const char*>(kvEntry_Value(entry));
  const std::optional<ResumeIntent> parsed =
      parse_intent(std::string_view(value != nullptr ? value : "", static_cast<std::size_t>(kvEntry_ValueLen(entry))));
  kvEntry_Destroy(entry);
  if (parsed) intent = *parsed;
  found = parsed.has_value();
  return true;
}

bool JetStream::resume_point(int shard, std::size_t shards, std::uint64_t& seq, std::string& how,
                             std::string& error) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!connect_locked(error) || !open_bucket_locked(error)) return false;
  ResumeIntent intent;
  bool found = false;
  if (!read_intent_locked(shard, intent, found, error)) return false;
  if (found) {
    ShardTail tail;
    const ReadMsgId read = [this](std::uint64_t at, std::string& id, std::string& e) {
      return read_msg_id_locked(at, id, e);
    };
    switch (resolve_intent(intent, shard, read, tail, error)) {
      case Resolved::failed: return false;
      case Resolved::found:
        tails_[shard] = tail;
        seq = tail.seq;
        how = "its resume intent, checked against the stream";
        return true;
      case Resolved::unverifiable: break;  // the stream does not bear it out: read the stream itself
    }
  }
  std::map<int, ShardTail> newest;
  if (!scan_back_locked(shards, newest, error)) return false;
  const auto tail = newest.find(shard);
  if (tail != newest.end()) tails_[shard] = tail->second;
  else tails_.erase(shard);
  seq = tail != newest.end() ? tail->second.seq : 0;
  how = std::string(found ? "its resume intent did not match the stream; " : "no resume intent; ") +
        "read back at most " + std::to_string(scan_max_) + " messages";
  return true;
}

bool JetStream::write_intent_locked(const std::vector<RawEvent>& events, std::string& error) {
  const int shard = events.front().shard;
  ResumeIntent intent;
  intent.first = events.front().seq;
  intent.count = events.size();
  intent.after = stream_last_;
  const auto tail = tails_.find(shard);
  if (tail != tails_.end() && tail->second.seq + 1 == intent.first) intent.prev_stream_seq = tail->second.stream_seq;
  const std::string key = "shard." + std::to_string(shard), value = encode_intent(intent);
  std::uint64_t revision = 0;
  const natsStatus s = kvStore_Put(&revision, static_cast<kvStore*>(bucket_), key.c_str(), value.data(),
                                   static_cast<int>(value.size()));
  if (s == NATS_OK) return true;
  error = "writing " + key + " of " + stream_ + "_relay: " + status_text(s);
  disconnect_locked();
  return false;
}

std::size_t JetStream::publish(const std::vector<RawEvent>& events, std::string& error) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (events.empty()) return 0;
  if (!connect_locked(error)) return 0;
  if (!stream_last_known_ && !read_stream_last_locked(error)) return 0;
  // Where this page goes, before any of it can land: how a restart finds where the shard ends (resume_point.hpp).
  if (!open_bucket_locked(error) || !write_intent_locked(events, error)) return 0;
  std::vector<std::uint64_t> seqs;
  seqs.reserve(events.size());
  for (const RawEvent& event : events) seqs.push_back(event.seq);
  acks_.begin(events.front().shard, seqs);
  natsStatus s = NATS_OK;
  std::string subject, id, previous_id, expected_seq;
  for (std::size_t k = 0; k < events.size() && s == NATS_OK; ++k) {
    const RawEvent& event = events[k];
    subject.assign(prefix_).append(".").append(event.type);
    id = std::to_string(event.shard) + "-" + std::to_string(event.seq);
    expected_seq = std::to_string(stream_last_ + k);  // every message before this one stored, none other
    natsMsg* msg = nullptr;
    s = natsMsg_Create(&msg, subject.c_str(), nullptr, event.json.data(), static_cast<int>(event.json.size()));
    if (s == NATS_OK) s = natsMsgHeader_Set(msg, "Nats-Msg-Id", id.c_str());
    if (s == NATS_OK) s = natsMsgHeader_Set(msg, "Nats-Expected-Last-Sequence", expected_seq.c_str());
    if (s == NATS_OK && k > 0) s = natsMsgHeader_Set(msg, "Nats-Expected-Last-Msg-Id", previous_id.c_str());
    if (s == NATS_OK) s = js_PublishMsgAsync(as_js(js_), &msg, nullptr);
    natsMsg_Destroy(msg);  // no effect once the library took it
    previous_id.swap(id);
  }
  jsPubOptions wait;
  jsPubOptions_Init(&wait);
  wait.MaxWait = ack_wait_ms;
  const natsStatus completed = js_PublishAsyncComplete(as_js(js_), &wait);
  const PageAcks::Prefix held = acks_.prefix();
  if (held.clean) {
    stream_last_ = held.last_stream_seq;
    tails_[events.front().shard] = {events.back().seq, held.last_stream_seq};
    return held.held;
  }
  tails_.erase(events.front().shard);  // found again from the intent when the worker resumes
  error = "publishing to " + stream_ + ": " + held.first_problem;
  if (s != NATS_OK) error += "; " + status_text(s);
  else if (completed != NATS_OK) error += "; " + status_text(completed);
  disconnect_locked();  // the next page starts on a fresh connection, from the stream's own last sequence
  return held.held;
}

}  // namespace tally::relay
