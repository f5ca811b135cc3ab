// decode_canonical_transaction / _user: the encoder's own layout of a TransactionApplied or UserCreated record,
// read word by word.
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

// One union member of WalRecord as the encoder lays it out: the member's struct right after the root's sections.
struct Member {
  KnownContent known;
  std::uint64_t discriminant = 0;
  std::size_t slot = 0;              // the union's pointer slot
  std::size_t data = 0, pointers = 0;  // the member struct's sections
  std::uint64_t pointer_word = 0;      // the root's pointer to it, in its canonical place (set by Layout)
  std::size_t head = 0;                // words before the member's texts: table, root, member (set by Layout)

  Member(capnp::StructSchema root, capnp::StructSchema member, const char* name, std::uint64_t which)
      : known(member), discriminant(which) {
    slot = root.getFieldByName(name).getProto().getSlot().getOffset();
    const auto sections = member.getProto().getStruct();
    data = sections.getDataWordCount();
    pointers = sections.getPointerCount();
  }
  // A field's slot offset (in its own width's units) within the member struct.
  static unsigned offset(capnp::StructSchema member, const char* name) {
    return member.getFieldByName(name).getProto().getSlot().getOffset();
  }
};

// Where every field of the canonical TransactionApplied and UserCreated messages lies.
struct Layout {
  KnownContent record{capnp::Schema::from<schema::WalRecord>()};
  std::size_t record_data = 0, record_pointers = 0;  // the root struct's sections
  std::uint64_t root_pointer_word = 0;
  unsigned discriminant_bit = 0;
  Member transaction{capnp::Schema::from<schema::WalRecord>(), capnp::Schema::from<schema::TransactionApplied>(),
                     "transactionApplied", schema::WalRecord::TRANSACTION_APPLIED};
  std::size_t uid_slot = 0, client_slot = 0;
  unsigned user_id_word = 0, amount_word = 0, at_word = 0, recorded_at_word = 0;  // 64-bit fields
  unsigned kind_bit = 0, timestamp_given_bit = 0;                                // within the data section
  Member user{capnp::Schema::from<schema::WalRecord>(), capnp::Schema::from<schema::UserCreated>(), "userCreated",
              schema::WalRecord::USER_CREATED};
  std::size_t name_slot = 0, key_slot = 0, user_client_slot = 0;
  unsigned id_word = 0, created_at_word = 0, threshold_word = 0;

  Layout() {
    const capnp::StructSchema root = capnp::Schema::from<schema::WalRecord>();
    const auto root_layout = root.getProto().getStruct();
    record_data = root_layout.getDataWordCount();
    record_pointers = root_layout.getPointerCount();
    discriminant_bit = root_layout.getDiscriminantOffset() * 16u;
    root_pointer_word = struct_pointer(0, record_data, record_pointers);
    for (Member* m : {&transaction, &user}) {
      // The member struct starts right after the root's pointers: offset counted from the end of its pointer.
      m->pointer_word = struct_pointer(record_pointers - (m->slot + 1), m->data, m->pointers);
      m->head = 2 + record_data + record_pointers + m->data + m->pointers;
    }
    const capnp::StructSchema tx = capnp::Schema::from<schema::TransactionApplied>();
    uid_slot = Member::offset(tx, "uid");
    client_slot = Member::offset(tx, "client");
    user_id_word = Member::offset(tx, "userId");
    amount_word = Member::offset(tx, "amountMinor");
    at_word = Member::offset(tx, "atMicros");
    recorded_at_word = Member::offset(tx, "recordedAtMicros");
    kind_bit = Member::offset(tx, "kind") * 16u;
    timestamp_given_bit = Member::offset(tx, "timestampGiven");
    const capnp::StructSchema created = capnp::Schema::from<schema::UserCreated>();
    name_slot = Member::offset(created, "name");
    key_slot = Member::offset(created, "idempotencyKey");
    user_client_slot = Member::offset(created, "client");
    id_word = Member::offset(created, "id");
    created_at_word = Member::offset(created, "createdAtMicros");
    threshold_word = Member::offset(created, "lowBalanceThresholdMinor");
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
// the member struct's first word (its data words checked against the schema), or 0 when the message does not
// start canonically for `member`.
std::size_t canonical_root(const Words& words, const Layout& l, const Member& member) {
  if (words.count() <= member.head) return 0;
  if (words[0] != (std::uint64_t{words.count() - 1} << 32)) return 0;  // one segment, the whole payload
  if (words[1] != l.root_pointer_word) return 0;
  const std::size_t root = 2;
  if (words.bits(root, l.discriminant_bit, 16) != member.discriminant) return 0;  // another kind: declined early
  for (std::size_t i = 0; i < l.record_data; ++i)
    if (!l.record.known_data_word(i, words[root + i])) return 0;
  const std::size_t pointers = root + l.record_data, at = pointers + l.record_pointers;
  for (std::size_t i = 0; i < l.record_pointers; ++i)
    if (words[pointers + i] != (i == member.slot ? member.pointer_word : 0)) return 0;
  for (std::size_t i = 0; i < member.data; ++i)
    if (!member.known.known_data_word(i, words[at + i])) return 0;
  return at;
}

// The member's texts in encoding order (`slots`), each null (read as "", as the general decode reads it) or laid
// out right after the one before, the first right after the member's pointers, the last ending the message; every
// other pointer null. False: not canonical.
template <std::size_t count>
bool canonical_texts(const Words& words, std::size_t at, const Member& member, const std::size_t (&slots)[count],
                     std::string_view (&texts)[count]) {
  const std::size_t pointers = at + member.data;
  for (std::size_t i = 0; i < member.pointers; ++i) {  // pointers the schema does not name: not canonical
    bool named = false;
    for (std::size_t slot : slots) named = named || slot == i;
    if (!named && words[pointers + i] != 0) return false;
  }
  std::size_t next = pointers + member.pointers;
  for (std::size_t k = 0; k < count; ++k) {
    texts[k] = std::string_view();
    if (words[pointers + slots[k]] == 0) continue;
    std::size_t spanned = 0;
    if (!canonical_text(words, pointers + slots[k], next, texts[k], spanned)) return false;
    next += spanned;
  }
  return next == words.count();
}

// Reserved, then appended: an assign into a short string takes libstdc++'s slow replace path.
void fill_text(std::string& out, std::string_view text) {
  out.clear();
  out.reserve(text.size());
  out.append(text.data(), text.size());
}

bool plausible_payload(std::string_view payload) {
  return payload.size() % 8 == 0 && payload.size() <= limits::wal_record_bytes_max;
}

}  // namespace

bool decode_canonical_transaction(std::string_view payload, TransactionApplied& out) {
  const Layout& l = layout();
  if (!plausible_payload(payload)) return false;
  const Words words(payload);
  const std::size_t tx = canonical_root(words, l, l.transaction);
  if (tx == 0) return false;
  // The uid's text first, right after the pointers; then the client's, or no client (a null pointer).
  std::string_view texts[2];
  if (!canonical_texts(words, tx, l.transaction, {l.uid_slot, l.client_slot}, texts)) return false;
  switch (words.bits(tx, l.kind_bit, 16)) {
    case static_cast<std::uint64_t>(schema::TxKind::DEPOSIT): out.kind = TxKind::deposit; break;
    case static_cast<std::uint64_t>(schema::TxKind::WITHDRAW): out.kind = TxKind::withdraw; break;
    default: return false;
  }
  fill_text(out.uid, texts[0]);
  out.user_id = words[tx + l.user_id_word];
  out.amount = static_cast<std::int64_t>(words[tx + l.amount_word]);
  out.at = static_cast<std::int64_t>(words[tx + l.at_word]);
  out.timestamp_given = words.bits(tx, l.timestamp_given_bit, 1) != 0;
  out.client.clear();
  if (!texts[1].empty()) out.client.append(texts[1].data(), texts[1].size());
  out.recorded_at = static_cast<std::int64_t>(words[tx + l.recorded_at_word]);
  return check_record(out) == RecordFault::none;
}

bool decode_canonical_user(std::string_view payload, UserCreated& out) {
  const Layout& l = layout();
  if (!plausible_payload(payload)) return false;
  const Words words(payload);
  const std::size_t user = canonical_root(words, l, l.user);
  if (user == 0) return false;
  // Name, idempotency key (written even when empty), then the client or none: the encoder's order.
  std::string_view texts[3];
  if (!canonical_texts(words, user, l.user, {l.name_slot, l.key_slot, l.user_client_slot}, texts)) return false;
  out.id = words[user + l.id_word];
  fill_text(out.name, texts[0]);
  fill_text(out.idempotency_key, texts[1]);
  out.created_at = static_cast<std::int64_t>(words[user + l.created_at_word]);
  fill_text(out.client, texts[2]);
  out.low_balance_threshold = static_cast<std::int64_t>(words[user + l.threshold_word]);
  return check_record(out) == RecordFault::none;
}

namespace {

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
  return 8 * (layout().transaction.head + text_words(record.uid) + client);
}

void encode_canonical_transaction(const TransactionApplied& record, char* out) {
  const Layout& l = layout();
  const std::size_t words = canonical_transaction_bytes(record) / 8, head = l.transaction.head;
  put_le64(out, std::uint64_t{words - 1} << 32);  // segment table: one segment (count - 1 = 0), its words
  put_le64(out + 8, l.root_pointer_word);
  const std::size_t root = 2, root_pointers = root + l.record_data, tx = root_pointers + l.record_pointers;
  put_bits(out, root, l.discriminant_bit, l.transaction.discriminant);
  put_le64(out + 8 * (root_pointers + l.transaction.slot), l.transaction.pointer_word);
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
  const std::size_t tx_pointers = tx + l.transaction.data;
  put_text(out, tx_pointers + l.uid_slot, head, record.uid);
  if (!record.client.empty()) put_text(out, tx_pointers + l.client_slot, head + text_words(record.uid), record.client);
}

}  // namespace tally::wal::detail
