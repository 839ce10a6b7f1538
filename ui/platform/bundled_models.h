// bundled_models.h — the models shipped in models/, in the order the explorer lists them (the
// default first). The browser build copies the same folders next to the page (web/CMakeLists.txt).
#pragma once

#include <string>
#include <vector>

namespace attnscope::ui {

struct BundledModel {
  const char* name;
  const char* description;
};

inline const std::vector<BundledModel>& bundled_model_list() {
  static const std::vector<BundledModel> list = {
      {"attnscope-kjv",
       "GPT-2, 4 layers × 8 heads, trained on the King James Bible: first-token sinks, a "
       "previous-token head (L0H2) and induction heads (L1H1–L1H5). The default."},
      {"attnscope-tasks",
       "GPT-2, 4 layers × 8 heads, trained on four circuit tasks (induction, IOI, greater-than, "
       "docstring) with ablation ground truth: the Circuits panel's model."},
  };
  return list;
}

}  // namespace attnscope::ui
