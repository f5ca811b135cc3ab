// The REST layer's metrics: requests by route template and status class (recorded by the Responder when it
// answers, so every answer counts once, whichever thread sends it), transactions by type and result (recorded by
// the endpoints), and GET /metrics, which renders the process's whole registry on the calling thread (cheap: a
// few hundred cells summed, no lock a request takes).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "ledger/outcomes.hpp"
#include "rest/http_request.hpp"
#include "rest/responder.hpp"
#include "rest/route_table.hpp"
#include "telemetry/catalogue.hpp"
#include "telemetry/metrics.hpp"

namespace tally::rest {

struct RestMetrics {
  explicit RestMetrics(telemetry::Metrics& registry);
  telemetry::Metrics& registry;
  telemetry::HttpMetrics http;
  telemetry::TransactionMetrics transactions;
  telemetry::AuthMetrics auth;
};

// The route table's path templates, each once, in table order: the `route` label's values (then "none").
std::vector<std::string> route_labels();
// The label index of a table row, and of the first row of a route id.
std::size_t route_label(const RouteSpec& route);
std::size_t route_label(RouteId id);

// GET /metrics: 200 text/plain (Prometheus text format 0.0.4), or 404 metrics_disabled (tallyd --metrics off).
void serve_metrics(Responder& responder);

// For the transaction endpoints: one answered transaction (a batch item too), or `n` refused as invalid.
void count_transaction(const Responder& responder, const TxResult& result);
void count_invalid_transactions(const Responder& responder, std::size_t n);

}  // namespace tally::rest
