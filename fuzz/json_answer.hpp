// For the request-body fuzz targets: every answer the REST layer would send for what they parsed (the record,
// the user, the error) must be valid JSON (nlohmann validates UTF-8 too) and carry the parsed values.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "fuzz_check.hpp"
#include "rest/api_error.hpp"
#include "rest/response_json.hpp"

namespace tally::fuzz {

inline nlohmann::json parse_answer(const std::string& answer) {
  try {
    return nlohmann::json::parse(answer);
  } catch (const nlohmann::json::exception& e) {
    fail(__FILE__, __LINE__, "answer is JSON", std::string(e.what()) + " in " + answer);
  }
}

// A refusal: a 400 or 422 with a code, rendered as a JSON error body.
inline void check_error_answer(const rest::ApiError& error) {
  FUZZ_CHECK(error.status == 400 || error.status == 422, "status " + std::to_string(error.status));
  FUZZ_CHECK(!error.code.empty() && !error.message.empty(), "an error without code or message");
  std::string body;
  rest::append_error(body, error);
  const nlohmann::json json = parse_answer(body);
  FUZZ_CHECK(json["error"]["code"] == error.code && json["error"]["message"] == error.message,
             "the error body does not carry the error");
}

}  // namespace tally::fuzz
