// The route table's matcher and the hook routes.cpp calls before it dispatches (see route_table.hpp).
#include "rest/route_table.hpp"

#include "rest/api_docs.hpp"
#include "rest/request_metrics.hpp"
#include "rest/request_gate.hpp"
#include "rest/routes.hpp"

namespace tally::rest {

std::vector<std::string_view> route_path_segments(std::string_view path) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (start < path.size()) {
    if (path[start] == '/') {
      ++start;
      continue;
    }
    const std::size_t end = path.find('/', start);
    const std::size_t stop = end == std::string_view::npos ? path.size() : end;
    parts.push_back(path.substr(start, stop - start));
    start = stop;
  }
  return parts;
}

namespace {

bool is_parameter(std::string_view segment) {
  return segment.size() >= 2 && segment.front() == '{' && segment.back() == '}';
}

// The {name} segments of `parts` when they fit `templ`'s shape, else false.
bool fits(std::string_view templ, const std::vector<std::string_view>& parts, std::vector<std::string_view>* params) {
  const std::vector<std::string_view> pattern = route_path_segments(templ);
  if (pattern.size() != parts.size()) return false;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (!is_parameter(pattern[i]) && pattern[i] != parts[i]) return false;
  }
  if (params) {
    params->clear();
    for (std::size_t i = 0; i < pattern.size(); ++i) {
      if (is_parameter(pattern[i])) params->push_back(parts[i]);
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
