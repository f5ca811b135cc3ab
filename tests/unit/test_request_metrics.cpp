// rest/request_metrics: the `route` label values come from the route table (each path template once, rows of one
// path share a label), and the request and transaction counts land in the registry a server is given.
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "rest/request_metrics.hpp"
#include "telemetry/metrics.hpp"

namespace tally::rest {
namespace {

TEST(RequestMetrics, RouteLabelsAreTheTablesPathTemplatesEachOnce) {
  const std::vector<std::string> labels = route_labels();
  std::set<std::string> paths;
  for (const RouteSpec& route : route_table) paths.emplace(route.path);
  EXPECT_EQ(std::set<std::string>(labels.begin(), labels.end()), paths);
  EXPECT_EQ(labels.size(), paths.size());
  for (const RouteSpec& route : route_table) {
    ASSERT_LT(route_label(route), labels.size());
    EXPECT_EQ(labels[route_label(route)], route.path);
  }
  EXPECT_EQ(labels[route_label(RouteId::health)], "/healthz");
  EXPECT_EQ(labels[route_label(RouteId::metrics)], "/metrics");
}

TEST(RequestMetrics, RestMetricsRegisterEveryRouteAndNone) {
  telemetry::Metrics metrics;
  const RestMetrics rest(metrics);
  rest.http.record(route_label(RouteId::get_user), 404, rest.http.start());
  rest.http.record(rest.http.none_label(), 405, 0);
  rest.transactions.count(TxKind::withdraw, Outcome::conflict);
  const std::string text = metrics.render();
  EXPECT_NE(text.find("tally_http_requests_total{route=\"/v1/user/{id}\",code_class=\"4xx\"} 1\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("tally_http_requests_total{route=\"none\",code_class=\"4xx\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("tally_http_requests_total{route=\"/metrics\",code_class=\"2xx\"} 0\n"), std::string::npos);
  EXPECT_NE(text.find("tally_transactions_total{type=\"withdraw\",result=\"conflict\"} 1\n"), std::string::npos);
}

}  // namespace
}  // namespace tally::rest
