// json_limits.h — nlohmann/json parsing with limits for files from anywhere: a bounded nesting
// depth (the readers that walk a document recurse, and a 100 KB file of nested arrays would
// overflow the stack) and, where a repeated key would silently replace an earlier one, a refusal
// of duplicate keys. Also a short, safe description of an untrusted value for error messages.
#pragma once

#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>

namespace attnscope {

// Deeper than any real config.json, tokenizer.json, safetensors header or ground_truth.json
// (the deepest seen: tokenizer.json normalizer sequences, 4 levels).
inline constexpr int kMaxJsonDepth = 64;

// Thrown by parse_json_limited when a limit is exceeded; what() is one printable line.
class JsonLimitError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct JsonLimits {
  int max_depth = kMaxJsonDepth;
  bool unique_keys = false;  // refuse an object that names a key twice
};

// Parses `text`; throws nlohmann::json::parse_error on malformed JSON and JsonLimitError when
// nesting exceeds limits.max_depth or (with unique_keys) a key repeats in one object.
nlohmann::json parse_json_limited(std::string_view text, JsonLimits limits = {});

// A value for a one-line message, never longer than about max_chars: scalars as JSON (strings
// cut short, control characters as '?'), containers as "an object of N keys" / "a list of N
// items". Never recurses, so it is safe on any value.
std::string json_snippet(const nlohmann::json& value, std::size_t max_chars = 40);

}  // namespace attnscope
