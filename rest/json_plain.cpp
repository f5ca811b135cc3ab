// read_plain_json: one pass, no recursion, no token buffer. The subset is chosen so that its documents are the
// full reader's to the byte: a string is its literal bytes (no escape, no byte outside printable ASCII, so no
// UTF-8 to check), an integer's text is its literal (no sign, at most 19 digits: nlohmann reads it as an
// unsigned value that prints back the same, where "-0" or 20 digits would not), a fraction keeps its literal as
// nlohmann's number text does (no exponent and at most 19 integer digits: no double overflows), and a repeated
// key is left to the full reader's refusal.
#include "rest/json_plain.hpp"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

namespace tally::rest {

namespace {

// Reads the subset and hands each field to a Sink: open_object(in_array) at each object, has_key(key) for the duplicate
// check within the object being read, add(key, kind, text) per field (text empty for null); objects() counts them.
template <class Sink>
class PlainReader {
 public:
  PlainReader(std::string_view body, Sink& sink) : p_(body.data()), end_(body.data() + body.size()), sink_(sink) {}

  // true: the whole body was read (an object, or an array of objects, top_is_array saying which).
  bool document(std::size_t objects_max, bool& top_is_array) {
    skip_space();
    if (p_ == end_) return false;
    if (*p_ == '{') {
      top_is_array = false;
      sink_.open_object(false);
      if (!object()) return false;
    } else if (*p_ == '[') {
      top_is_array = true;
      if (!array(objects_max)) return false;
    } else {
      return false;
    }
    skip_space();
    return p_ == end_;
  }

 private:
  bool array(std::size_t objects_max) {
    ++p_;  // '['
    skip_space();
    if (take(']')) return true;
    for (;;) {
      if (p_ == end_ || *p_ != '{' || sink_.objects() >= objects_max) return false;
      sink_.open_object(true);
      if (!object()) return false;
      skip_space();
      if (take(']')) return true;
      if (!take(',')) return false;
      skip_space();
    }
  }

  bool object() {
    ++p_;  // '{'
    skip_space();
    if (take('}')) return true;
    for (;;) {
      std::string_view key;
      if (!string(key)) return false;
      if (sink_.has_key(key)) return false;  // a duplicate: the full reader refuses it in its words
      skip_space();
      if (!take(':')) return false;
      skip_space();
      JsonKind kind = JsonKind::null;
      std::string_view text;
      if (!value(kind, text)) return false;
      sink_.add(key, kind, text);
      skip_space();
      if (take('}')) return true;
      if (!take(',')) return false;
      skip_space();
    }
  }

  bool value(JsonKind& kind, std::string_view& text) {
    if (p_ == end_) return false;
    switch (*p_) {
      case '"':
        if (!string(text)) return false;
        kind = JsonKind::string;
        return true;
      case 'n':
        if (!word("null")) return false;
        kind = JsonKind::null;
        return true;
      case 't':
        if (!word("true")) return false;
        kind = JsonKind::boolean;
        text = "true";
        return true;
      case 'f':
        if (!word("false")) return false;
        kind = JsonKind::boolean;
        text = "false";
        return true;
      default:
        return number(kind, text);
    }
  }

  // Printable ASCII without '"' or '\\' between the quotes.
  bool string(std::string_view& out) {
    if (p_ == end_ || *p_ != '"') return false;
    const char* begin = ++p_;
    skip_plain_blocks();
    for (; p_ != end_; ++p_) {
      const unsigned char c = static_cast<unsigned char>(*p_);
      if (c == '"') {
        out = std::string_view(begin, static_cast<std::size_t>(p_ - begin));
        ++p_;
        return true;
      }
      if (c < 0x20 || c >= 0x7f || c == '\\') return false;
    }
    return false;
  }

  // Steps over the string's bytes 16 at a time up to the first byte that may end it or leave the subset ('"',
  // '\\', a control byte, 0x7f and above): every byte stepped over is printable ASCII other than those, so the
  // byte loop after it, starting at that first byte, decides exactly as it would have from the string's start.
  void skip_plain_blocks() {
#ifdef __SSE2__
    const __m128i quote = _mm_set1_epi8('"');
    const __m128i backslash = _mm_set1_epi8('\\');
    const __m128i space = _mm_set1_epi8(0x20);
    const __m128i del = _mm_set1_epi8(0x7f);
    while (end_ - p_ >= 16) {
      const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p_));
      // Signed: below 0x20 is a control byte or one of 0x80..0xff; both leave the subset, like 0x7f.
      const __m128i stop = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(bytes, quote), _mm_cmpeq_epi8(bytes, backslash)),
                                        _mm_or_si128(_mm_cmpgt_epi8(space, bytes), _mm_cmpeq_epi8(bytes, del)));
      if (const int stops = _mm_movemask_epi8(stop); stops != 0) {
        p_ += __builtin_ctz(static_cast<unsigned>(stops));  // the plain bytes before the first stop
        return;
      }
      p_ += 16;
    }
#endif
  }

  // JSON's number grammar without the sign and the exponent: 0 | [1-9][0-9]*, then an optional fraction.
  bool number(JsonKind& kind, std::string_view& out) {
    const char* begin = p_;
    if (p_ == end_ || !digit(*p_)) return false;
    if (*p_ == '0') {
      ++p_;
    } else {
      while (p_ != end_ && digit(*p_)) ++p_;
    }
    const std::size_t integer_digits = static_cast<std::size_t>(p_ - begin);
    bool real = false;
    if (p_ != end_ && *p_ == '.') {
      real = true;
      ++p_;
      if (!digits()) return false;
    }
    // An exponent could overflow a double, which nlohmann refuses: the full reader decides.
    if (p_ != end_ && (*p_ == 'e' || *p_ == 'E')) return false;
    if (integer_digits > integer_digits_max) return false;
    kind = real ? JsonKind::number : JsonKind::integer;
    out = std::string_view(begin, static_cast<std::size_t>(p_ - begin));
    return true;
  }

  bool digits() {
    const char* begin = p_;
    while (p_ != end_ && digit(*p_)) ++p_;
    return p_ != begin;
  }
  bool word(std::string_view w) {
    if (static_cast<std::size_t>(end_ - p_) < w.size() || std::string_view(p_, w.size()) != w) return false;
    p_ += w.size();
    return true;
  }
  bool take(char c) {
    if (p_ == end_ || *p_ != c) return false;
    ++p_;
    return true;
  }
  void skip_space() {
    while (p_ != end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
  }
  static bool digit(char c) { return c >= '0' && c <= '9'; }

  static constexpr std::size_t integer_digits_max = 19;  // below 2^64: nlohmann prints an integer back unchanged
  const char* p_;
  const char* end_;
  Sink& sink_;
};

// Fields copied into the document the full reader makes.
class DocumentSink {
 public:
  explicit DocumentSink(JsonDocument& doc) : doc_(doc) {}
  void open_object(bool in_array) {
    doc_.objects.emplace_back();
    doc_.objects.back().reserve(5);  // a transaction's fields
    if (in_array) doc_.element_is_object.push_back(true);
  }
  std::size_t objects() const { return doc_.objects.size(); }
  bool has_key(std::string_view key) const {
    for (const JsonField& field : doc_.objects.back())
      if (field.key == key) return true;
    return false;
  }
  void add(std::string_view key, JsonKind kind, std::string_view text) {
    JsonField& field = doc_.objects.back().emplace_back();
    field.key.assign(key.data(), key.size());
    field.kind = kind;
    field.text.assign(text.data(), text.size());
  }

 private:
  JsonDocument& doc_;
};

// Fields kept as views of the body, back to back.
class ViewSink {
 public:
  explicit ViewSink(PlainArray& out) : out_(out) {}
  void open_object(bool) {
    if (opened_) out_.object_ends.push_back(out_.fields.size());
    opened_ = true;
    object_start_ = out_.fields.size();
  }
  std::size_t objects() const { return opened_ ? out_.object_ends.size() + 1 : 0; }
  bool has_key(std::string_view key) const {
    for (std::size_t k = object_start_; k < out_.fields.size(); ++k)
      if (out_.fields[k].key == key) return true;
    return false;
  }
  void add(std::string_view key, JsonKind kind, std::string_view text) { out_.fields.push_back({key, kind, text}); }
  void close() {
    if (opened_) out_.object_ends.push_back(out_.fields.size());
  }

 private:
  PlainArray& out_;
  bool opened_ = false;
  std::size_t object_start_ = 0;
};

}  // namespace

bool read_plain_json(std::string_view body, std::size_t objects_max, JsonDocument& doc) {
  doc = JsonDocument{};
  DocumentSink sink(doc);
  PlainReader<DocumentSink> reader(body, sink);
  doc.ok = reader.document(objects_max, doc.top_is_array);
  return doc.ok;
}

bool read_plain_array(std::string_view body, std::size_t objects_max, PlainArray& out) {
  out.fields.clear();
  out.object_ends.clear();
  ViewSink sink(out);
  PlainReader<ViewSink> reader(body, sink);
  bool top_is_array = false;
  if (!reader.document(objects_max, top_is_array) || !top_is_array) return false;
  sink.close();
  return true;
}

bool read_plain_object(std::string_view body, PlainArray& out) {
  out.fields.clear();
  out.object_ends.clear();
  ViewSink sink(out);
  PlainReader<ViewSink> reader(body, sink);
  bool top_is_array = false;
  if (!reader.document(0, top_is_array) || top_is_array) return false;
  sink.close();
  return true;
}

const JsonFieldView* find_field(const JsonObjectView& object, std::string_view key) {
  for (const JsonFieldView& field : object)
    if (field.key == key) return &field;
  return nullptr;
}

}  // namespace tally::rest
