// Node capacities that fill the allocator's size classes: shared by the trees that grow their nodes in steps
// (ledger/balance_history_nodes.hpp, actors/tx_timeline.cpp). Each tree lists its own steps, since a step
// depends on its slot size; this picks one.
#pragma once

#include <cstddef>

namespace tally {

// The smallest step that holds `slots`, or `max` when none does (steps ascending).
template <std::size_t N>
constexpr int first_step_holding(const int (&steps)[N], int slots, int max) {
  for (int step : steps) {
    if (step >= slots) return step;
  }
  return max;
}

}  // namespace tally
