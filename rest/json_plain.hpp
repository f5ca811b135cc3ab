// The fast path of read_json (rest/json_fields.hpp) for the bodies clients send every time: an object, or an
// array of objects, of plain scalar fields (ASCII strings without escapes, non-negative numbers without an
// exponent, null, true, false). It reads exactly that subset and gives up on anything else, leaving the body to
// the full reader, which is also the one that words every error: what it accepts, it turns into the document the
// full reader makes (tests/unit/test_json_plain.cpp compares both on valid and damaged bodies).
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

#include "rest/json_fields.hpp"

namespace tally::rest {

// true: `doc` holds the body's document, ok. false: the body is outside the plain subset (or not JSON, or has
// more than objects_max elements); `doc` is unspecified and the caller reads the body with the full reader.
bool read_plain_json(std::string_view body, std::size_t objects_max, JsonDocument& doc);

// A field of a plain body, as views of the body's bytes (valid while the body is): what a batch of 1,000 items
// reads without a string, a vector or an allocation per item.
struct JsonFieldView {
  std::string_view key;
  JsonKind kind = JsonKind::null;
  std::string_view text;  // as JsonField::text (the subset's strings hold no escapes: their bytes are the value)
};

class JsonObjectView {
 public:
  JsonObjectView(const JsonFieldView* first, const JsonFieldView* last) : first_(first), last_(last) {}
  const JsonFieldView* begin() const { return first_; }
  const JsonFieldView* end() const { return last_; }

 private:
  const JsonFieldView* first_;
  const JsonFieldView* last_;
};

// A top-level array of objects in the plain subset, its fields back to back (vectors reused from body to body).
struct PlainArray {
  std::vector<JsonFieldView> fields;
  std::vector<std::size_t> object_ends;  // object k's fields end here (and k + 1's begin)

  std::size_t size() const { return object_ends.size(); }
  JsonObjectView object(std::size_t k) const {
    const std::size_t first = k == 0 ? 0 : object_ends[k - 1];
    return JsonObjectView(fields.data() + first, fields.data() + object_ends[k]);
  }
};

// The same subset as read_plain_json, for a body that is an array of objects: true and `out` holds exactly the
// document read_plain_json would make (as views); false for anything else (a top-level object included), and the
// caller reads the body the usual way (read_json).
bool read_plain_array(std::string_view body, std::size_t objects_max, PlainArray& out);
// The same for a body that is one object (a single PUT's): true and out.object(0) holds the fields read_plain_json
// would make (as views); false for anything else (an array included): the caller reads the body with read_json.
bool read_plain_object(std::string_view body, PlainArray& out);
const JsonFieldView* find_field(const JsonObjectView& object, std::string_view key);

}  // namespace tally::rest
