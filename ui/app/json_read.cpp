// json_read.cpp — see json_read.h.
#include "ui/app/json_read.h"

#include <cmath>
#include <cstdio>

namespace attnscope::ui {

namespace {

std::string short_number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

}  // namespace

Result<nlohmann::json> parse_untrusted_json(std::string_view text, std::size_t max_bytes,
                                            int max_depth) {
  if (text.size() > max_bytes)
    return make_error("the file is " + std::to_string(text.size() >> 20) + " MiB; at most " +
                      std::to_string(max_bytes >> 20) + " MiB are read");
  // Nesting, counted outside strings, before the parser sees it.
  int depth = 0;
  bool in_string = false, escaped = false;
  for (const char c : text) {
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth)
        return make_error("nested deeper than " + std::to_string(max_depth) + " levels");
    } else if (c == ']' || c == '}') {
      depth--;
    }
  }
  nlohmann::json value = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) return make_error("not valid JSON (damaged, or cut short)");
  return value;
}

std::optional<long long> json_integer(const nlohmann::json& value, long long lo, long long hi) {
  if (value.is_number_unsigned()) {
    const auto v = value.get<std::uint64_t>();
    if (v > std::uint64_t(hi) || (lo > 0 && v < std::uint64_t(lo))) return std::nullopt;
    return (long long)v;
  }
  if (value.is_number_integer()) {
    const auto v = value.get<std::int64_t>();
    if (v < lo || v > hi) return std::nullopt;
    return (long long)v;
  }
  return std::nullopt;  // a fraction, a string, ...
}

JsonReader JsonReader::object(const char* key) {
  const json* value = find(key);
  if (value && !value->is_object()) fail(key, "expected an object");
  return JsonReader(value && value->is_object() ? value : nullptr, path(key), error_);
}

const nlohmann::json* JsonReader::find(const char* key) const {
  if (!object_) return nullptr;
  const auto it = object_->find(key);
  return it == object_->end() ? nullptr : &*it;
}

void JsonReader::fail(const std::string& key, const std::string& what) {
  if (error_->empty()) *error_ = path(key) + ": " + what;
}

bool JsonReader::text(const char* key, std::string& out, std::size_t max_size) {
  const json* value = find(key);
  if (!value) return false;
  if (!value->is_string()) return fail(key, "expected a string"), false;
  const std::string& s = value->get_ref<const std::string&>();
  if (s.size() > max_size)
    return fail(key, "longer than " + std::to_string(max_size) + " bytes"), false;
  out = s;
  return true;
}

bool JsonReader::flag(const char* key, bool& out) {
  const json* value = find(key);
  if (!value) return false;
  if (!value->is_boolean()) return fail(key, "expected true or false"), false;
  out = value->get<bool>();
  return true;
}

bool JsonReader::integer(const char* key, int& out, int lo, int hi) {
  const json* value = find(key);
  if (!value) return false;
  const auto v = json_integer(*value, lo, hi);
  if (!v)
    return fail(key,
                "expected a whole number from " + std::to_string(lo) + " to " + std::to_string(hi)),
           false;
  out = int(*v);
  return true;
}

bool JsonReader::number(const char* key, double& out, double lo, double hi) {
  const json* value = find(key);
  if (!value) return false;
  if (!value->is_number()) return fail(key, "expected a number"), false;
  const double v = value->get<double>();
  if (!std::isfinite(v) || v < lo || v > hi)
    return fail(key, "expected a number from " + short_number(lo) + " to " + short_number(hi)),
           false;
  out = v;
  return true;
}

bool JsonReader::number(const char* key, float& out, float lo, float hi) {
  double v = out;
  if (!number(key, v, lo, hi)) return false;
  out = float(v);
  return true;
}

}  // namespace attnscope::ui
