// A strict, allocation-light JSON reader for request bodies: a top-level object (or an array of objects) of
// scalar fields, keeping each number's original text. Nested values are only typed, never interpreted.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tally::rest {

enum class JsonKind { null, boolean, integer, number, string, object, array };

struct JsonField {
  std::string key;
  JsonKind kind = JsonKind::null;
  std::string text;  // string: the decoded value; integer/number: the literal; boolean: "true"/"false"
};

using JsonObject = std::vector<JsonField>;

struct JsonDocument {
  bool ok = false;
  std::string error;            // parse problem, when !ok
  bool top_is_array = false;
  std::vector<JsonObject> objects;  // one for a top-level object; one per element of a top-level array
  std::vector<bool> element_is_object;  // for arrays: false where an element was not an object
};

// objects_max bounds a top-level array (more elements -> !ok with error "too many items").
JsonDocument read_json(std::string_view body, std::size_t objects_max);
// The same without the plain-body fast path (rest/json_plain.hpp): every body through nlohmann. For tests.
JsonDocument read_json_full(std::string_view body, std::size_t objects_max);

const JsonField* find_field(const JsonObject& object, std::string_view key);

}  // namespace tally::rest
