// The route table's matcher and the hook routes.cpp calls before it dispatches (see route_table.hpp).
#include "rest/route_table.hpp"

#include <array>
#include <iterator>

#include "ledger/assert.hpp"
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

bool route_path_is(std::string_view path, std::initializer_list<std::string_view> expected) {
  std::size_t at = 0;
  for (const std::string_view want : expected)
    if (next_segment(path, at) != want) return false;
  return next_segment(path, at).empty();
}

namespace {

bool is_parameter(std::string_view segment) {
  return segment.size() >= 2 && segment.front() == '{' && segment.back() == '}';
}

// The longest template's segment count, with room to grow (asserted when the table is split).
constexpr std::size_t route_segments_max = 8;

// A row's template split once, at first use: matching a request then compares segment counts and the literal
// segments in place instead of re-splitting every row's template on every request.
struct SplitTemplate {
  std::array<std::string_view, route_segments_max> segments{};
  std::array<bool, route_segments_max> parameter{};
  std::size_t count = 0;
};

using SplitTable = std::array<SplitTemplate, std::size(route_table)>;

SplitTable split_table() {
  SplitTable split{};
  for (std::size_t row = 0; row < std::size(route_table); ++row) {
    const std::string_view path = route_table[row].path;
    std::size_t at = 0;
    SplitTemplate& t = split[row];
    for (std::string_view s = next_segment(path, at); !s.empty(); s = next_segment(path, at)) {
      TALLY_ASSERT(t.count < route_segments_max, "a route template has at most route_segments_max segments");
      t.parameter[t.count] = is_parameter(s);
      t.segments[t.count++] = s;
    }
  }
  return split;
}

const SplitTable& split_templates() {
  static const SplitTable table = split_table();
  return table;
}

// The {name} segments of `parts` when they fit the template's shape, else false. Allocates nothing unless
// `params` grows.
bool fits(const SplitTemplate& templ, const std::vector<std::string_view>& parts,
          std::vector<std::string_view>* params) {
  if (templ.count != parts.size()) return false;
  for (std::size_t k = 0; k < templ.count; ++k) {
    if (!templ.parameter[k] && templ.segments[k] != parts[k]) return false;
  }
  if (params) {
    params->clear();
    for (std::size_t k = 0; k < templ.count; ++k) {
      if (templ.parameter[k]) params->push_back(parts[k]);
    }
  }
  return true;
}

}  // namespace

RouteMatch match_route(std::string_view method, std::string_view path) {
  return match_route(method, route_path_segments(path));
}

RouteMatch match_route(std::string_view method, const std::vector<std::string_view>& parts) {
  const SplitTable& split = split_templates();
  RouteMatch match;
  for (std::size_t row = 0; row < std::size(route_table); ++row) {
    const RouteSpec& route = route_table[row];
    // The segment count first: one compare turns away most rows before the method's string compare.
    if (split[row].count == parts.size() && route.method == method && fits(split[row], parts, &match.params)) {
      match.kind = RouteMatch::Kind::found;
      match.route = &route;
      match.allow.clear();
      return match;
    }
  }
  std::vector<std::string_view> methods;  // each once, in table order
  for (std::size_t row = 0; row < std::size(route_table); ++row) {
    const RouteSpec& route = route_table[row];
    if (!fits(split[row], parts, nullptr)) continue;
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

bool answer_from_route_table(const HttpRequest& request, const std::vector<std::string_view>& parts,
                             const ResponderPtr& responder, RequestGate& gate, std::string& client) {
  const RouteMatch match = match_route(request.method_name, parts);
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
