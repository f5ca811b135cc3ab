// Layout resolution: the shard number from --shard or the host name, the peers from a list or a template.
#include "shard/layout.hpp"

#include "ledger/limits.hpp"

namespace tally::shard {

std::optional<std::int64_t> host_ordinal(std::string_view host_name) {
  const std::size_t dash = host_name.rfind('-');
  if (dash == std::string_view::npos || dash + 1 == host_name.size()) return std::nullopt;
  const std::string_view digits = host_name.substr(dash + 1);
  if (digits.size() > 9) return std::nullopt;
  std::int64_t value = 0;
  for (const char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

namespace {

std::vector<std::string> split_peers(const std::string& list) {
  std::vector<std::string> peers;
  std::size_t start = 0;
  while (start <= list.size()) {
    const std::size_t comma = std::min(list.find(',', start), list.size());
    std::string peer = list.substr(start, comma - start);
    while (!peer.empty() && peer.back() == '/') peer.pop_back();
    peers.push_back(std::move(peer));
    start = comma + 1;
  }
  return peers;
}

std::string expand_template(const std::string& pattern, ShardId ordinal) {
  std::string out = pattern;
  const std::string number = std::to_string(ordinal);
  for (std::size_t at = out.find("{}"); at != std::string::npos; at = out.find("{}", at + number.size())) {
    out.replace(at, 2, number);
  }
  while (!out.empty() && out.back() == '/') out.pop_back();
  return out;
}

bool resolve_peers(const LayoutSettings& settings, ShardLayout& layout, std::string& refusal) {
  if (!settings.peers.empty() && !settings.peer_template.empty()) {
    refusal = "give either --peers (TALLY_PEERS) or --peer-template (TALLY_PEER_TEMPLATE), not both";
    return false;
  }
  if (!settings.peers.empty()) {
    layout.peers = split_peers(settings.peers);
    if (layout.peers.size() != layout.count) {
      refusal = "--peers lists " + std::to_string(layout.peers.size()) + " URLs but --shards is " +
                std::to_string(layout.count) + ": give one base URL per shard, in shard order";
      return false;
    }
  } else if (!settings.peer_template.empty()) {
    if (settings.peer_template.find("{}") == std::string::npos) {
      refusal = "--peer-template must contain {} (replaced by each shard's ordinal)";
      return false;
    }
    for (ShardId k = 0; k < layout.count; ++k) layout.peers.push_back(expand_template(settings.peer_template, k));
  } else {
    refusal = "--shards " + std::to_string(layout.count) + " needs the peers: --peers URL0,...,URL" +
              std::to_string(layout.count - 1) + " or --peer-template";
    return false;
  }
  for (const std::string& peer : layout.peers) {
    if (peer.rfind("http://", 0) != 0 || peer.size() == 7) {
      refusal = "peer URL '" + peer + "' is not an http:// base URL";
      return false;
    }
  }
  return true;
}

}  // namespace

std::optional<ShardLayout> resolve_layout(const LayoutSettings& settings, std::string& refusal) {
  ShardLayout layout;
  if (settings.shards < 1 || settings.shards > limits::shards_max) {
    refusal = "--shards must be in 1.." + std::to_string(limits::shards_max);
    return std::nullopt;
  }
  layout.count = settings.shards;
  std::optional<std::int64_t> shard = settings.shard;
  const char* source = "--shard (TALLY_SHARD)";
  if (!shard && layout.count > 1) {
    shard = host_ordinal(settings.host_name);
    source = "the host name's -<ordinal> suffix";
    if (!shard) {
      refusal = "no shard number: give --shard K (TALLY_SHARD) in 0.." + std::to_string(layout.count - 1) +
                " or run on a host named like 'tally-K' (this host is '" + settings.host_name + "')";
      return std::nullopt;
    }
  }
  if (!shard) shard = 0;
  if (*shard < 0 || *shard >= static_cast<std::int64_t>(layout.count)) {
    refusal = std::string(source) + " gives shard " + std::to_string(*shard) + ", not in 0.." +
              std::to_string(layout.count - 1) + " (--shards " + std::to_string(layout.count) + ")";
    return std::nullopt;
  }
  layout.self = static_cast<ShardId>(*shard);
  if (layout.count > 1 && !resolve_peers(settings, layout, refusal)) return std::nullopt;
  return layout;
}

}  // namespace tally::shard
