// Batches across shards. See rest/routes_cluster_batch.hpp.
#include "rest/routes_cluster_batch.hpp"

#include <memory>
#include <string>

#include "ledger/assert.hpp"
#include "ledger/limits.hpp"
#include "rest/request_parse.hpp"
#include "rest/routes_cluster.hpp"

namespace tally::rest {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string_view trim_json_space(std::string_view text) {
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

// The end of the string starting at `at` (a '"'): the index after its closing quote, or npos.
std::size_t skip_string(std::string_view text, std::size_t at) {
  for (std::size_t i = at + 1; i < text.size(); ++i) {
    if (text[i] == '\\') {
      ++i;
    } else if (text[i] == '"') {
      return i + 1;
    }
  }
  return std::string_view::npos;
}

}  // namespace

std::optional<std::vector<std::string_view>> split_json_array(std::string_view text) {
  text = trim_json_space(text);
  if (text.size() < 2 || text.front() != '[' || text.back() != ']') return std::nullopt;
  std::vector<std::string_view> out;
  const std::string_view inner = text.substr(1, text.size() - 2);
  if (trim_json_space(inner).empty()) return out;
  int depth = 0;
  std::size_t start = 0;
  for (std::size_t i = 0; i < inner.size(); ++i) {
    const char c = inner[i];
    if (c == '"') {
      i = skip_string(inner, i);
      if (i == std::string_view::npos) return std::nullopt;
      --i;
    } else if (c == '[' || c == '{') {
      ++depth;
    } else if (c == ']' || c == '}') {
      if (--depth < 0) return std::nullopt;
    } else if (c == ',' && depth == 0) {
      out.push_back(trim_json_space(inner.substr(start, i - start)));
      start = i + 1;
    }
  }
  if (depth != 0) return std::nullopt;
  out.push_back(trim_json_space(inner.substr(start)));
  return out;
}

namespace {

// Every item of a sub-batch gets the same refusal (the owner was unreachable, or refused the whole sub-batch).
void refuse_items(BatchAnswer& answer, const std::vector<std::uint32_t>& positions, const std::string& item) {
  for (const std::uint32_t position : positions) answer.item_json(position, item);
}

// The owner's answer to a sub-batch, spread over the original positions.
void relay_items(BatchAnswer& answer, shard::ShardId owner, const std::vector<std::uint32_t>& positions,
                 const shard::PeerAnswer& reply) {
  if (reply.kind != shard::PeerAnswer::Kind::answered) {
    refuse_items(answer, positions, batch_item_error(shard_unavailable(owner, reply.kind)));
    return;
  }
  if (reply.status == 200) {
    const std::optional<std::vector<std::string_view>> items = split_json_array(reply.body);
    if (items && items->size() == positions.size()) {
      for (std::size_t i = 0; i < positions.size(); ++i) answer.item_json(positions[i], std::string((*items)[i]));
      return;
    }
  }
  const std::string_view body = trim_json_space(reply.body);
  if (reply.status != 200 && body.size() > 2 && body.front() == '{') {  // {"error":...}: the item's error
    refuse_items(answer, positions, "{\"status\":" + std::to_string(reply.status) + "," + std::string(body.substr(1)));
    return;
  }
  refuse_items(answer, positions,
               batch_item_error(
                   {500, "shard_misrouted",
                    "shard " + std::to_string(owner) + " answered a sub-batch with something else than its items"}));
}

void forward_group(shard::ClusterApi& cluster, const HttpRequest& request, const std::shared_ptr<BatchAnswer>& answer,
                   shard::ShardId owner, std::vector<std::uint32_t> positions,
                   const std::vector<std::string_view>& raw) {
  shard::PeerRequest sub = peer_request_of(request);
  sub.body.clear();
  sub.body.push_back('[');
  for (std::size_t i = 0; i < positions.size(); ++i) {
    if (i) sub.body.push_back(',');
    sub.body.append(raw[positions[i]]);
  }
  sub.body.push_back(']');
  cluster.forward(owner, std::move(sub), [answer, owner, positions = std::move(positions)](shard::PeerAnswer reply) {
    relay_items(*answer, owner, positions, reply);
  });
}

}  // namespace

void put_batch_in_cluster(LedgerApi& ledger, shard::ClusterApi& cluster, const HttpRequest& request,
                          const ResponderPtr& responder) {
  std::vector<TransactionApplied> items;
  std::vector<ApiError> errors;
  if (ApiError error = parse_transaction_batch(request.body, ledger.now(), items, errors)) {
    send_error(*responder, error);
    return;
  }
  if (items.empty()) {
    responder->send(200, "[]");
    return;
  }
  const std::optional<std::vector<std::string_view>> raw = split_json_array(request.body);
  TALLY_ASSERT(raw && raw->size() == items.size(), "a parsed batch splits into its items");
  const shard::ShardLayout& layout = cluster.layout();
  const bool forwarded = request.header(shard::forwarded_header).has_value();
  auto answer = std::make_shared<BatchAnswer>(responder, items.size());
  std::vector<std::vector<std::uint32_t>> groups(layout.count);
  std::vector<TransactionApplied> local;
  std::vector<std::uint32_t> local_positions;
  for (std::uint32_t i = 0; i < items.size(); ++i) {
    if (errors[i]) {
      answer->item_json(i, batch_item_error(errors[i]));
    } else if (const shard::ShardId owner = layout.owner_of_user(items[i].user_id); owner == layout.self) {
      local.push_back(std::move(items[i]));
      local_positions.push_back(i);
    } else if (forwarded) {  // a sub-batch is never forwarded again
      answer->item_json(i,
                        batch_item_error({500, "shard_misrouted",
                                          "another shard forwarded this item here, "
                                          "but shard " +
                                              std::to_string(layout.self) + " does not own its user (check --peers)"}));
    } else {
      groups[owner].push_back(i);
    }
  }
  for (shard::ShardId owner = 0; owner < layout.count; ++owner) {
    if (!groups[owner].empty()) forward_group(cluster, request, answer, owner, std::move(groups[owner]), *raw);
  }
  if (!local.empty()) ledger.apply_batch(std::move(local), std::move(local_positions), answer);
}

}  // namespace tally::rest
