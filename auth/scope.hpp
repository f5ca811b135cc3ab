// What a request needs to be let in: a route's scope (rest/route_table.hpp names one per route) and the scopes an
// API key grants (the key file's second column, docs/security.md). `open` is a route's "no key needed"; a key
// file cannot grant it.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace tally::auth {

enum class Scope : std::uint8_t { open, read, write, events, peer };

// A set of the grantable scopes (read, write, events, peer), one bit each.
class ScopeSet {
 public:
  constexpr ScopeSet() = default;
  constexpr void add(Scope scope) { bits_ |= bit(scope); }
  constexpr bool has(Scope scope) const { return scope == Scope::open || (bits_ & bit(scope)) != 0; }
  constexpr bool empty() const { return bits_ == 0; }
  constexpr bool operator==(ScopeSet other) const { return bits_ == other.bits_; }

 private:
  static constexpr std::uint8_t bit(Scope scope) { return static_cast<std::uint8_t>(1u << static_cast<unsigned>(scope)); }
  std::uint8_t bits_ = 0;
};

inline constexpr Scope grantable_scopes[] = {Scope::read, Scope::write, Scope::events, Scope::peer};

constexpr std::string_view scope_name(Scope scope) {
  switch (scope) {
    case Scope::open: return "open";
    case Scope::read: return "read";
    case Scope::write: return "write";
    case Scope::events: return "events";
    case Scope::peer: return "peer";
  }
  return "unknown";
}

// A grantable scope by its name ("read"); nullopt for anything else, "open" included.
inline std::optional<Scope> grantable_scope(std::string_view name) {
  for (const Scope scope : grantable_scopes) {
    if (scope_name(scope) == name) return scope;
  }
  return std::nullopt;
}

}  // namespace tally::auth
