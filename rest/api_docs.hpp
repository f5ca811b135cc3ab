// The documentation routes: GET /openapi.json (rest/openapi.json, the API's one description), GET /docs (Swagger
// UI showing it) and GET /docs/{file} (the page's files), all built into tallyd (rest/embedded_files.hpp). Each
// answer carries an ETag; a matching If-None-Match gets 304 without a body.
#pragma once

#include <string_view>

#include "rest/http_request.hpp"
#include "rest/responder.hpp"
#include "rest/route_table.hpp"

namespace tally::rest {

// `file` is the {file} segment of /docs/{file} (empty for the other two routes).
void serve_api_docs(RouteId route, std::string_view file, const HttpRequest& request, Responder& responder);

// Whether an If-None-Match field value names `etag` ("*", or a list of entity tags, weak or strong).
bool if_none_match_hits(std::string_view field_value, std::string_view etag);

}  // namespace tally::rest
