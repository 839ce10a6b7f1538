// op_profile.h — per-op wall time of one or more passes, for `attnscope bench --profile`:
// each row is one kernel (or one op of one shape), its total milliseconds and call count. Every
// backend that profiles fills one of these, so the report reads the same for the CPU and WebGPU.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <string>

namespace attnscope {

class OpProfile {
 public:
  using Clock = std::chrono::steady_clock;

  // Adds the time since `start` to `name`'s row. Safe from several threads.
  void add(const std::string& name, Clock::time_point start);
  // One line per row, slowest first, with its share of the total; clears the rows.
  std::string report();
  void clear();

 private:
  struct Row {
    double ms = 0;
    long count = 0;
  };
  std::mutex mutex_;
  std::map<std::string, Row> rows_;
};

}  // namespace attnscope
