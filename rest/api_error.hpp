// An API error as the client sees it: an HTTP status, a stable machine-readable code and a human message.
// Every refusal of the REST layer is one of these, rendered as {"error": {"code", "message"}}.
#pragma once

#include <string>

namespace tally::rest {

struct ApiError {
  int status = 0;  // 0 = no error
  std::string code;
  std::string message;

  explicit operator bool() const { return status != 0; }
};

inline ApiError bad_request(std::string code, std::string message) {
  return ApiError{400, std::move(code), std::move(message)};
}
inline ApiError unprocessable(std::string code, std::string message) {
  return ApiError{422, std::move(code), std::move(message)};
}

}  // namespace tally::rest
