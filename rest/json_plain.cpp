// read_plain_json: one pass, no recursion, no token buffer. The subset is chosen so that its documents are the
// full reader's to the byte: a string is its literal bytes (no escape, no byte outside printable ASCII, so no
// UTF-8 to check), an integer's text is its literal (no sign, at most 19 digits: nlohmann reads it as an
// unsigned value that prints back the same, where "-0" or 20 digits would not), a fraction keeps its literal as
// nlohmann's number text does (no exponent and at most 19 integer digits: no double overflows), and a repeated
// key is left to the full reader's refusal.
#include "rest/json_plain.hpp"

namespace tally::rest {

namespace {

class PlainReader {
 public:
  explicit PlainReader(std::string_view body) : p_(body.data()), end_(body.data() + body.size()) {}

  bool document(std::size_t objects_max, JsonDocument& doc) {
    skip_space();
    if (p_ == end_) return false;
    if (*p_ == '{') {
      doc.objects.emplace_back();
      if (!object(doc.objects.back())) return false;
    } else if (*p_ == '[') {
      doc.top_is_array = true;
      if (!array(objects_max, doc)) return false;
    } else {
      return false;
    }
    skip_space();
    doc.ok = p_ == end_;
    return doc.ok;
  }

 private:
  bool array(std::size_t objects_max, JsonDocument& doc) {
    ++p_;  // '['
    skip_space();
    if (take(']')) return true;
    for (;;) {
      if (p_ == end_ || *p_ != '{' || doc.objects.size() >= objects_max) return false;
      doc.objects.emplace_back();
      doc.element_is_object.push_back(true);
      if (!object(doc.objects.back())) return false;
      skip_space();
      if (take(']')) return true;
      if (!take(',')) return false;
      skip_space();
    }
  }

  bool object(JsonObject& out) {
    ++p_;  // '{'
    skip_space();
    if (take('}')) return true;
    out.reserve(5);  // a transaction's fields
    for (;;) {
      std::string_view key;
      if (!string(key)) return false;
      for (const JsonField& field : out)
        if (field.key == key) return false;  // a duplicate: the full reader refuses it in its words
      skip_space();
      if (!take(':')) return false;
      skip_space();
      JsonField field;
      field.key.assign(key.data(), key.size());
      if (!value(field)) return false;
      out.push_back(std::move(field));
      skip_space();
      if (take('}')) return true;
      if (!take(',')) return false;
      skip_space();
    }
  }

  bool value(JsonField& field) {
    if (p_ == end_) return false;
    std::string_view text;
    switch (*p_) {
      case '"':
        if (!string(text)) return false;
        field.kind = JsonKind::string;
        break;
      case 'n':
        if (!word("null")) return false;
        field.kind = JsonKind::null;
        return true;
      case 't':
        if (!word("true")) return false;
        field.kind = JsonKind::boolean;
        text = "true";
        break;
      case 'f':
        if (!word("false")) return false;
        field.kind = JsonKind::boolean;
        text = "false";
        break;
      default:
        if (!number(field.kind, text)) return false;
        break;
    }
    field.text.assign(text.data(), text.size());
    return true;
  }

  // Printable ASCII without '"' or '\\' between the quotes.
  bool string(std::string_view& out) {
    if (p_ == end_ || *p_ != '"') return false;
    const char* begin = ++p_;
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
};

}  // namespace

bool read_plain_json(std::string_view body, std::size_t objects_max, JsonDocument& doc) {
  doc = JsonDocument{};
  PlainReader reader(body);
  return reader.document(objects_max, doc);
}

}  // namespace tally::rest
