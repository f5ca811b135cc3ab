// RequestGate: admit through the KeyStore, answer 401/403 with RFC 6750's WWW-Authenticate, delay the 401s of a
// peer address the throttle names.
#include "rest/request_gate.hpp"

#include "ledger/limits.hpp"
#include "rest/http_connection.hpp"
#include "rest/request_metrics.hpp"
#include "rest/response_json.hpp"

namespace tally::rest {

namespace {

constexpr std::string_view challenge_plain = "WWW-Authenticate: Bearer realm=\"tally\"\r\n";
constexpr std::string_view challenge_invalid = "WWW-Authenticate: Bearer realm=\"tally\", error=\"invalid_token\"\r\n";

std::string error_body(const ApiError& error) {
  std::string body;
  append_error(body, error);
  return body;
}

}  // namespace

bool RequestGate::refuse(auth::Scope needed, const HttpRequest& request, const ResponderPtr& responder,
                         std::string& client) {
  using Verdict = auth::Admission::Verdict;
  std::optional<std::string_view> authorization;
  if (request.authorization_given) authorization = request.authorization;
  auth::Admission admission = keys_.admit(authorization, needed);
  if (admission.allowed()) {
    client = std::move(admission.client);
    return false;
  }
  if (admission.verdict == Verdict::lacking_scope) {
    state_.auth_forbidden.fetch_add(1, std::memory_order_relaxed);
  if (state_.metrics) state_.metrics->auth.forbidden.add();
    const std::string scope(auth::scope_name(needed));
    const std::string headers = "WWW-Authenticate: Bearer realm=\"tally\", error=\"insufficient_scope\", scope=\"" +
                                scope + "\"\r\n";
    responder->send_content(403, error_body({403, "forbidden", "this key lacks the scope '" + scope + "'"}), {},
                            headers);
    return true;
  }
  const char* why = admission.verdict == Verdict::missing     ? "an Authorization: Bearer <key> header is required"
                    : admission.verdict == Verdict::malformed ? "the Authorization header is not 'Bearer <key>'"
                                                              : "the key is not valid";
  state_.auth_unauthorized.fetch_add(1, std::memory_order_relaxed);
  if (state_.metrics) state_.metrics->auth.unauthorized.add();
  std::string body = error_body({401, "unauthorized", why});
  std::string headers(admission.verdict == Verdict::missing ? challenge_plain : challenge_invalid);
  const std::int64_t now = monotonic_ms();
  if (!throttle_.record_failure(responder->peer_address(), now)) {
    responder->send_content(401, body, {}, headers);
    return true;
  }
  headers.append(auth_delay_header).append(": ").append(std::to_string(limits::auth_failure_delay_ms)).append("\r\n");
  state_.auth_delayed.fetch_add(1, std::memory_order_relaxed);
  if (state_.metrics) state_.metrics->auth.delayed.add();
  std::lock_guard<std::mutex> lock(mutex_);
  delayed_.push_back(Delayed{now + limits::auth_failure_delay_ms, responder, std::move(body), std::move(headers)});
  return true;
}

void RequestGate::tick(std::int64_t now_ms) {
  std::vector<Delayed> due;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto keep = delayed_.begin();
    for (auto it = delayed_.begin(); it != delayed_.end(); ++it) {
      if (it->release_ms <= now_ms) {
        due.push_back(std::move(*it));
      } else {
        if (keep != it) *keep = std::move(*it);
        ++keep;
      }
    }
    delayed_.erase(keep, delayed_.end());
  }
  for (Delayed& answer : due) answer.responder->send_content(401, answer.body, {}, answer.headers);
}

}  // namespace tally::rest
