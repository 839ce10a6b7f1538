// json_read.h — reading JSON that anyone may have written (a session file): the text is checked
// before nlohmann parses it (size, nesting), and every field is read through a getter that checks
// its type and range and keeps the first problem, with where it was, as one message. Nothing here
// throws (nlohmann's throwing accessors are never reached): a bad file is a message, not a path
// through exception handlers.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"

namespace attnscope::ui {

// Parses `text` as one JSON value, or says why not: over `max_bytes`, nested deeper than
// `max_depth` (the parser's stack and the value's destructor grow with it), or malformed.
Result<nlohmann::json> parse_untrusted_json(std::string_view text, std::size_t max_bytes,
                                            int max_depth);

class JsonReader {
 public:
  using json = nlohmann::json;

  // The fields of `object` (null or a non-object: every getter finds nothing); `where` prefixes
  // messages ("ablation" → "ablation.mode: ...").
  JsonReader(const json* object, std::string where, std::string* error)
      : object_(object && object->is_object() ? object : nullptr),
        where_(std::move(where)),
        error_(error) {}

  // A sub-object; absent is fine (an empty reader), another type is an error.
  JsonReader object(const char* key);
  // The field's value if present (any type), for arrays read by the caller.
  const json* find(const char* key) const;

  // Each getter leaves `out` alone when the field is absent, and records an error (leaving `out`
  // alone too) when it has the wrong type or is out of range. True when `out` was set.
  bool text(const char* key, std::string& out, std::size_t max_size = 1 << 20);
  bool flag(const char* key, bool& out);
  bool integer(const char* key, int& out, int lo, int hi);
  bool number(const char* key, double& out, double lo, double hi);
  bool number(const char* key, float& out, float lo, float hi);

  // Records a problem with `key` (the first one wins).
  void fail(const std::string& key, const std::string& what);
  bool ok() const { return error_->empty(); }
  std::string path(const std::string& key) const {
    return where_.empty() ? key : where_ + "." + key;
  }

 private:
  const json* object_;
  std::string where_;
  std::string* error_;
};

// An integer JSON value within [lo, hi] (any number type; a fraction or 1e300 is not one).
std::optional<long long> json_integer(const nlohmann::json& value, long long lo, long long hi);

}  // namespace attnscope::ui
