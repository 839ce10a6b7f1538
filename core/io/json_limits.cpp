// json_limits.cpp — see json_limits.h. The limits are enforced by a SAX filter in front of
// nlohmann/json's DOM builder, which sees every container start and every key as it is read.
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

// nlohmann/json's own DOM builder behind a SAX filter that counts depth and checks keys. (Not
// its parser callback: that one rescans the parent object after every nested object ends, which
// is quadratic in a safetensors header of 200,000 tensors.)
class LimitedSax {
 public:
  using json = nlohmann::json;
  LimitedSax(json& result, JsonLimits limits) : dom_(result, true), limits_(limits) {}

  bool null() { return dom_.null(); }
  bool boolean(bool v) { return dom_.boolean(v); }
  bool number_integer(json::number_integer_t v) { return dom_.number_integer(v); }
  bool number_unsigned(json::number_unsigned_t v) { return dom_.number_unsigned(v); }
  bool number_float(json::number_float_t v, const json::string_t& s) {
    return dom_.number_float(v, s);
  }
  bool string(json::string_t& v) { return dom_.string(v); }
  bool binary(json::binary_t& v) { return dom_.binary(v); }
  bool start_object(std::size_t n) {
    open(true);
    return dom_.start_object(n);
  }
  bool key(json::string_t& k) {
    if (limits_.unique_keys && !keys_.empty() && !keys_.back().insert(k).second) {
      throw JsonLimitError("the key '" + printable_prefix(k, 80) + "' appears twice");
    }
    return dom_.key(k);
  }
  bool end_object() {
    close();
    return dom_.end_object();
  }
  bool start_array(std::size_t n) {
    open(false);
    return dom_.start_array(n);
  }
  bool end_array() {
    close();
    return dom_.end_array();
  }
  template <class Exception>
  bool parse_error(std::size_t position, const std::string& token, const Exception& ex) {
    return dom_.parse_error(position, token, ex);  // throws ex
  }

 private:
  void open(bool object) {
    if (++depth_ > limits_.max_depth) {
      throw JsonLimitError("nested deeper than " + std::to_string(limits_.max_depth) + " levels");
    }
    if (limits_.unique_keys && object) keys_.emplace_back();
    object_.push_back(object);
  }
  void close() {
    depth_--;
    if (!object_.empty()) {
      if (object_.back() && limits_.unique_keys) keys_.pop_back();
      object_.pop_back();
    }
  }

  nlohmann::detail::json_sax_dom_parser<json> dom_;
  JsonLimits limits_;
  int depth_ = 0;
  std::vector<bool> object_;                              // per open container: an object?
  std::vector<std::set<std::string, std::less<>>> keys_;  // per open object, with unique_keys
};

}  // namespace

nlohmann::json parse_json_limited(std::string_view text, JsonLimits limits) {
  nlohmann::json result;
  LimitedSax sax(result, limits);
  nlohmann::json::sax_parse(text.begin(), text.end(), &sax);
  return result;
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
