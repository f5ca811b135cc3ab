// PUT|POST /v1/transactions on a clustered tallyd: the batch is split by owner, this shard's items go to its
// ledger and every other owner's items, as their original JSON text and in their order, to that owner as one
// sub-batch, all at once; each item is answered in its original position exactly as a single PUT would be.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "ledger/ledger_api.hpp"
#include "rest/http_request.hpp"
#include "rest/routes.hpp"
#include "shard/cluster_api.hpp"

namespace tally::rest {

void put_batch_in_cluster(LedgerApi& ledger, shard::ClusterApi& cluster, const HttpRequest& request,
                          const ResponderPtr& responder);

// The elements of a JSON array's text, each as written (whitespace around it trimmed); nullopt if the text is
// not one array. Strings are skipped whole, so brackets and commas in them do not count.
std::optional<std::vector<std::string_view>> split_json_array(std::string_view text);

}  // namespace tally::rest
