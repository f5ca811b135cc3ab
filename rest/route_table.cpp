// The route table's matcher and the hook routes.cpp calls before it dispatches (see route_table.hpp).
#include "rest/route_table.hpp"

#include "rest/api_docs.hpp"
#include "rest/request_metrics.hpp"
#include "rest/request_gate.hpp"
#include "rest/routes.hpp"

namespace tally::rest {

namespace {

// Room for every path the API answers (the longest route has four segments): one allocation per split.
constexpr std::size_t path_segments_typical = 8;

// The segment of `path` at or after `at` (skipping '/' runs), moving `at` past it; empty at the end.
std::string_view next_segment(std::string_view path, std::size_t& at) {
  while (at < path.size() && path[at] == '/') ++at;
  const std::size_t start = at;
  while (at < path.size() && path[at] != '/') ++at;
  return path.substr(start, at - start);
}

}  // namespace

std::vector<std::string_view> route_path_segments(std::string_view path) {
  std::vector<std::string_view> parts;
  parts.reserve(path_segments_typical);
  std::size_t at = 0;
  for (std::string_view part = next_segment(path, at); !part.empty(); part = next_segment(path, at))
    parts.push_back(part);
  return parts;
}

namespace {

bool is_parameter(std::string_view segment) {
  return segment.size() >= 2 && segment.front() == '{' && segment.back() == '}';
}

// The {name} segments of `parts` when they fit `templ`'s shape, else false. Walks the template in place: this
// runs for several rows on every request, so it allocates nothing.
bool fits(std::string_view templ, const std::vector<std::string_view>& parts,
          std::vector<std::string_view>* params) {
  std::size_t at = 0;
  std::size_t k = 0;
  for (std::string_view pattern = next_segment(templ, at); !pattern.empty(); pattern = next_segment(templ, at), ++k) {
    if (k == parts.size() || (!is_parameter(pattern) && pattern != parts[k])) return false;
  }
  if (k != parts.size()) return false;
  if (params) {
    params->clear();
    at = 0;
    for (std::size_t i = 0; i < k; ++i) {
      if (is_parameter(next_segment(templ, at))) params->push_back(parts[i]);
    }
  }
  return true;
}

}  // namespace

RouteMatch match_route(std::string_view method, std::string_view path) {
  const std::vector<std::string_view> parts = route_path_segments(path);
  RouteMatch match;
  for (const RouteSpec& route : route_table) {
    if (route.method == method && fits(route.path, parts, &match.params)) {
      match.kind = RouteMatch::Kind::found;
      match.route = &route;
      match.allow.clear();
      return match;
    }
  }
  std::vector<std::string_view> methods;  // each once, in table order
  for (const RouteSpec& route : route_table) {
    if (!fits(route.path, parts, nullptr)) continue;
    bool listed = false;
    for (std::string_view m : methods) listed = listed || m == route.method;
    if (listed) continue;
    methods.push_back(route.method);
    if (!match.allow.empty()) match.allow += ", ";
    match.allow += route.method;
    match.kind = RouteMatch::Kind::wrong_method;
  }
  match.params.clear();
  return match;
}

bool answer_from_route_table(const HttpRequest& request, const ResponderPtr& responder, RequestGate& gate,
                             std::string& client) {
  const RouteMatch match = match_route(request.method_name, request.path());
  switch (match.kind) {
    case RouteMatch::Kind::no_route:
      send_error(*responder, {404, "route_not_found", "no such route"});
      return true;
    case RouteMatch::Kind::wrong_method:
      responder->method_not_allowed(match.allow);
      return true;
    case RouteMatch::Kind::found:
      responder->set_route_label(route_label(*match.route));
      break;
  }
  // The one scope check: every row's scope, before anything of the route runs.
  if (gate.refuse(match.route->scope, request, responder, client)) return true;
  switch (match.route->id) {
    case RouteId::openapi_document:
    case RouteId::docs_page:
    case RouteId::docs_file:
      serve_api_docs(match.route->id, match.params.empty() ? std::string_view{} : match.params.front(), request,
                     *responder);
      return true;
    case RouteId::metrics:
      serve_metrics(*responder);
      return true;
    default:
      return false;
  }
}

std::string route_table_text() {
  std::string out;
  for (const RouteSpec& route : route_table) {
    out.append(route.method).append(" ").append(route.path).append(" ").append(auth::scope_name(route.scope));
    out.append("\n");
  }
  return out;
}

}  // namespace tally::rest
