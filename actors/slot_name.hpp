// A user's name as its slot keeps it: 16 bytes, not a std::string's 32, since there is one slot per user. Names of
// up to 15 bytes (the usual ones) sit inline; longer ones (up to limits::user_name_bytes_max) in one heap block.
// Written once, before the slot is published; read-only afterwards (like the rest of the slot's identity).
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

#include "ledger/assert.hpp"

namespace tally {

class SlotName {
 public:
  SlotName() = default;
  SlotName(const SlotName&) = delete;
  SlotName& operator=(const SlotName&) = delete;
  ~SlotName() { release(); }

  SlotName& operator=(std::string_view name) {
    release();
    if (name.size() <= inline_max) {
      std::memcpy(bytes_, name.data(), name.size());
      bytes_[tag_at] = static_cast<char>(name.size());
      return *this;
    }
    TALLY_ASSERT(name.size() <= UINT32_MAX, "a user name's length fits 32 bits");
    char* heap = new char[name.size()];
    std::memcpy(heap, name.data(), name.size());
    const auto size = static_cast<std::uint32_t>(name.size());
    std::memcpy(bytes_, &heap, sizeof heap);
    std::memcpy(bytes_ + sizeof heap, &size, sizeof size);
    bytes_[tag_at] = static_cast<char>(heap_tag);
    return *this;
  }

  std::string_view view() const {
    if (!on_heap()) return {bytes_, static_cast<unsigned char>(bytes_[tag_at])};
    const char* heap = nullptr;
    std::uint32_t size = 0;
    std::memcpy(&heap, bytes_, sizeof heap);
    std::memcpy(&size, bytes_ + sizeof heap, sizeof size);
    return {heap, size};
  }

 private:
  static constexpr std::size_t tag_at = 15;  // the inline length, or heap_tag
  static constexpr std::size_t inline_max = 15;
  static constexpr unsigned char heap_tag = 0xff;

  bool on_heap() const { return static_cast<unsigned char>(bytes_[tag_at]) == heap_tag; }
  void release() {
    if (!on_heap()) return;
    char* heap = nullptr;
    std::memcpy(&heap, bytes_, sizeof heap);
    delete[] heap;
    bytes_[tag_at] = 0;
  }

  alignas(8) char bytes_[16] = {};
};
static_assert(sizeof(SlotName) == 16, "a slot name is two words");

}  // namespace tally
