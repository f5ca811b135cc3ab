// Route labels from the route table, the transaction counts, and the /metrics endpoint (see request_metrics.hpp).
#include "rest/request_metrics.hpp"

#include <iterator>

#include "rest/routes.hpp"

namespace tally::rest {
namespace {

constexpr std::size_t route_rows = std::size(route_table);

// For each table row, the index of its path among the distinct paths (rows of one path share a label).
struct RouteLabels {
  std::vector<std::string> labels;
  std::size_t row_label[route_rows] = {};
  RouteLabels() {
    for (std::size_t row = 0; row < route_rows; ++row) {
      std::size_t label = 0;
      while (label < labels.size() && labels[label] != route_table[row].path) ++label;
      if (label == labels.size()) labels.emplace_back(route_table[row].path);
      row_label[row] = label;
    }
  }
};

const RouteLabels& route_labels_table() {
  static const RouteLabels table;
  return table;
}

}  // namespace

RestMetrics::RestMetrics(telemetry::Metrics& r) : registry(r), http(r, route_labels()), transactions(r), auth{r} {}

std::vector<std::string> route_labels() { return route_labels_table().labels; }

std::size_t route_label(const RouteSpec& route) {
  const auto row = static_cast<std::size_t>(&route - route_table);
  return row < route_rows ? route_labels_table().row_label[row] : route_labels_table().labels.size();
}

std::size_t route_label(RouteId id) {
  for (const RouteSpec& route : route_table) {
    if (route.id == id) return route_label(route);
  }
  return route_labels_table().labels.size();  // "none"
}

void serve_metrics(Responder& responder) {
  const RestMetrics* metrics = responder.server_state().metrics.get();
  if (metrics == nullptr || !metrics->registry.enabled()) {
    send_error(responder, {404, "metrics_disabled", "metrics are off in this tallyd (--metrics off)"});
    return;
  }
  responder.send_content(200, metrics->registry.render(), "text/plain; version=0.0.4; charset=utf-8",
                         "Cache-Control: no-store\r\n");
}

void count_transaction(const Responder& responder, const TxResult& result) {
  if (const RestMetrics* metrics = responder.server_state().metrics.get())
    metrics->transactions.count(result.record.kind, result.outcome);
}

void count_invalid_transactions(const Responder& responder, std::size_t n) {
  if (const RestMetrics* metrics = responder.server_state().metrics.get()) metrics->transactions.count_invalid(n);
}

}  // namespace tally::rest
