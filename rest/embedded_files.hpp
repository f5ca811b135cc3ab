// Files built into tallyd: the OpenAPI document and the /docs page with Swagger UI's files. The table is generated
// at build time by rest/docs_ui/embed_files.py from rest/openapi.json, rest/docs_ui/index.html and
// rest/docs_ui/node_modules/swagger-ui-dist (scripts/install-deps.sh fetches it), so tallyd serves them from any
// working directory.
#pragma once

#include <cstddef>
#include <string_view>

namespace tally::rest {

struct EmbeddedFile {
  std::string_view url_path;       // "/docs/swagger-ui.css"
  std::string_view content_type;   // "text/css; charset=utf-8"
  std::string_view etag;           // "\"<16 hex digits of the content's SHA-256>\""
  std::string_view cache_control;  // "no-cache" or "public, max-age=86400"
  std::string_view bytes;
};

extern const EmbeddedFile embedded_files[];
extern const std::size_t embedded_file_count;

// The file served at url_path, or nullptr.
const EmbeddedFile* find_embedded_file(std::string_view url_path);

}  // namespace tally::rest
