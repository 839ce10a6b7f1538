// json_limits.cpp — see json_limits.h. The limits are enforced from nlohmann/json's parser
// callback, which sees every container start and every key before the value is built.
#include "core/io/json_limits.h"

#include <set>
#include <vector>

namespace attnscope {

namespace {

// A key or string for a message: control and non-ASCII bytes as '?', cut at max_chars.
std::string printable_prefix(std::string_view s, std::size_t max_chars) {
  std::string out;
  for (std::size_t i = 0; i < s.size() && i < max_chars; i++) {
    const unsigned char u = static_cast<unsigned char>(s[i]);
    out += (u < 0x20 || u >= 0x7f) ? '?' : static_cast<char>(u);
  }
  if (s.size() > max_chars) out += "...";
  return out;
}

}  // namespace

nlohmann::json parse_json_limited(std::string_view text, JsonLimits limits) {
  using json = nlohmann::json;
  // One entry per open container: the keys seen so far when it is an object.
  std::vector<std::set<std::string, std::less<>>> open;
  const json::parser_callback_t callback = [&](int, json::parse_event_t event, json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
      case json::parse_event_t::array_start:
        if (static_cast<int>(open.size()) >= limits.max_depth) {
          throw JsonLimitError("nested deeper than " + std::to_string(limits.max_depth) +
                               " levels");
        }
        open.emplace_back();
        break;
      case json::parse_event_t::object_end:
      case json::parse_event_t::array_end:
        if (!open.empty()) open.pop_back();
        break;
      case json::parse_event_t::key:
        if (limits.unique_keys && !open.empty() && parsed.is_string()) {
          const std::string& key = parsed.get_ref<const std::string&>();
          if (!open.back().insert(key).second) {
            throw JsonLimitError("the key '" + printable_prefix(key, 80) + "' appears twice");
          }
        }
        break;
      case json::parse_event_t::value:
        break;
    }
    return true;
  };
  return json::parse(text.begin(), text.end(), callback);
}

std::string json_snippet(const nlohmann::json& value, std::size_t max_chars) {
  if (value.is_object()) return "an object of " + std::to_string(value.size()) + " keys";
  if (value.is_array()) return "a list of " + std::to_string(value.size()) + " items";
  if (value.is_string()) {
    return "\"" + printable_prefix(value.get_ref<const std::string&>(), max_chars) + "\"";
  }
  // Numbers, booleans, null: short by nature.
  return printable_prefix(value.dump(), max_chars);
}

}  // namespace attnscope
