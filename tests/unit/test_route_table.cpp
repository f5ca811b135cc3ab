// The route table (rest/route_table.hpp): how it reads a path, its 404/405 verdicts and Allow lists, and that it
// names exactly the operations of the OpenAPI document built into this binary (rest/openapi.json), both ways.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <set>
#include <string>
#include <utility>

#include "rest/api_docs.hpp"
#include "rest/embedded_files.hpp"
#include "rest/route_table.hpp"

namespace tally::rest {
namespace {

using Kind = RouteMatch::Kind;

TEST(RouteTable, EveryRowMatchesItselfWithConcreteSegments) {
  for (const RouteSpec& row : route_table) {
    std::string path;
    for (std::string_view segment : route_path_segments(row.path)) {
      path += "/";
      path += segment.front() == '{' ? std::string("x7") : std::string(segment);
    }
    const RouteMatch match = match_route(row.method, path);
    ASSERT_EQ(match.kind, Kind::found) << row.method << " " << path;
    EXPECT_EQ(match.route->id, row.id) << row.method << " " << path;
  }
}

TEST(RouteTable, ParametersAreTheVariableSegmentsInOrder) {
  const RouteMatch balance = match_route("GET", "/v1/user/42/balance");
  ASSERT_EQ(balance.kind, Kind::found);
  EXPECT_EQ(balance.route->id, RouteId::get_balance);
  ASSERT_EQ(balance.params.size(), 1u);
  EXPECT_EQ(balance.params[0], "42");
  const RouteMatch tx = match_route("GET", "/v1/transaction/a%2Fb");
  ASSERT_EQ(tx.kind, Kind::found);
  EXPECT_EQ(tx.params.at(0), "a%2Fb");  // not decoded here: the endpoint decodes what it reads
}

TEST(RouteTable, ReadsAPathLikeTheRouter) {
  // Empty segments are skipped, as routes.cpp's split_path does: a trailing '/' or "//" changes nothing.
  EXPECT_EQ(match_route("POST", "/v1/user/").kind, Kind::found);
  EXPECT_EQ(match_route("POST", "//v1//user").kind, Kind::found);
  EXPECT_EQ(match_route("GET", "/docs/").route->id, RouteId::docs_page);
  EXPECT_EQ(match_route("GET", "/healthz/").route->id, RouteId::health);
}

// route_path_is (a route's body limit, without a vector) reads a path exactly as route_path_segments does.
TEST(RouteTable, PathIsAgreesWithTheSplit) {
  const std::vector<std::string_view> expected = {"v1", "transactions"};
  for (const std::string_view path : {"/v1/transactions", "/v1/transactions/", "//v1//transactions", "v1/transactions",
                                      "/v1/transaction", "/v1/transactionsx", "/v1/transactions/x", "/v1", "/", "",
                                      "/v2/transactions", "/x/v1/transactions", "/v1/transactions?x=1"}) {
    EXPECT_EQ(route_path_is(path, {"v1", "transactions"}), route_path_segments(path) == expected) << path;
  }
  EXPECT_TRUE(route_path_is("/v1/transactions", {"v1", "transactions"}));
  EXPECT_FALSE(route_path_is("/v1/transactions/x", {"v1", "transactions"}));
  EXPECT_FALSE(route_path_is("/v1", {"v1", "transactions"}));
  EXPECT_TRUE(route_path_is("//", {}));
}

TEST(RouteTable, UnknownPathsHaveNoRoute) {
  for (const char* path : {"/", "", "/v1", "/v2/user", "/v1/users", "/V1/user", "/v1/user/1/balance/2",
                           "/v1/user/1/balances", "/v1/transactions/1", "/healthz/x", "/openapi", "/docs/a/b"}) {
    EXPECT_EQ(match_route("GET", path).kind, Kind::no_route) << path;
    EXPECT_EQ(match_route("DELETE", path).kind, Kind::no_route) << path;
  }
}

TEST(RouteTable, WrongMethodListsThePathsMethodsInTableOrder) {
  const std::pair<const char*, const char*> cases[] = {
      {"/v1/transaction", "PUT, POST"}, {"/v1/transactions", "PUT, POST"}, {"/v1/user", "POST"},
      {"/v1/user/1", "GET, PATCH"},     {"/healthz", "GET"},               {"/docs/swagger-ui.css", "GET"},
      {"/v1/events", "GET"},            {"/v1/events/stream", "GET"},
  };
  for (const auto& [path, allow] : cases) {
    for (const char* method : {"DELETE", "PATCH", "HEAD", "OPTIONS", "PROPFIND"}) {
      if (std::string(method) == "PATCH" && std::string(allow).find("PATCH") != std::string::npos) continue;
      const RouteMatch match = match_route(method, path);
      EXPECT_EQ(match.kind, Kind::wrong_method) << method << " " << path;
      EXPECT_EQ(match.allow, allow) << method << " " << path;
    }
  }
  EXPECT_EQ(match_route("GET", "/v1/transaction").allow, "PUT, POST");
  EXPECT_EQ(match_route("PUT", "/v1/user").allow, "POST");
  EXPECT_EQ(match_route("get", "/healthz").kind, Kind::wrong_method);  // methods are case-sensitive
}

TEST(RouteTable, PrintedOneRowPerLine) {
  const std::string text = route_table_text();
  EXPECT_EQ(text.rfind("GET /healthz open\n", 0), 0u);
  EXPECT_NE(text.find("\nGET /v1/user/{id}/balance read\n"), std::string::npos);
  EXPECT_NE(text.find("\nPOST /v1/transactions write\n"), std::string::npos);
  EXPECT_EQ(static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')), std::size(route_table));
}

// The document this binary serves at /openapi.json: rest/openapi.json as it was built.
nlohmann::json built_in_document() {
  const EmbeddedFile* file = find_embedded_file("/openapi.json");
  if (file == nullptr) return nullptr;
  return nlohmann::json::parse(file->bytes);
}

TEST(RouteTable, IsExactlyTheOperationsOfTheOpenApiDocument) {
  const nlohmann::json document = built_in_document();
  ASSERT_TRUE(document.is_object()) << "no /openapi.json built in";
  std::set<std::string> documented;
  for (const auto& [path, item] : document.at("paths").items()) {
    for (const auto& [key, operation] : item.items()) {
      std::string method = key;
      for (char& c : method) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      if (method == "GET" || method == "PUT" || method == "POST" || method == "DELETE" || method == "PATCH" ||
          method == "HEAD" || method == "OPTIONS" || method == "TRACE") {
        documented.insert(method + " " + path);
      }
    }
  }
  std::set<std::string> routed;
  for (const RouteSpec& row : route_table) routed.insert(std::string(row.method) + " " + std::string(row.path));
  for (const std::string& route : routed) EXPECT_TRUE(documented.count(route)) << route << " is not in openapi.json";
  for (const std::string& operation : documented) {
    EXPECT_TRUE(routed.count(operation)) << operation << " is in openapi.json but not in the route table";
  }
  EXPECT_EQ(routed.size(), std::size(route_table)) << "a row is in the table twice";
}

TEST(RouteTable, EachRowsScopeIsItsOperationsSecurity) {
  // A row's scope is what the document's operation names under bearerAuth; an open row has no security.
  const nlohmann::json document = built_in_document();
  ASSERT_TRUE(document.is_object());
  for (const RouteSpec& row : route_table) {
    std::string method(row.method);
    for (char& c : method) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const nlohmann::json& operation = document.at("paths").at(std::string(row.path)).at(method);
    const std::string route = std::string(row.method) + " " + std::string(row.path);
    if (row.scope == auth::Scope::open) {
      EXPECT_TRUE(!operation.contains("security") || operation.at("security").empty()) << route;
      EXPECT_FALSE(operation.at("responses").contains("401")) << route;
      continue;
    }
    ASSERT_TRUE(operation.contains("security")) << route << " needs a scope but documents no security";
    EXPECT_EQ(operation.at("security"), nlohmann::json::parse(R"([{"bearerAuth":[")" +
                                                              std::string(auth::scope_name(row.scope)) + R"("]}])"))
        << route;
    EXPECT_TRUE(operation.at("responses").contains("401")) << route;
    EXPECT_TRUE(operation.at("responses").contains("403")) << route;
  }
}

TEST(RouteTable, DocsFilesAreTheDocumentsEnum) {
  // /docs/{file}: the document's enum names exactly the files built in under /docs/.
  const nlohmann::json document = built_in_document();
  ASSERT_TRUE(document.is_object());
  std::set<std::string> documented;
  for (const auto& parameter : document.at("paths").at("/docs/{file}").at("get").at("parameters")) {
    if (parameter.contains("name") && parameter.at("name") == "file") {
      for (const auto& name : parameter.at("schema").at("enum")) documented.insert("/docs/" + name.get<std::string>());
    }
  }
  std::set<std::string> built_in;
  for (std::size_t i = 0; i < embedded_file_count; ++i) {
    const std::string_view url = embedded_files[i].url_path;
    if (url.rfind("/docs/", 0) == 0) built_in.insert(std::string(url));
  }
  EXPECT_EQ(documented, built_in);
  EXPECT_NE(find_embedded_file("/docs"), nullptr);
  EXPECT_EQ(find_embedded_file("/docs/index.html"), nullptr);  // the page is /docs only
}

TEST(ApiDocs, IfNoneMatch) {
  EXPECT_TRUE(if_none_match_hits("\"abc\"", "\"abc\""));
  EXPECT_TRUE(if_none_match_hits("W/\"abc\"", "\"abc\""));  // weak comparison
  EXPECT_TRUE(if_none_match_hits("\"x\", \"abc\"", "\"abc\""));
  EXPECT_TRUE(if_none_match_hits(" \"x\" ,W/\"abc\" ", "\"abc\""));
  EXPECT_TRUE(if_none_match_hits("*", "\"abc\""));
  EXPECT_FALSE(if_none_match_hits("\"abd\"", "\"abc\""));
  EXPECT_FALSE(if_none_match_hits("abc", "\"abc\""));
  EXPECT_FALSE(if_none_match_hits("", "\"abc\""));
  EXPECT_FALSE(if_none_match_hits(",,", "\"abc\""));
}

TEST(ApiDocs, BuiltInFilesHaveTypesAndValidators) {
  ASSERT_GT(embedded_file_count, 0u);
  for (std::size_t i = 0; i < embedded_file_count; ++i) {
    const EmbeddedFile& file = embedded_files[i];
    EXPECT_FALSE(file.bytes.empty()) << file.url_path;
    EXPECT_EQ(file.etag.size(), 18u) << file.url_path;  // "<16 hex digits>"
    if (file.content_type.rfind("text/", 0) == 0) {
      EXPECT_NE(file.content_type.find("; charset=utf-8"), std::string_view::npos) << file.url_path;
    }
  }
  const EmbeddedFile* bundle = find_embedded_file("/docs/swagger-ui-bundle.js");
  ASSERT_NE(bundle, nullptr);
  EXPECT_EQ(bundle->content_type, "text/javascript; charset=utf-8");
  EXPECT_GT(bundle->bytes.size(), 100'000u);
  const EmbeddedFile* page = find_embedded_file("/docs");
  ASSERT_NE(page, nullptr);
  EXPECT_EQ(page->cache_control, "no-cache");
  EXPECT_EQ(page->bytes.find("@VERSION:"), std::string_view::npos);  // every version token was replaced
  EXPECT_NE(page->bytes.find("/docs/swagger-ui-bundle.js?v="), std::string_view::npos);
  EXPECT_NE(page->bytes.find("url: \"/openapi.json\""), std::string_view::npos);
}

}  // namespace
}  // namespace tally::rest
