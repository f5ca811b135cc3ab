// decode_canonical_transaction: the encoder's own layout of a TransactionApplied record, read word by word.
// The layout's numbers (section sizes, field offsets, pointer slots) come from the schema by reflection, once,
// like KnownContent's masks, so they cannot drift from wal_record.capnp. Cap'n Proto's pointer encoding
// (https://capnproto.org/encoding.html): a struct pointer is 0b00 | offset<<2 | data words<<32 | pointers<<48,
// a list pointer 0b01 | offset<<2 | element size<<32 | count<<35; offsets count words from the pointer's end.
#include "wal/record_codec_fast.hpp"

#include <capnp/schema.h>

#include <cstdint>
#include <cstring>
#include <string>

#include "ledger/limits.hpp"
#include "ledger/record_checks.hpp"
#include "wal/byte_order.hpp"
#include "wal/known_content.hpp"
#include "wal/wal_record.capnp.h"

namespace tally::wal::detail {
namespace {

constexpr std::uint64_t byte_element_size = 2;  // Cap'n Proto's ElementSize::BYTE, as Text is laid out

std::uint64_t struct_pointer(std::uint64_t offset_words, std::uint64_t data_words, std::uint64_t pointers) {
  return (offset_words << 2) | (data_words << 32) | (pointers << 48);
}

// Where every field of the canonical TransactionApplied message lies, in words from the payload's start.
struct Layout {
  KnownContent record{capnp::Schema::from<schema::WalRecord>()};
  KnownContent transaction{capnp::Schema::from<schema::TransactionApplied>()};
  std::size_t record_data = 0, record_pointers = 0;  // the root struct's sections
  std::size_t tx_slot = 0;                            // the union's pointer slot for transactionApplied
  unsigned discriminant_bit = 0;
  std::size_t tx_data = 0, tx_pointers = 0;  // TransactionApplied's sections
  std::size_t uid_slot = 0, client_slot = 0;
  unsigned user_id_word = 0, amount_word = 0, at_word = 0, recorded_at_word = 0;  // 64-bit fields
  unsigned kind_bit = 0, timestamp_given_bit = 0;                                // within the data section

  Layout() {
    const capnp::StructSchema root = capnp::Schema::from<schema::WalRecord>();
    const auto root_layout = root.getProto().getStruct();
    record_data = root_layout.getDataWordCount();
    record_pointers = root_layout.getPointerCount();
    discriminant_bit = root_layout.getDiscriminantOffset() * 16u;
    tx_slot = root.getFieldByName("transactionApplied").getProto().getSlot().getOffset();
    const capnp::StructSchema tx = capnp::Schema::from<schema::TransactionApplied>();
    const auto tx_layout = tx.getProto().getStruct();
    tx_data = tx_layout.getDataWordCount();
    tx_pointers = tx_layout.getPointerCount();
    auto offset = [&tx](const char* name) { return tx.getFieldByName(name).getProto().getSlot().getOffset(); };
    uid_slot = offset("uid");
    client_slot = offset("client");
    user_id_word = offset("userId");
    amount_word = offset("amountMinor");
    at_word = offset("atMicros");
    recorded_at_word = offset("recordedAtMicros");
    kind_bit = offset("kind") * 16u;
    timestamp_given_bit = offset("timestampGiven");
  }
};

const Layout& layout() {
  static const Layout instance;
  return instance;
}

// The payload's words, read in place whatever its alignment (little-endian, as Cap'n Proto and x86 are).
class Words {
 public:
  explicit Words(std::string_view payload) : bytes_(payload.data()), count_(payload.size() / 8) {}
  std::size_t count() const { return count_; }
  std::uint64_t operator[](std::size_t i) const {
    std::uint64_t word = 0;
    std::memcpy(&word, bytes_ + i * 8, sizeof word);
    return word;
  }
  std::uint64_t bits(std::size_t first_word, unsigned bit, unsigned width) const {
    const std::uint64_t word = (*this)[first_word + bit / 64];
    return (word >> (bit % 64)) & ((std::uint64_t{1} << width) - 1);
  }
  const char* bytes_at(std::size_t word) const { return bytes_ + word * 8; }

 private:
  const char* bytes_;
  std::size_t count_;
};

// A Text laid out where `pointer` (at word `at`) must point, `content` words from the message start: its bytes
// (NUL excluded) and the words it spans; false if the pointer is anything else.
bool canonical_text(const Words& words, std::size_t at, std::size_t content, std::string_view& text,
                    std::size_t& spanned) {
  const std::uint64_t pointer = words[at];
  if ((pointer & 3) != 1 || ((pointer >> 2) & 0x3fffffffu) != content - (at + 1) ||
      ((pointer >> 32) & 7) != byte_element_size)
    return false;
  const std::uint64_t count = pointer >> 35;
  if (count == 0) return false;
  spanned = static_cast<std::size_t>((count + 7) / 8);
  if (content + spanned > words.count()) return false;
  const char* bytes = words.bytes_at(content);
  if (bytes[count - 1] != '\0') return false;
  text = std::string_view(bytes, static_cast<std::size_t>(count - 1));
  return true;
}

// Segment table, root pointer, the root's data (the union's discriminant only) and its pointers: the index of
// the TransactionApplied struct's first word, or 0 when the message does not start canonically.
std::size_t canonical_root(const Words& words, const Layout& l) {
  if (words[0] != (std::uint64_t{words.count() - 1} << 32)) return 0;  // one segment, the whole payload
  if (words[1] != struct_pointer(0, l.record_data, l.record_pointers)) return 0;
  const std::size_t root = 2;
  for (std::size_t i = 0; i < l.record_data; ++i)
    if (!l.record.known_data_word(i, words[root + i])) return 0;
  if (words.bits(root, l.discriminant_bit, 16) != schema::WalRecord::TRANSACTION_APPLIED) return 0;
  const std::size_t pointers = root + l.record_data, tx = pointers + l.record_pointers;
  for (std::size_t i = 0; i < l.record_pointers; ++i) {
    const std::uint64_t expected = i == l.tx_slot ? struct_pointer(tx - (pointers + i + 1), l.tx_data, l.tx_pointers) : 0;
    if (words[pointers + i] != expected) return 0;
  }
  return tx;
}

}  // namespace

bool decode_canonical_transaction(std::string_view payload, TransactionApplied& out) {
  const Layout& l = layout();
  if (payload.size() % 8 != 0 || payload.size() > limits::wal_record_bytes_max) return false;
  const Words words(payload);
  const std::size_t head = 2 + l.record_data + l.record_pointers + l.tx_data + l.tx_pointers;
  if (words.count() <= head) return false;
  const std::size_t tx = canonical_root(words, l);
  if (tx == 0) return false;
  for (std::size_t i = 0; i < l.tx_data; ++i)
    if (!l.transaction.known_data_word(i, words[tx + i])) return false;
  const std::size_t pointers = tx + l.tx_data;
  for (std::size_t i = 0; i < l.tx_pointers; ++i)  // pointers the schema does not name: not canonical
    if (i != l.uid_slot && i != l.client_slot && words[pointers + i] != 0) return false;
  // The uid's text first, right after the pointers; then the client's, or no client (a null pointer).
  std::string_view uid, client;
  std::size_t uid_words = 0, client_words = 0;
  if (!canonical_text(words, pointers + l.uid_slot, head, uid, uid_words)) return false;
  if (words[pointers + l.client_slot] != 0 &&
      !canonical_text(words, pointers + l.client_slot, head + uid_words, client, client_words))
    return false;
  if (head + uid_words + client_words != words.count()) return false;

  switch (words.bits(tx, l.kind_bit, 16)) {
    case static_cast<std::uint64_t>(schema::TxKind::DEPOSIT): out.kind = TxKind::deposit; break;
    case static_cast<std::uint64_t>(schema::TxKind::WITHDRAW): out.kind = TxKind::withdraw; break;
    default: return false;
  }
  // Reserved, then appended: an assign into a short string takes libstdc++'s slow replace path.
  out.uid.clear();
  out.uid.reserve(uid.size());
  out.uid.append(uid.data(), uid.size());
  out.user_id = words[tx + l.user_id_word];
  out.amount = static_cast<std::int64_t>(words[tx + l.amount_word]);
  out.at = static_cast<std::int64_t>(words[tx + l.at_word]);
  out.timestamp_given = words.bits(tx, l.timestamp_given_bit, 1) != 0;
  out.client.clear();
  if (!client.empty()) out.client.append(client.data(), client.size());
  out.recorded_at = static_cast<std::int64_t>(words[tx + l.recorded_at_word]);
  return check_record(out) == RecordFault::none;
}

namespace {

std::size_t head_words(const Layout& l) { return 2 + l.record_data + l.record_pointers + l.tx_data + l.tx_pointers; }
// A Text's words: its bytes and the NUL, padded to whole words.
std::size_t text_words(const std::string& text) { return (text.size() + 1 + 7) / 8; }

// Into the zeroed message: ORs `value` (`width` bits) at `bit` of the section starting at `first_word`.
void put_bits(char* out, std::size_t first_word, unsigned bit, std::uint64_t value) {
  char* word = out + 8 * (first_word + bit / 64);
  put_le64(word, load_le64(word) | (value << (bit % 64)));
}

// The list pointer at word `at` to a Text laid out `content` words from the message start, and the text.
void put_text(char* out, std::size_t at, std::size_t content, const std::string& text) {
  const std::uint64_t count = text.size() + 1;
  put_le64(out + 8 * at, 1 | ((content - (at + 1)) << 2) | (byte_element_size << 32) | (count << 35));
  if (!text.empty()) std::memcpy(out + 8 * content, text.data(), text.size());
}

}  // namespace

std::size_t canonical_transaction_bytes(const TransactionApplied& record) {
  const std::size_t client = record.client.empty() ? 0 : text_words(record.client);
  return 8 * (head_words(layout()) + text_words(record.uid) + client);
}

void encode_canonical_transaction(const TransactionApplied& record, char* out) {
  const Layout& l = layout();
  const std::size_t words = canonical_transaction_bytes(record) / 8, head = head_words(l);
  put_le64(out, std::uint64_t{words - 1} << 32);  // segment table: one segment (count - 1 = 0), its words
  put_le64(out + 8, struct_pointer(0, l.record_data, l.record_pointers));
  const std::size_t root = 2, root_pointers = root + l.record_data, tx = root_pointers + l.record_pointers;
  put_bits(out, root, l.discriminant_bit, schema::WalRecord::TRANSACTION_APPLIED);
  const std::size_t slot = root_pointers + l.tx_slot;
  put_le64(out + 8 * slot, struct_pointer(tx - (slot + 1), l.tx_data, l.tx_pointers));
  // Data fields are XORed with their defaults; the schema gives none, so they are stored as they are.
  put_le64(out + 8 * (tx + l.user_id_word), record.user_id);
  put_le64(out + 8 * (tx + l.amount_word), static_cast<std::uint64_t>(record.amount));
  put_le64(out + 8 * (tx + l.at_word), static_cast<std::uint64_t>(record.at));
  put_le64(out + 8 * (tx + l.recorded_at_word), static_cast<std::uint64_t>(record.recorded_at));
  const schema::TxKind kind = record.kind == TxKind::deposit ? schema::TxKind::DEPOSIT : schema::TxKind::WITHDRAW;
  put_bits(out, tx, l.kind_bit, static_cast<std::uint64_t>(kind));
  if (record.timestamp_given) put_bits(out, tx, l.timestamp_given_bit, 1);
  // Texts in the builder's allocation order: the uid, then the client (none: a null pointer, as the builder
  // leaves a field it never initialises).
  const std::size_t tx_pointers = tx + l.tx_data;
  put_text(out, tx_pointers + l.uid_slot, head, record.uid);
  if (!record.client.empty()) put_text(out, tx_pointers + l.client_slot, head + text_words(record.uid), record.client);
}

}  // namespace tally::wal::detail
