// tally-loadgen's command line: the options (--help prints them) parsed and checked into Options, and the one way
// the tool stops on a bad input.
#pragma once

#include <string>

#include "workload.hpp"

namespace loadgen {

// Exits the process with `code` after printing msg (also for unusable options).
[[noreturn]] void die(const std::string& msg, int code = 1);

// Every option, or --help (prints the usage and exits 0); anything unusable ends the process through die().
Options parse_args(int argc, char** argv);

}  // namespace loadgen
