// The fast path of read_json (rest/json_fields.hpp) for the bodies clients send every time: an object, or an
// array of objects, of plain scalar fields (ASCII strings without escapes, non-negative numbers without an
// exponent, null, true, false). It reads exactly that subset and gives up on anything else, leaving the body to
// the full reader, which is also the one that words every error: what it accepts, it turns into the document the
// full reader makes (tests/unit/test_json_plain.cpp compares both on valid and damaged bodies).
#pragma once

#include <cstddef>
#include <string_view>

#include "rest/json_fields.hpp"

namespace tally::rest {

// true: `doc` holds the body's document, ok. false: the body is outside the plain subset (or not JSON, or has
// more than objects_max elements); `doc` is unspecified and the caller reads the body with the full reader.
bool read_plain_json(std::string_view body, std::size_t objects_max, JsonDocument& doc);

}  // namespace tally::rest
