// One HTTP answer in flight: owns Pistache's ResponseWriter so any thread can complete the request later.
// Applies the keep-alive decision, JSON content type and the in-flight count used by graceful shutdown.
#pragma once

#include <memory>
#include <string>

#include <pistache/http.h>

#include "rest/http_server.hpp"

namespace tally::rest {

class Responder {
 public:
  Responder(Pistache::Http::ResponseWriter writer, std::shared_ptr<ServerState> state, bool keep_alive);
  ~Responder();  // a request dropped without an answer gets a 500 rather than a hung client
  Responder(const Responder&) = delete;
  Responder& operator=(const Responder&) = delete;

  void send(int status, const std::string& body, int retry_after_seconds = 0);
  void method_not_allowed(const std::string& allow);

 private:
  Pistache::Http::ResponseWriter writer_;
  std::shared_ptr<ServerState> state_;
  bool keep_alive_ = true;
  bool sent_ = false;
};

}  // namespace tally::rest
