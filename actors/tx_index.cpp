// TxIndex: per shard, durable transactions live as packed, variable-length entries in fixed byte chunks (never
// moved), and an open-addressing table of (hash tag, entry offset) finds them; in-flight claims sit in a small
// side map.
//
// Entry layout (little-endian, unaligned):
//   0  i64  at
//   8  u64  amount (50 bits) | withdraw (1) | timestamp given (1) | user id bits 0..11 (12)
//  16  u16  user id bits 12..25 (14) | uid form (2)
//  18  uid: form raw: [length byte][bytes]; forms uuid_lower / uuid_upper: the 16 bytes a canonical
//      8-4-4-4-12 hex uuid spells (36 characters stored in 16).
// A uid has exactly one form (lower-case hex uuid, else upper-case hex uuid, else raw), so two uids are equal
// exactly when their forms and stored bytes are.
//
// The table places a tag t (the hash's high 32 bits) at slot (t * slots) >> 32 and probes linearly, so any
// size works (it grows by 1.5x at a load of 0.8, or is sized up front by reserve()), and entries stay in tag
// order, which makes growing a sequential pass. Recovery stages entries without looking them up (stage_bulk) and
// places them later in tag order (settle), so the table is also filled in one sequential pass per shard rather
// than with a cache miss per transaction.
#include "actors/tx_index.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "ledger/limits.hpp"

namespace tally {

namespace {

constexpr std::size_t arena_chunk_bytes = 64 * 1024;
constexpr std::size_t table_slots_min = 1024;
constexpr std::size_t load_num = 4, load_den = 5;  // grow beyond a load of 0.8

constexpr std::size_t header_bytes = 18;
constexpr std::size_t uuid_chars = 36, uuid_bytes = 16;
constexpr std::size_t entry_bytes_max = header_bytes + 1 + limits::uid_bytes_max;

constexpr unsigned amount_bits = 50, user_low_bits = 12, user_high_bits = 14;
constexpr std::uint64_t flag_withdraw = 1ull << amount_bits, flag_timestamp_given = 1ull << (amount_bits + 1);
static_assert(limits::amount_minor_max < (1ll << amount_bits), "amounts must fit the packed entry");
static_assert(limits::users_max <= (1ull << (user_low_bits + user_high_bits)), "user ids must fit the packed entry");
static_assert(limits::uid_bytes_max < 256, "uid length must fit one byte");
static_assert(amount_bits + 2 + user_low_bits == 64 && user_high_bits + 2 == 16, "the packed header is full");

enum UidForm : std::uint8_t { form_raw = 0, form_uuid_lower = 1, form_uuid_upper = 2 };

[[noreturn]] void impossible(const char* what) {
  std::fprintf(stderr, "TxIndex invariant violated: %s\n", what);
  std::abort();
}

std::uint64_t hash_uid(std::string_view uid) { return std::hash<std::string_view>{}(uid); }

// Value of each character as a hex digit of one case, -1 if it is not one.
struct HexDigits {
  std::int8_t lower[256], upper[256];
  constexpr HexDigits() : lower(), upper() {
    for (int c = 0; c < 256; ++c) {
      lower[c] = upper[c] = -1;
      if (c >= '0' && c <= '9') lower[c] = upper[c] = static_cast<std::int8_t>(c - '0');
      if (c >= 'a' && c <= 'f') lower[c] = static_cast<std::int8_t>(c - 'a' + 10);
      if (c >= 'A' && c <= 'F') upper[c] = static_cast<std::int8_t>(c - 'A' + 10);
    }
  }
};
constexpr HexDigits hex_digits;

// Where the 32 digits of a canonical uuid (8-4-4-4-12) are.
constexpr std::array<std::uint8_t, 32> uuid_digit_positions = {
    0,  1,  2,  3,  4,  5,  6,  7,  9,  10, 11, 12, 14, 15, 16, 17,
    19, 20, 21, 22, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35};

// A uid in the form it is stored in: compared as (form, bytes), written after the entry header.
struct PackedUid {
  UidForm form = form_raw;
  std::uint8_t size = 0;  // bytes used in `bytes` (raw: the length byte included)
  char bytes[1 + limits::uid_bytes_max];

  explicit PackedUid(std::string_view uid) {
    if (uid.size() > limits::uid_bytes_max) impossible("uid longer than limits::uid_bytes_max");
    if (uid.size() == uuid_chars && (pack_uuid(uid, false) || pack_uuid(uid, true))) return;
    form = form_raw;
    bytes[0] = static_cast<char>(uid.size());
    std::memcpy(bytes + 1, uid.data(), uid.size());
    size = static_cast<std::uint8_t>(uid.size() + 1);
  }

 private:
  bool pack_uuid(std::string_view uid, bool upper) {
    if (uid[8] != '-' || uid[13] != '-' || uid[18] != '-' || uid[23] != '-') return false;
    const std::int8_t* digit = upper ? hex_digits.upper : hex_digits.lower;
    int bad = 0;  // negative once any digit is not one
    for (std::size_t k = 0; k < uuid_bytes; ++k) {
      // The table holds -1 for a non-digit, so widening its int8_t with its sign is the point.
      // NOLINTNEXTLINE(bugprone-signed-char-misuse,cert-str34-c)
      const int high = digit[static_cast<unsigned char>(uid[uuid_digit_positions[2 * k]])];
      // NOLINTNEXTLINE(bugprone-signed-char-misuse,cert-str34-c)
      const int low = digit[static_cast<unsigned char>(uid[uuid_digit_positions[2 * k + 1]])];
      bad |= high | low;
      bytes[k] = static_cast<char>(((high & 15) << 4) | (low & 15));
    }
    if (bad < 0) return false;
    form = upper ? form_uuid_upper : form_uuid_lower;
    size = uuid_bytes;
    return true;
  }
};

std::string unpack_uid(UidForm form, const char* p) {
  if (form == form_raw) return std::string(p + 1, static_cast<unsigned char>(p[0]));
  const char* digits = form == form_uuid_upper ? "0123456789ABCDEF" : "0123456789abcdef";
  std::string uid(uuid_chars, '-');
  for (std::size_t k = 0; k < uuid_bytes; ++k) {
    const unsigned byte = static_cast<unsigned char>(p[k]);
    uid[uuid_digit_positions[2 * k]] = digits[byte >> 4];
    uid[uuid_digit_positions[2 * k + 1]] = digits[byte & 15];
  }
  return uid;
}

template <class T>
T load(const char* p) {
  T value;
  std::memcpy(&value, p, sizeof value);
  return value;
}

template <class T>
void store(char* p, T value) {
  std::memcpy(p, &value, sizeof value);
}

// The slot for tag t in a table of n slots: t * n / 2^32, so slot order follows tag order.
std::size_t home_of(std::uint64_t tag, std::size_t n) { return static_cast<std::size_t>((tag * n) >> 32); }

// A zeroed array of table slots. From 1.5 MiB on it is mapped on its own, 2 MiB-aligned, rounded up to whole
// 2 MiB (more slots: a lower load) and marked for transparent huge pages: the table is read at random, and with
// 4 KiB pages nearly every lookup in a big table also missed the TLB. Smaller ones come from calloc. Either
// way fresh pages come zeroed from the kernel and are only touched when used.
class SlotArray {
 public:
  static constexpr std::size_t huge_page_bytes = 2u << 20;

  SlotArray() = default;
  // Raises `slots` when rounding up.
  explicit SlotArray(std::size_t& slots) {
    std::size_t bytes = slots * sizeof(std::uint64_t);
    if (bytes >= huge_page_bytes / 4 * 3) {
      bytes = (bytes + huge_page_bytes - 1) / huge_page_bytes * huge_page_bytes;
      void* p = ::mmap(nullptr, bytes + huge_page_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (p != MAP_FAILED) {
        const auto start = reinterpret_cast<std::uintptr_t>(p);
        const std::uintptr_t aligned = (start + huge_page_bytes - 1) & ~(std::uintptr_t{huge_page_bytes} - 1);
        if (aligned > start) ::munmap(p, aligned - start);
        const std::uintptr_t tail = start + bytes + huge_page_bytes - (aligned + bytes);
        // Integer arithmetic on our own mapping's address aligns it to a huge page: the int-to-pointer casts
        // below are the point (performance-no-int-to-ptr).
        // NOLINTNEXTLINE(performance-no-int-to-ptr)
        if (tail > 0) ::munmap(reinterpret_cast<void*>(aligned + bytes), tail);
        // A hint, fine if refused.
        ::madvise(reinterpret_cast<void*>(aligned), bytes, MADV_HUGEPAGE);  // NOLINT(performance-no-int-to-ptr)
        data_ = reinterpret_cast<std::uint64_t*>(aligned);  // NOLINT(performance-no-int-to-ptr)
        mapped_bytes_ = bytes;
        slots = bytes / sizeof(std::uint64_t);
        return;
      }
    }
    data_ = static_cast<std::uint64_t*>(std::calloc(slots, sizeof(std::uint64_t)));
    if (data_ == nullptr) throw std::bad_alloc();
  }
  SlotArray(SlotArray&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)), mapped_bytes_(std::exchange(other.mapped_bytes_, 0)) {}
  SlotArray& operator=(SlotArray&& other) noexcept {
    if (this != &other) {
      release();
      data_ = std::exchange(other.data_, nullptr);
      mapped_bytes_ = std::exchange(other.mapped_bytes_, 0);
    }
    return *this;
  }
  ~SlotArray() { release(); }

  std::uint64_t* get() const { return data_; }
  std::uint64_t& operator[](std::size_t i) const { return data_[i]; }

 private:
  void release() {
    if (mapped_bytes_ > 0) {
      ::munmap(data_, mapped_bytes_);
    } else {
      std::free(data_);
    }
    data_ = nullptr;
    mapped_bytes_ = 0;
  }
  std::uint64_t* data_ = nullptr;
  std::size_t mapped_bytes_ = 0;
};

// Stable LSD radix sort of slot values by their tag (high 32 bits), a byte per pass: equal tags keep their order.
void sort_by_tag(std::uint64_t* slots, std::size_t n) {
  std::size_t spare_slots = n;
  SlotArray spare(spare_slots);
  std::uint64_t* from = slots;
  std::uint64_t* to = spare.get();
  for (unsigned shift = 32; shift < 64; shift += 8) {
    std::array<std::size_t, 257> start{};
    for (std::size_t i = 0; i < n; ++i) ++start[((from[i] >> shift) & 255) + 1];
    for (std::size_t d = 0; d < 256; ++d) start[d + 1] += start[d];
    for (std::size_t i = 0; i < n; ++i) to[start[(from[i] >> shift) & 255]++] = from[i];
    std::swap(from, to);
  }
  // Four passes: the sorted slots are back in `slots`.
}
}  // namespace

struct TxIndex::Shard {
  mutable std::mutex mutex;
  std::vector<std::unique_ptr<char[]>> arena_chunks;
  std::size_t arena_used_in_last = arena_chunk_bytes;  // forces the first chunk
  std::uint32_t records = 0;
  SlotArray table;  // 0 = empty; else (tag << 32) | (entry offset + 1)
  std::size_t slots = 0;
  std::unordered_map<std::string, std::vector<Retry>> pending;
  SlotArray staged;  // slots of entries written by stage() but not yet placed in the table
  std::size_t staged_count = 0, staged_capacity = 0, staged_hint = 0;
  std::optional<TransactionApplied> reused;  // a staged record whose uid was already there (not placed)

  const char* entry(std::uint32_t offset) const {
    return arena_chunks[offset / arena_chunk_bytes].get() + offset % arena_chunk_bytes;
  }

  static UidForm form_of(const char* e) { return static_cast<UidForm>(load<std::uint16_t>(e + 16) >> user_high_bits); }

  static bool same_uid(const char* e, const PackedUid& uid) {
    if (form_of(e) != uid.form) return false;
    // Raw: the length byte first, so the comparison never reads past a shorter stored uid.
    if (uid.form == form_raw && e[header_bytes] != uid.bytes[0]) return false;
    return std::memcmp(e + header_bytes, uid.bytes, uid.size) == 0;
  }

  // A slot keeps the hash's high 32 bits and places by them too, so growing the table never rereads a uid.
  // (The low bits pick the shard.) A slot is never 0 because it holds the entry offset + 1.
  static std::uint64_t tag_of(std::uint64_t hash) { return hash >> 32; }

  // Entry offset of uid, or -1.
  std::int64_t find(const PackedUid& uid, std::uint64_t hash) const {
    if (slots == 0) return -1;
    const std::uint64_t tag = tag_of(hash);
    for (std::size_t i = home_of(tag, slots);;) {
      const std::uint64_t slot = table[i];
      if (slot == 0) return -1;
      if ((slot >> 32) == tag) {
        const std::uint32_t offset = static_cast<std::uint32_t>(slot) - 1;
        if (same_uid(entry(offset), uid)) return offset;
      }
      if (++i == slots) i = 0;
    }
  }

  static void place_slot(std::uint64_t* t, std::size_t n, std::uint64_t slot) {
    std::size_t i = home_of(slot >> 32, n);
    while (t[i] != 0) {
      if (++i == n) i = 0;
    }
    t[i] = slot;
  }

  void resize_table(std::size_t new_slots) {
    SlotArray fresh(new_slots);
    // In tag order, so each slot lands at or just after the previous one's: a sequential pass over both.
    // Slots that wrapped around the old table's end (placed at its start) are taken last.
    std::size_t first = 0;
    while (first < slots && table[first] != 0 && home_of(table[first] >> 32, slots) > first) ++first;
    for (std::size_t i = first; i < slots; ++i) {
      if (table[i] != 0) place_slot(fresh.get(), new_slots, table[i]);
    }
    for (std::size_t i = 0; i < first; ++i) place_slot(fresh.get(), new_slots, table[i]);
    table = std::move(fresh);
    slots = new_slots;
  }

  void grow_table_if_needed() {
    if ((static_cast<std::size_t>(records) + 1) * load_den <= slots * load_num) return;
    resize_table(std::max(table_slots_min, slots + slots / 2));
  }

  void reserve(std::size_t transactions) {
    staged_hint = transactions;
    const std::size_t want = transactions * load_den / load_num + 1;
    if (want > slots && want <= UINT32_MAX) resize_table(std::max(table_slots_min, want));
  }

  char* allocate_entry(std::size_t bytes, std::uint32_t& offset) {
    if (arena_used_in_last + bytes > arena_chunk_bytes) {
      if (arena_chunks.size() >= UINT32_MAX / arena_chunk_bytes) impossible("more than 4 GiB of entries in one shard");
      arena_chunks.emplace_back(new char[arena_chunk_bytes]);  // not value-initialised: every byte used is written
      arena_used_in_last = 0;
    }
    offset = static_cast<std::uint32_t>((arena_chunks.size() - 1) * arena_chunk_bytes + arena_used_in_last);
    char* p = arena_chunks.back().get() + arena_used_in_last;
    arena_used_in_last += bytes;
    return p;
  }

  void insert(const TransactionApplied& tx, const PackedUid& uid, std::uint64_t hash) {
    grow_table_if_needed();
    place_slot(table.get(), slots, write_entry(tx, uid, hash));
  }

  // Writes the entry and counts it; returns its table slot value.
  std::uint64_t write_entry(const TransactionApplied& tx, const PackedUid& uid, std::uint64_t hash) {
    if (records == UINT32_MAX - 1) impossible("more than 4 billion transactions in one shard");
    if (tx.amount < 0 || tx.amount > limits::amount_minor_max) impossible("amount out of range");
    if (tx.user_id >= limits::users_max) impossible("user id out of range");
    std::uint32_t offset = 0;
    char* e = allocate_entry(header_bytes + uid.size, offset);
    const std::uint64_t user = tx.user_id;
    std::uint64_t word = static_cast<std::uint64_t>(tx.amount) | (user << (amount_bits + 2));
    if (tx.kind == TxKind::withdraw) word |= flag_withdraw;
    if (tx.timestamp_given) word |= flag_timestamp_given;
    store<std::int64_t>(e, tx.at);
    store<std::uint64_t>(e + 8, word);
    store<std::uint16_t>(e + 16, static_cast<std::uint16_t>((user >> user_low_bits) |
                                                            (static_cast<unsigned>(uid.form) << user_high_bits)));
    std::memcpy(e + header_bytes, uid.bytes, uid.size);
    ++records;
    return (tag_of(hash) << 32) | (static_cast<std::uint64_t>(offset) + 1);
  }

  // --- staged (bulk) restore: entries written, slots kept aside in `staged` until settle() ---
  void stage(const TransactionApplied& tx, const PackedUid& uid, std::uint64_t hash) {
    if (staged_count == staged_capacity) {
      std::size_t capacity = std::max({staged_hint, table_slots_min, 2 * staged_capacity});
      SlotArray bigger(capacity);
      if (staged_count > 0) std::memcpy(bigger.get(), staged.get(), staged_count * sizeof(std::uint64_t));
      staged = std::move(bigger);
      staged_capacity = capacity;
    }
    staged[staged_count++] = write_entry(tx, uid, hash);
  }

  static bool same_entry_uid(const char* a, const char* b) {
    const UidForm form = form_of(a);
    if (form != form_of(b)) return false;
    const std::size_t n = form == form_raw ? 1 + static_cast<unsigned char>(a[header_bytes]) : uuid_bytes;
    if (form == form_raw && a[header_bytes] != b[header_bytes]) return false;
    return std::memcmp(a + header_bytes, b + header_bytes, n) == 0;
  }

  // Places the staged slots in tag order: each lookup starts at or after the previous one's slot, so the pass
  // over the table is sequential instead of one cache (and TLB) miss per record. A uid met again (the same tag,
  // the same uid) is not placed; the first such is kept in `reused`.
  void settle() {
    if (staged_count == 0) return;
    sort_by_tag(staged.get(), staged_count);
    if (records * load_den > slots * load_num) resize_table(std::max(table_slots_min, records * load_den / load_num + 1));
    for (std::size_t k = 0; k < staged_count; ++k) {
      const std::uint64_t slot = staged[k];
      const std::uint64_t tag = slot >> 32;
      const char* e = entry(static_cast<std::uint32_t>(slot) - 1);
      bool taken = false;
      std::size_t i = home_of(tag, slots);
      for (; table[i] != 0; i = (i + 1 == slots) ? 0 : i + 1) {
        if ((table[i] >> 32) == tag && same_entry_uid(entry(static_cast<std::uint32_t>(table[i]) - 1), e)) {
          taken = true;
          break;
        }
      }
      if (taken) {
        if (!reused) reused = materialise(static_cast<std::uint32_t>(slot) - 1);
        --records;  // its entry stays in the arena, unreachable
        continue;
      }
      table[i] = slot;
    }
    staged = SlotArray();
    staged_count = staged_capacity = 0;
  }

  TransactionApplied materialise(std::uint32_t offset) const {
    const char* e = entry(offset);
    const std::uint64_t word = load<std::uint64_t>(e + 8);
    const std::uint16_t high = load<std::uint16_t>(e + 16);
    TransactionApplied tx;
    tx.uid = unpack_uid(form_of(e), e + header_bytes);
    tx.user_id = (word >> (amount_bits + 2)) |
                 (static_cast<std::uint64_t>(high & ((1u << user_high_bits) - 1)) << user_low_bits);
    tx.kind = (word & flag_withdraw) ? TxKind::withdraw : TxKind::deposit;
    tx.amount = static_cast<MinorUnits>(word & ((1ull << amount_bits) - 1));
    tx.at = load<std::int64_t>(e);
    tx.timestamp_given = (word & flag_timestamp_given) != 0;
    return tx;
  }
};

static_assert(entry_bytes_max < arena_chunk_bytes, "an entry must fit a chunk");

TxIndex::TxIndex() {
  for (auto& shard : shards_) shard = std::make_unique<Shard>();
}

TxIndex::~TxIndex() = default;

TxIndex::Claim TxIndex::claim_impl(const std::string& uid, Retry (*make_retry)(void*), void* context) {
  const std::uint64_t hash = hash_uid(uid);
  const PackedUid packed(uid);
  Shard& shard = *shards_[hash % shard_count];
  std::lock_guard<std::mutex> lock(shard.mutex);
  shard.settle();
  const std::int64_t n = shard.find(packed, hash);
  if (n >= 0) return Claim{ClaimResult::committed, shard.materialise(static_cast<std::uint32_t>(n))};
  auto [it, inserted] = shard.pending.try_emplace(uid);
  if (inserted) return Claim{ClaimResult::claimed, std::nullopt};
  it->second.push_back(make_retry(context));
  return Claim{ClaimResult::waiting, std::nullopt};
}

void TxIndex::commit(const TransactionApplied& record) {
  const std::uint64_t hash = hash_uid(record.uid);
  const PackedUid packed(record.uid);
  Shard& shard = *shards_[hash % shard_count];
  std::vector<Retry> waiters;
  {
    std::lock_guard<std::mutex> lock(shard.mutex);
    shard.settle();
    auto it = shard.pending.find(record.uid);
    if (it == shard.pending.end()) impossible("commit of a uid that is not claimed");
    waiters = std::move(it->second);
    shard.pending.erase(it);
    shard.insert(record, packed, hash);
  }
  for (Retry& retry : waiters) retry();
}

void TxIndex::release(const std::string& uid) {
  Shard& shard = *shards_[hash_uid(uid) % shard_count];
  std::vector<Retry> waiters;
  {
    std::lock_guard<std::mutex> lock(shard.mutex);
    auto it = shard.pending.find(uid);
    if (it == shard.pending.end()) impossible("release of a uid that is not claimed");
    waiters = std::move(it->second);
    shard.pending.erase(it);
  }
  for (Retry& retry : waiters) retry();
}

namespace {
bool restorable(const TransactionApplied& record) {
  // Anything the codec lets through; refused rather than stored truncated.
  return !record.uid.empty() && record.uid.size() <= limits::uid_bytes_max && record.amount >= 1 &&
         record.amount <= limits::amount_minor_max && record.user_id < limits::users_max;
}
}  // namespace

bool TxIndex::restore(const TransactionApplied& record) {
  if (!restorable(record)) return false;
  const std::uint64_t hash = hash_uid(record.uid);
  const PackedUid packed(record.uid);
  Shard& shard = *shards_[hash % shard_count];
  std::lock_guard<std::mutex> lock(shard.mutex);
  shard.settle();
  if (shard.find(packed, hash) >= 0) return false;
  shard.insert(record, packed, hash);
  return true;
}

std::size_t TxIndex::stage_bulk(const TransactionApplied* const* records, std::size_t count) {
  for (std::size_t i = 0; i < count; ++i) {
    if (!restorable(*records[i])) return i;
  }
  // Every shard locked at once (in index order; no other path holds two), for one pass in the records' order:
  // each record and uid is read once, in the order they were allocated, and nothing is looked up.
  std::array<std::unique_lock<std::mutex>, shard_count> locks;
  for (std::size_t k = 0; k < shard_count; ++k) locks[k] = std::unique_lock<std::mutex>(shards_[k]->mutex);
  for (std::size_t i = 0; i < count; ++i) {
    const TransactionApplied& record = *records[i];
    const std::uint64_t hash = hash_uid(record.uid);
    shards_[hash % shard_count]->stage(record, PackedUid(record.uid), hash);
  }
  return count;
}

std::optional<TransactionApplied> TxIndex::settle_staged(std::size_t part, std::size_t parts) {
  std::optional<TransactionApplied> reused;
  for (std::size_t k = part; k < shard_count; k += std::max<std::size_t>(parts, 1)) {
    Shard& shard = *shards_[k];
    std::lock_guard<std::mutex> lock(shard.mutex);
    shard.settle();
    if (shard.reused && !reused) reused = std::move(shard.reused);
    shard.reused.reset();  // reported (one per call is enough: it refuses the log)
  }
  return reused;
}

void TxIndex::reserve(std::size_t transactions) {
  // Shards fill evenly (by hash); 1/64 of the total plus a margin of a few standard deviations.
  const std::size_t per_shard = transactions / shard_count;
  const std::size_t margin = 64 + 4 * static_cast<std::size_t>(std::sqrt(static_cast<double>(per_shard)));
  for (auto& shard : shards_) {
    std::lock_guard<std::mutex> lock(shard->mutex);
    shard->reserve(per_shard + margin);
  }
}

std::optional<TransactionApplied> TxIndex::find_committed(std::string_view uid) const {
  if (uid.empty() || uid.size() > limits::uid_bytes_max) return std::nullopt;
  const std::uint64_t hash = hash_uid(uid);
  const PackedUid packed(uid);
  // Settling staged records changes no observable content: a const lookup may do it (the shard is not const).
  Shard& shard = *shards_[hash % shard_count];
  std::lock_guard<std::mutex> lock(shard.mutex);
  shard.settle();
  const std::int64_t n = shard.find(packed, hash);
  if (n < 0) return std::nullopt;
  return shard.materialise(static_cast<std::uint32_t>(n));
}

std::size_t TxIndex::size() const {
  std::size_t total = 0;
  for (const auto& shard : shards_) {
    std::lock_guard<std::mutex> lock(shard->mutex);
    shard->settle();
    total += shard->records;
  }
  return total;
}

std::size_t TxIndex::memory_bytes() const {
  std::size_t total = 0;
  for (const auto& shard : shards_) {
    std::lock_guard<std::mutex> lock(shard->mutex);
    total += shard->arena_chunks.size() * arena_chunk_bytes +
             (shard->slots + shard->staged_capacity) * sizeof(std::uint64_t);
  }
  return total;
}

}  // namespace tally
