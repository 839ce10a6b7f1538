// op_profile.cpp — see op_profile.h.
#include "core/ops/op_profile.h"

#include <algorithm>
#include <cstdio>
#include <utility>
#include <vector>

namespace attnscope {

void OpProfile::add(const std::string& name, Clock::time_point start) {
  const double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  std::lock_guard<std::mutex> lock(mutex_);
  Row& row = rows_[name];
  row.ms += ms;
  row.count++;
}

std::string OpProfile::report() {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<std::pair<std::string, Row>> rows(rows_.begin(), rows_.end());
  std::sort(rows.begin(), rows.end(),
            [](const auto& a, const auto& b) { return a.second.ms > b.second.ms; });
  double total = 0;
  for (const auto& r : rows) total += r.second.ms;
  std::string out;
  char line[192];
  for (const auto& [name, row] : rows) {
    std::snprintf(line, sizeof line, "%-24s %9.2f ms %5.1f%% %7ld calls\n", name.c_str(), row.ms,
                  total > 0 ? 100.0 * row.ms / total : 0.0, row.count);
    out += line;
  }
  std::snprintf(line, sizeof line, "%-24s %9.2f ms\n", "total", total);
  if (!rows.empty()) out += line;
  rows_.clear();
  return out;
}

void OpProfile::clear() {
  std::lock_guard<std::mutex> lock(mutex_);
  rows_.clear();
}

}  // namespace attnscope
