// Every route the server answers, as data: a method and a path template ("/v1/user/{id}"), one row each. The
// table decides, before any endpoint runs, whether a request has a route (else 404 route_not_found) and whether
// its path takes its method (else 405 with an Allow built from the table). It is what `tallyd --print-routes`
// prints and what rest/openapi.json must list exactly (tests/unit/test_route_table.cpp and
// tests/blackbox/test_api_document.py check both ways). routes.cpp's route() dispatches the API rows to their
// endpoints; the documentation rows are served by rest/api_docs.cpp.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "rest/http_request.hpp"
#include "rest/responder.hpp"

namespace tally::rest {

enum class RouteId {
  health,
  create_user,
  get_user,
  update_user,
  get_events,
  get_events_stream,
  get_balance,
  put_transaction,  // PUT and POST
  put_transaction_batch,  // PUT and POST
  get_transaction,
  openapi_document,
  docs_page,
  docs_file,
};

struct RouteSpec {
  std::string_view method;  // as on the request line: "GET"
  std::string_view path;    // literal segments and {name} parameters, '/'-separated
  RouteId id;
};

// In the order of the Allow lists the server sends for a path ("PUT, POST").
inline constexpr RouteSpec route_table[] = {
    {"GET", "/healthz", RouteId::health},
    {"POST", "/v1/user", RouteId::create_user},
    {"GET", "/v1/user/{id}", RouteId::get_user},
    {"PATCH", "/v1/user/{id}", RouteId::update_user},
    {"GET", "/v1/user/{id}/balance", RouteId::get_balance},
    {"PUT", "/v1/transaction", RouteId::put_transaction},
    {"POST", "/v1/transaction", RouteId::put_transaction},
    {"GET", "/v1/transaction/{uid}", RouteId::get_transaction},
    {"PUT", "/v1/transactions", RouteId::put_transaction_batch},
    {"POST", "/v1/transactions", RouteId::put_transaction_batch},
    {"GET", "/v1/events", RouteId::get_events},
    {"GET", "/v1/events/stream", RouteId::get_events_stream},
    {"GET", "/openapi.json", RouteId::openapi_document},
    {"GET", "/docs", RouteId::docs_page},
    {"GET", "/docs/{file}", RouteId::docs_file},
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

// The table's verdict for a request line's method and path (without the query).
RouteMatch match_route(std::string_view method, std::string_view path);

// The hook routes.cpp calls before dispatching: answers 404 route_not_found and 405 (Allow from the table) and
// the documentation routes (/openapi.json, /docs, /docs/{file}) and returns true; returns false for a request
// the table routes to an API endpoint, which the caller then dispatches.
bool answer_from_route_table(const HttpRequest& request, Responder& responder);

// One line per row, "GET /v1/user/{id}\n": what `tallyd --print-routes` prints.
std::string route_table_text();

}  // namespace tally::rest
