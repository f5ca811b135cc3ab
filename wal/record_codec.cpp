// Cap'n Proto encode/decode of WAL payloads (schema wal/wal_record.capnp). decode treats its input as
// untrusted: it bounds traversal, validates every field with check_record and never throws. encode runs the
// same check_record first, so the two sides cannot drift apart.
#include "wal/record_codec.hpp"

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <kj/array.h>
#include <kj/exception.h>

#include <cstdint>
#include <cstring>

#include "ledger/assert.hpp"
#include "ledger/limits.hpp"
#include "ledger/record_checks.hpp"
#include "wal/known_content.hpp"
#include "wal/record_codec_fast.hpp"
#include "wal/wal_record.capnp.h"

namespace tally::wal {
namespace {

// Records are small: one first segment of this size holds any of them, so each encode has one segment.
constexpr unsigned first_segment_words = 128;

template <typename InitFn>
void copy_text(InitFn init, const std::string& value) {
  // initX(size) + memcpy keeps embedded bytes exact and does not rely on std::string's NUL terminator.
  capnp::Text::Builder text = init(static_cast<unsigned>(value.size()));
  if (!value.empty()) std::memcpy(text.begin(), value.data(), value.size());
}

// The first segment of every message built on this thread: zeroed once, and zeroed again by each builder's
// destructor over what it used (Cap'n Proto's contract for a caller-provided segment), so an encode allocates
// only its result (a record per batch item paid a zeroed 1 KiB segment and a flat copy besides).
kj::ArrayPtr<capnp::word> first_segment() {
  thread_local capnp::word words[first_segment_words] = {};
  return kj::arrayPtr(words, first_segment_words);
}

// The flat form of messageToFlatArray (a segment table, then the segments), written straight into the result.
std::string to_string(capnp::MallocMessageBuilder& message) {
  const kj::ArrayPtr<const kj::ArrayPtr<const capnp::word>> segments = message.getSegmentsForOutput();
  if (segments.size() != 1) {
    const kj::Array<capnp::word> flat = capnp::messageToFlatArray(segments);
    const kj::ArrayPtr<const kj::byte> bytes = flat.asBytes();
    return std::string(reinterpret_cast<const char*>(bytes.begin()), bytes.size());
  }
  // One segment: the table is two little-endian 32-bit words, (segment count - 1) = 0 and its size in words.
  const kj::ArrayPtr<const kj::byte> body = segments[0].asBytes();
  std::string out(sizeof(capnp::word) + body.size(), '\0');
  const std::uint32_t table[2] = {0, static_cast<std::uint32_t>(segments[0].size())};
  static_assert(sizeof(table) == sizeof(capnp::word), "the one-segment table is one word");
  for (std::size_t i = 0; i < sizeof(table); ++i)  // byte by byte: little-endian whatever the host
    out[i] = static_cast<char>((table[i / 4] >> (8 * (i % 4))) & 0xff);
  std::memcpy(&out[sizeof(capnp::word)], body.begin(), body.size());
  return out;
}

std::string text_of(capnp::Text::Reader text) { return std::string(text.begin(), text.size()); }

std::optional<Record> decode_user_created(schema::UserCreated::Reader r) {
  UserCreated out;
  out.id = r.getId();
  out.name = text_of(r.getName());
  out.idempotency_key = text_of(r.getIdempotencyKey());
  out.created_at = r.getCreatedAtMicros();
  out.client = text_of(r.getClient());  // absent in a record written before attribution: ""
  out.low_balance_threshold = r.getLowBalanceThresholdMinor();  // absent before the feed: 0
  if (check_record(out) != RecordFault::none) return std::nullopt;
  return Record(std::move(out));
}

std::optional<Record> decode_transaction(schema::TransactionApplied::Reader r) {
  TransactionApplied out;
  out.uid = text_of(r.getUid());
  out.user_id = r.getUserId();
  switch (r.getKind()) {
    case schema::TxKind::DEPOSIT: out.kind = TxKind::deposit; break;
    case schema::TxKind::WITHDRAW: out.kind = TxKind::withdraw; break;
    default: return std::nullopt;  // a kind from a newer schema: applying it blindly would corrupt balances
  }
  out.amount = r.getAmountMinor();
  out.at = r.getAtMicros();
  out.timestamp_given = r.getTimestampGiven();
  out.client = text_of(r.getClient());
  out.recorded_at = r.getRecordedAtMicros();
  if (check_record(out) != RecordFault::none) return std::nullopt;
  return Record(std::move(out));
}

std::optional<Record> decode_reservation(schema::TransactionApplied::Reader r, bool released) {
  std::optional<Record> tx = decode_transaction(r);
  if (!tx) return std::nullopt;
  return Record(UidReservation{std::get<TransactionApplied>(std::move(*tx)), released});
}

std::optional<Record> decode_user_updated(schema::UserUpdated::Reader r) {
  UserUpdated out;
  out.user_id = r.getUserId();
  out.low_balance_threshold = r.getLowBalanceThresholdMinor();
  out.at = r.getAtMicros();
  out.client = text_of(r.getClient());
  if (check_record(out) != RecordFault::none) return std::nullopt;
  return Record(std::move(out));
}

// Built once from the schema; read-only afterwards, so safe to share between threads.
struct Layouts {
  KnownContent record{capnp::Schema::from<schema::WalRecord>()};
  KnownContent user{capnp::Schema::from<schema::UserCreated>()};
  KnownContent transaction{capnp::Schema::from<schema::TransactionApplied>()};
  KnownContent user_updated{capnp::Schema::from<schema::UserUpdated>()};
};
const Layouts& layouts() {
  static const Layouts instance;
  return instance;
}

std::optional<Record> decode_words(kj::ArrayPtr<const capnp::word> words) {
  capnp::ReaderOptions options;
  // A record never exceeds the frame limit; a larger traversal could only come from pointer amplification.
  options.traversalLimitInWords = limits::wal_record_bytes_max / sizeof(capnp::word);
  options.nestingLimit = 8;
  capnp::FlatArrayMessageReader reader(words, options);
  // The payload must be exactly one message: trailing bytes mean the frame and the message disagree.
  if (reader.getEnd() != words.end()) return std::nullopt;
  const schema::WalRecord::Reader root = reader.getRoot<schema::WalRecord>();
  // Content the decoded record would not carry (a newer build's field, stray bits) is refused, so whatever
  // decode accepts re-encodes to the same information (fuzz/fuzz_wal_reader checks exactly that).
  const Layouts& known = layouts();
  if (!known.record.only_known(root)) return std::nullopt;
  switch (root.which()) {
    case schema::WalRecord::USER_CREATED: {
      const schema::UserCreated::Reader user = root.getUserCreated();
      if (!known.user.only_known(user)) return std::nullopt;
      return decode_user_created(user);
    }
    case schema::WalRecord::TRANSACTION_APPLIED: {
      const schema::TransactionApplied::Reader tx = root.getTransactionApplied();
      if (!known.transaction.only_known(tx)) return std::nullopt;
      return decode_transaction(tx);
    }
    case schema::WalRecord::UID_RESERVED:
    case schema::WalRecord::UID_RELEASED: {
      const bool released = root.which() == schema::WalRecord::UID_RELEASED;
      const schema::TransactionApplied::Reader tx = released ? root.getUidReleased() : root.getUidReserved();
      if (!known.transaction.only_known(tx)) return std::nullopt;
      return decode_reservation(tx, released);
    }
    case schema::WalRecord::USER_UPDATED: {
      const schema::UserUpdated::Reader update = root.getUserUpdated();
      if (!known.user_updated.only_known(update)) return std::nullopt;
      return decode_user_updated(update);
    }
    default: return std::nullopt;  // a union member added by a newer build
  }
}

}  // namespace

namespace detail {

std::string encode_unchecked(const UserCreated& record) {
  capnp::MallocMessageBuilder message(first_segment());
  auto root = message.initRoot<schema::WalRecord>();
  auto b = root.initUserCreated();
  b.setId(record.id);
  copy_text([&](unsigned n) { return b.initName(n); }, record.name);
  copy_text([&](unsigned n) { return b.initIdempotencyKey(n); }, record.idempotency_key);
  b.setCreatedAtMicros(record.created_at);
  // No client: the field stays null, so the record is byte for byte what the code before attribution wrote.
  if (!record.client.empty()) copy_text([&](unsigned n) { return b.initClient(n); }, record.client);
  b.setLowBalanceThresholdMinor(record.low_balance_threshold);
  return to_string(message);
}

namespace {
void fill(schema::TransactionApplied::Builder b, const TransactionApplied& record) {
  copy_text([&](unsigned n) { return b.initUid(n); }, record.uid);
  b.setUserId(record.user_id);
  b.setKind(record.kind == TxKind::deposit ? schema::TxKind::DEPOSIT : schema::TxKind::WITHDRAW);
  b.setAmountMinor(record.amount);
  b.setAtMicros(record.at);
  b.setTimestampGiven(record.timestamp_given);
  if (!record.client.empty()) copy_text([&](unsigned n) { return b.initClient(n); }, record.client);
  b.setRecordedAtMicros(record.recorded_at);
}
}  // namespace

std::string encode_unchecked(const TransactionApplied& record) {
  capnp::MallocMessageBuilder message(first_segment());
  fill(message.initRoot<schema::WalRecord>().initTransactionApplied(), record);
  return to_string(message);
}

std::string encode_unchecked(const UidReservation& record) {
  capnp::MallocMessageBuilder message(first_segment());
  auto root = message.initRoot<schema::WalRecord>();
  fill(record.released ? root.initUidReleased() : root.initUidReserved(), record.tx);
  return to_string(message);
}

std::string encode_unchecked(const UserUpdated& record) {
  capnp::MallocMessageBuilder message(first_segment());
  auto b = message.initRoot<schema::WalRecord>().initUserUpdated();
  b.setUserId(record.user_id);
  b.setLowBalanceThresholdMinor(record.low_balance_threshold);
  b.setAtMicros(record.at);
  if (!record.client.empty()) copy_text([&](unsigned n) { return b.initClient(n); }, record.client);
  return to_string(message);
}

}  // namespace detail

namespace {
// What every encode() does: refuse a record the decoder would refuse (ledger/record_checks.hpp), else encode it.
template <class Record>
std::optional<std::string> encode_checked(const Record& record) {
  if (check_record(record) != RecordFault::none) return std::nullopt;
  return detail::encode_unchecked(record);
}
}  // namespace

std::optional<std::string> encode(const UserCreated& record) { return encode_checked(record); }
std::optional<std::string> encode(const TransactionApplied& record) {
  std::optional<std::string> out(std::in_place);
  if (!encode_append(record, *out)) out.reset();
  return out;
}

bool encode_append(const TransactionApplied& record, std::string& out) {
  if (check_record(record) != RecordFault::none) return false;
  // Written in the builder's own layout (record_codec_fast.hpp) rather than through it: a checked record's
  // texts are bounded (limits::uid_bytes_max, client_name_bytes_max), so its message is one segment, as the
  // builder's first segment holds it, which is the layout the direct writer knows.
  const std::size_t bytes = detail::canonical_transaction_bytes(record);
  TALLY_ASSERT(bytes / sizeof(capnp::word) - 1 <= first_segment_words, "a checked transaction fits one segment");
  const std::size_t start = out.size();
  out.resize(start + bytes);
  detail::encode_canonical_transaction(record, &out[start]);
  return true;
}
std::optional<std::string> encode(const UidReservation& record) { return encode_checked(record); }
std::optional<std::string> encode(const UserUpdated& record) { return encode_checked(record); }

std::optional<Record> decode(std::string_view payload) {
  // Nearly every record of a log is a transaction in the encoder's own layout: read without a message reader,
  // straight into the result (one return of one object: no move of the record on the way out).
  std::optional<Record> decoded(std::in_place, std::in_place_type<TransactionApplied>);
  if (!detail::decode_canonical_transaction(payload, std::get<TransactionApplied>(*decoded))) {
    UserCreated user;
    if (detail::decode_canonical_user(payload, user))
      decoded = std::move(user);
    else
      decoded = detail::decode_general(payload);
  }
  return decoded;
}

bool decode_into(std::string_view payload, Record& out) {
  // The record keeps its kind when the payload is of the same kind (its strings keep their capacity); a user
  // decoded into a transaction goes through a local (the next record, likely a transaction, keeps its strings).
  auto* tx = std::get_if<TransactionApplied>(&out);
  if (tx != nullptr && detail::decode_canonical_transaction(payload, *tx)) return true;
  if (auto* user = std::get_if<UserCreated>(&out)) {
    if (detail::decode_canonical_user(payload, *user)) return true;
  } else {
    UserCreated fresh;
    if (detail::decode_canonical_user(payload, fresh)) {
      out = std::move(fresh);
      return true;
    }
  }
  if (tx == nullptr && detail::decode_canonical_transaction(payload, out.emplace<TransactionApplied>())) return true;
  std::optional<Record> general = detail::decode_general(payload);
  if (!general) return false;
  out = std::move(*general);
  return true;
}

std::optional<Record> detail::decode_general(std::string_view payload) {
  if (payload.empty() || payload.size() % sizeof(capnp::word) != 0) return std::nullopt;
  const std::size_t word_count = payload.size() / sizeof(capnp::word);
  try {
    if (reinterpret_cast<std::uintptr_t>(payload.data()) % alignof(capnp::word) == 0) {
      return decode_words(
          kj::ArrayPtr<const capnp::word>(reinterpret_cast<const capnp::word*>(payload.data()), word_count));
    }
    // Cap'n Proto reads words in place; a misaligned view (e.g. a substring) must be copied first.
    kj::Array<capnp::word> aligned = kj::heapArray<capnp::word>(word_count);
    std::memcpy(aligned.begin(), payload.data(), payload.size());
    return decode_words(aligned.asPtr());
  } catch (const kj::Exception&) {
    return std::nullopt;
  } catch (...) {
    return std::nullopt;  // e.g. std::bad_alloc: the header promises decode never throws
  }
}

}  // namespace tally::wal
