// The documentation routes, answered from the files built into tallyd (rest/embedded_files.hpp).
#include "rest/api_docs.hpp"

#include <string>

#include "rest/embedded_files.hpp"
#include "rest/routes.hpp"

namespace tally::rest {

const EmbeddedFile* find_embedded_file(std::string_view url_path) {
  for (std::size_t i = 0; i < embedded_file_count; ++i) {
    if (embedded_files[i].url_path == url_path) return &embedded_files[i];
  }
  return nullptr;
}

bool if_none_match_hits(std::string_view field_value, std::string_view etag) {
  // RFC 9110 13.1.2: "*" or a comma-separated list of entity tags, compared weakly (a "W/" prefix is ignored).
  std::size_t start = 0;
  while (start <= field_value.size()) {
    const std::size_t comma = field_value.find(',', start);
    const std::size_t stop = comma == std::string_view::npos ? field_value.size() : comma;
    std::string_view tag = trim_ows(field_value.substr(start, stop - start));
    if (tag == "*") return true;
    if (tag.substr(0, 2) == "W/") tag.remove_prefix(2);
    if (!tag.empty() && tag == etag) return true;
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return false;
}

void serve_api_docs(RouteId route, std::string_view file, const HttpRequest& request, Responder& responder) {
  std::string url_path;
  switch (route) {
    case RouteId::openapi_document: url_path = "/openapi.json"; break;
    case RouteId::docs_page: url_path = "/docs"; break;
    case RouteId::docs_file: url_path = "/docs/" + std::string(file); break;
    default: break;
  }
  const EmbeddedFile* found = url_path.empty() ? nullptr : find_embedded_file(url_path);
  if (!found) {
    send_error(responder, {404, "route_not_found", "no such file"});
    return;
  }
  std::string headers;
  headers.reserve(128);
  headers.append("ETag: ").append(found->etag).append("\r\n");
  headers.append("Cache-Control: ").append(found->cache_control).append("\r\n");
  headers.append("X-Content-Type-Options: nosniff\r\n");
  const std::optional<std::string_view> if_none_match = request.header("If-None-Match");
  const bool not_modified = if_none_match && if_none_match_hits(*if_none_match, found->etag);
  responder.send_content(not_modified ? 304 : 200, found->bytes, found->content_type, headers, not_modified);
}

}  // namespace tally::rest
