// Every route the server answers, as data: a method and a path template ("/v1/user/{id}"), one row each. The
// table decides, before any endpoint runs, whether a request has a route (else 404 route_not_found) and whether
// its path takes its method (else 405 with an Allow built from the table). It is what `tallyd --print-routes`
// prints and what rest/openapi.json must list exactly (tests/unit/test_route_table.cpp and
// tests/blackbox/test_api_document.py check both ways). routes.cpp's route() dispatches the API rows to their
// endpoints; the documentation rows are served by rest/api_docs.cpp. Each row also names the one scope an API
// key needs for it (auth/scope.hpp; `open`: no key): the hook checks it before anything is dispatched, and
// `--print-routes` prints it, so a new route declares its access in exactly one place.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "auth/scope.hpp"
#include "rest/http_request.hpp"
#include "rest/responder.hpp"

namespace tally::rest {

class RequestGate;
using ResponderPtr = std::shared_ptr<Responder>;

enum class RouteId {
  health,
  ready,
  create_user,
  get_user,
  update_user,
  get_events,
  get_events_stream,
  get_balance,
  list_transactions,
  put_transaction,  // PUT and POST
  put_transaction_batch,  // PUT and POST
  get_transaction,
  peer_reserve_uid,  // peer-only (docs/sharding.md): scope `peer` once API keys exist
  peer_release_uid,
  peer_judge_uid,
  openapi_document,
  docs_page,
  docs_file,
  metrics,
};

struct RouteSpec {
  std::string_view method;  // as on the request line: "GET"
  std::string_view path;    // literal segments and {name} parameters, '/'-separated
  RouteId id;
  auth::Scope scope;        // what the caller's key must grant; open = no key needed
};

// In the order of the Allow lists the server sends for a path ("PUT, POST").
inline constexpr RouteSpec route_table[] = {
    {"GET", "/healthz", RouteId::health, auth::Scope::open},
    {"GET", "/readyz", RouteId::ready, auth::Scope::open},
    {"POST", "/v1/user", RouteId::create_user, auth::Scope::write},
    {"GET", "/v1/user/{id}", RouteId::get_user, auth::Scope::read},
    {"PATCH", "/v1/user/{id}", RouteId::update_user, auth::Scope::write},
    {"GET", "/v1/user/{id}/balance", RouteId::get_balance, auth::Scope::read},
    {"GET", "/v1/user/{id}/transactions", RouteId::list_transactions, auth::Scope::read},
    {"PUT", "/v1/transaction", RouteId::put_transaction, auth::Scope::write},
    {"POST", "/v1/transaction", RouteId::put_transaction, auth::Scope::write},
    {"GET", "/v1/transaction/{uid}", RouteId::get_transaction, auth::Scope::read},
    {"PUT", "/v1/transactions", RouteId::put_transaction_batch, auth::Scope::write},
    {"POST", "/v1/transactions", RouteId::put_transaction_batch, auth::Scope::write},
    {"GET", "/v1/events", RouteId::get_events, auth::Scope::events},
    {"GET", "/v1/events/stream", RouteId::get_events_stream, auth::Scope::events},
    {"POST", "/internal/v1/uid-reservations", RouteId::peer_reserve_uid, auth::Scope::peer},
    {"POST", "/internal/v1/uid-releases", RouteId::peer_release_uid, auth::Scope::peer},
    {"POST", "/internal/v1/uid-judgements", RouteId::peer_judge_uid, auth::Scope::peer},
    {"GET", "/openapi.json", RouteId::openapi_document, auth::Scope::open},
    {"GET", "/docs", RouteId::docs_page, auth::Scope::open},
    {"GET", "/docs/{file}", RouteId::docs_file, auth::Scope::open},
    {"GET", "/metrics", RouteId::metrics, auth::Scope::open},
};

struct RouteMatch {
  enum class Kind { found, no_route, wrong_method };
  Kind kind = Kind::no_route;
  const RouteSpec* route = nullptr;  // found
  std::string allow;                 // wrong_method: the path's methods, "PUT, POST"
  std::vector<std::string_view> params;  // found: the {name} segments of the path, in order
};

// "/v1/user/7/balance" -> {"v1", "user", "7", "balance"}: empty segments (a trailing '/', "//") are skipped and
// nothing is percent-decoded, exactly as routes.cpp reads a path.
std::vector<std::string_view> route_path_segments(std::string_view path);
// The same reading without a vector: whether `path`'s segments are exactly `expected` (a route's body limit asks
// this of every PUT and POST head).
bool route_path_is(std::string_view path, std::initializer_list<std::string_view> expected);

// The table's verdict for a request line's method and path (without the query).
RouteMatch match_route(std::string_view method, std::string_view path);
// The same for a path already split by route_path_segments.
RouteMatch match_route(std::string_view method, const std::vector<std::string_view>& parts);

// The hook routes.cpp calls before dispatching: answers 404 route_not_found and 405 (Allow from the table), the
// route's scope check (401/403 through `gate`), the documentation routes (/openapi.json, /docs, /docs/{file}) and
// /metrics and returns true; returns false for a request the table routes to an API endpoint, which the caller
// then dispatches, with `client` set to the admitted client's name ("" in open mode). `parts` is the request's
// path split by route_path_segments.
bool answer_from_route_table(const HttpRequest& request, const std::vector<std::string_view>& parts,
                             const ResponderPtr& responder, RequestGate& gate, std::string& client);

// One line per row, "GET /v1/user/{id} read\n" (method, path template, scope): what `tallyd --print-routes`
// prints.
std::string route_table_text();

}  // namespace tally::rest
