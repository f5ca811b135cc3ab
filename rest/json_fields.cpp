// read_json: nlohmann's SAX parser validates the whole text (UTF-8 included); this handler only records the
// top-level fields. Duplicate keys are refused: two values for "amount" must never be a matter of taste.
#include "rest/json_fields.hpp"

#include <nlohmann/json.hpp>

#include "rest/json_plain.hpp"

namespace tally::rest {

namespace {

class FieldCollector {
 public:
  using json = nlohmann::json;

  explicit FieldCollector(JsonDocument& doc, std::size_t objects_max) : doc_(doc), objects_max_(objects_max) {}

  bool null() { return scalar(JsonKind::null, {}); }
  bool boolean(bool value) { return scalar(JsonKind::boolean, value ? "true" : "false"); }
  bool number_integer(json::number_integer_t value) { return scalar(JsonKind::integer, std::to_string(value)); }
  bool number_unsigned(json::number_unsigned_t value) { return scalar(JsonKind::integer, std::to_string(value)); }
  bool number_float(json::number_float_t, const json::string_t& text) { return scalar(JsonKind::number, text); }
  bool string(json::string_t& value) { return scalar(JsonKind::string, std::move(value)); }
  bool binary(json::binary_t&) { return fail("binary values are not JSON"); }

  bool start_object(std::size_t) {
    ++depth_;
    if (depth_ == 1) {
      doc_.objects.emplace_back();
      return true;
    }
    if (depth_ == 2 && doc_.top_is_array) return begin_element(true);
    return nested(JsonKind::object);
  }
  bool end_object() {
    --depth_;
    return true;
  }
  bool start_array(std::size_t) {
    ++depth_;
    if (depth_ == 1) {
      doc_.top_is_array = true;
      return true;
    }
    if (depth_ == 2 && doc_.top_is_array) return begin_element(false);
    return nested(JsonKind::array);
  }
  bool end_array() {
    --depth_;
    return true;
  }
  bool key(json::string_t& name) {
    if (depth_ == record_depth()) {
      JsonObject& object = doc_.objects.back();
      for (const JsonField& field : object) {
        if (field.key == name) return fail("duplicate field \"" + name + "\"");
      }
      object.push_back(JsonField{std::move(name), JsonKind::null, {}});
      pending_key_ = true;
    }
    return true;
  }
  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception&) {
    return fail("invalid JSON near byte " + std::to_string(position));
  }

 private:
  int record_depth() const { return doc_.top_is_array ? 2 : 1; }

  bool begin_element(bool is_object) {
    if (doc_.objects.size() >= objects_max_) return fail("too many items");
    doc_.objects.emplace_back();
    doc_.element_is_object.push_back(is_object);
    return true;
  }
  bool scalar(JsonKind kind, std::string text) {
    if (depth_ == 0) return fail("the body must be a JSON object");
    if (doc_.top_is_array && depth_ == 1) return begin_element(false);
    if (depth_ == record_depth() && pending_key_) {
      JsonField& field = doc_.objects.back().back();
      field.kind = kind;
      field.text = std::move(text);
      pending_key_ = false;
    }
    return true;
  }
  bool nested(JsonKind kind) {
    // A value one level below a record: record its kind; everything deeper is ignored.
    if (depth_ == record_depth() + 1 && pending_key_) {
      doc_.objects.back().back().kind = kind;
      pending_key_ = false;
    }
    return true;
  }
  bool fail(std::string message) {
    if (doc_.error.empty()) doc_.error = std::move(message);
    return false;
  }

  JsonDocument& doc_;
  std::size_t objects_max_;
  int depth_ = 0;
  bool pending_key_ = false;
};

}  // namespace

JsonDocument read_json(std::string_view body, std::size_t objects_max) {
  JsonDocument doc;
  // Plain bodies (nearly all) take the fast path; anything else, every malformed body included, is read in full.
  if (read_plain_json(body, objects_max, doc)) return doc;
  return read_json_full(body, objects_max);
}

JsonDocument read_json_full(std::string_view body, std::size_t objects_max) {
  JsonDocument doc;
  FieldCollector collector(doc, objects_max);
  bool parsed = false;
  try {
    parsed = nlohmann::json::sax_parse(body.begin(), body.end(), &collector, nlohmann::json::input_format_t::json,
                                       true);
  } catch (const std::exception& e) {
    doc.error = std::string("invalid JSON: ") + e.what();
  }
  doc.ok = parsed && doc.error.empty();
  if (doc.ok && doc.objects.empty() && !doc.top_is_array) {
    doc.ok = false;
    doc.error = "the body must be a JSON object";
  }
  return doc;
}

const JsonField* find_field(const JsonObject& object, std::string_view key) {
  for (const JsonField& field : object) {
    if (field.key == key) return &field;
  }
  return nullptr;
}

}  // namespace tally::rest
