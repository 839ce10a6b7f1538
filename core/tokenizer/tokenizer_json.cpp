// tokenizer_json.cpp — tokenizer.json and vocab.json + merges.txt into a BpeSpec.
//
// nlohmann/json throws on malformed input and on type mismatches; everything here runs inside one
// try block per entry point and returns Errors instead.
#include "core/tokenizer/tokenizer_json.h"

#include "core/io/json_limits.h"
#include "core/io/json_message.h"

#include <exception>
#include <new>
#include <nlohmann/json.hpp>
#include <string>

namespace attnscope {

namespace {

using json = nlohmann::json;

constexpr int kMaxTokenId = (1 << 24) - 1;

// A token or snippet for an error message, quoted and cut short.
std::string in_quotes(std::string_view s) {
  constexpr std::size_t kMax = 40;
  std::string out = "\"";
  out.append(s.substr(0, kMax));
  out.append(s.size() > kMax ? "...\"" : "\"");
  return out;
}

Result<int> read_id(const json& value, std::string_view file, std::string_view token) {
  if (!value.is_number_integer() || value.get<std::int64_t>() < 0 ||
      value.get<std::int64_t>() > kMaxTokenId) {
    return make_error(std::string(file) + ": the id of token " + in_quotes(token) + " is " +
                          json_snippet(value) + ", not an integer in 0.." +
                          std::to_string(kMaxTokenId),
                      "is this a tokenizer file?");
  }
  return static_cast<int>(value.get<std::int64_t>());
}

Status read_vocab(const json& vocab, std::string_view where, BpeSpec& spec) {
  if (!vocab.is_object()) {
    return make_error(std::string(where) + " is missing or not an object of token → id",
                      "is this a tokenizer file?");
  }
  spec.vocab.reserve(vocab.size());
  for (const auto& [token, value] : vocab.items()) {
    const Result<int> id = read_id(value, spec.source, token);
    if (!id) return id.error();
    spec.vocab.emplace_back(token, *id);
  }
  if (spec.vocab.empty()) return make_error(std::string(where) + " is empty");
  return {};
}

// "a b" → {"a", "b"}; anything but two non-empty parts around one space is an error.
Status split_merge(std::string_view line, std::string_view what, BpeSpec& spec) {
  const std::size_t space = line.find(' ');
  if (space == std::string_view::npos || space == 0 || space + 1 == line.size() ||
      line.find(' ', space + 1) != std::string_view::npos) {
    return make_error(std::string(what) + " (" + in_quotes(line) +
                      ") is not two tokens separated by one space");
  }
  spec.merges.emplace_back(line.substr(0, space), line.substr(space + 1));
  return {};
}

Status read_merges(const json& merges, BpeSpec& spec) {
  if (!merges.is_array()) {
    return make_error(spec.source + ": model.merges is missing or not a list");
  }
  spec.merges.reserve(merges.size());
  for (std::size_t i = 0; i < merges.size(); i++) {
    const json& m = merges[i];
    const std::string what = spec.source + ": merge " + std::to_string(i);
    if (m.is_string()) {
      ATTNSCOPE_TRY(split_merge(m.get_ref<const std::string&>(), what, spec));
    } else if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string()) {
      spec.merges.emplace_back(m[0].get<std::string>(), m[1].get<std::string>());
    } else {
      return make_error(what + " is " + json_snippet(m) + ", neither \"a b\" nor [\"a\", \"b\"]");
    }
  }
  return {};
}

// object[key], or null when absent (const operator[] must not be used on a missing key, and
// copying a 7 MB vocabulary to get a default would be wasteful).
const json& member(const json& object, const char* key) {
  static const json null_value;
  if (!object.is_object()) return null_value;
  const auto it = object.find(key);
  return it != object.end() ? *it : null_value;
}

bool flag(const json& object, const char* key, bool fallback) {
  const auto it = object.find(key);
  return it != object.end() && it->is_boolean() ? it->get<bool>() : fallback;
}

std::string type_of(const json& object) {
  const auto it = object.find("type");
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

Status read_normalizer(const json& n, BpeSpec& spec) {
  if (n.is_null()) return {};
  const std::string type = type_of(n);
  if (type == "NFC") {
    spec.nfc = true;
    return {};
  }
  if (type == "Sequence" && member(n, "normalizers").is_array()) {
    for (const json& inner : member(n, "normalizers")) ATTNSCOPE_TRY(read_normalizer(inner, spec));
    return {};
  }
  return make_error(spec.source + ": normalizer " +
                        (type.empty() ? json_snippet(n) : in_quotes(type)) + " is not supported",
                    "attnscope reads byte-level BPE tokenizers with no normalizer or NFC");
}

Status read_pre_tokenizer(const json& p, BpeSpec& spec, bool& byte_level) {
  const std::string type = type_of(p);
  if (type == "Sequence" && member(p, "pretokenizers").is_array()) {
    for (const json& inner : member(p, "pretokenizers")) {
      ATTNSCOPE_TRY(read_pre_tokenizer(inner, spec, byte_level));
    }
    return {};
  }
  if (type == "ByteLevel") {
    byte_level = true;
    if (flag(p, "add_prefix_space", true)) {
      // Prepending a space to every piece is only supported where the pieces are whole texts.
      if (!spec.pre_tokenize.empty()) {
        return make_error(spec.source +
                          ": a ByteLevel pre-tokenizer with add_prefix_space after another "
                          "pre-tokenizer is not supported");
      }
      spec.add_prefix_space = true;
    }
    if (flag(p, "use_regex", true)) spec.pre_tokenize.push_back({});
    return {};
  }
  if (type == "Digits") {
    PreTokenizeStep step;
    step.kind = PreTokenizeStep::Kind::digits;
    step.individual_digits = flag(p, "individual_digits", false);
    spec.pre_tokenize.push_back(step);
    return {};
  }
  if (type == "Split") {
    const json& pattern = member(p, "pattern");
    const json& behavior_value = member(p, "behavior");
    const std::string behavior =
        behavior_value.is_string() ? behavior_value.get<std::string>() : "";
    if (!member(pattern, "Regex").is_string()) {
      return make_error(spec.source + ": Split pre-tokenizer with pattern " +
                        json_snippet(pattern) + " is not supported (only Regex patterns)");
    }
    const std::string regex = member(pattern, "Regex").get<std::string>();
    const std::optional<SplitPattern> known = split_pattern_from_regex(regex);
    if (!known) {
      return make_error(spec.source + ": Split pre-tokenizer regex " + in_quotes(regex) +
                            " is not one attnscope implements",
                        "supported: the GPT-2, Qwen2 and Llama 3 patterns");
    }
    if (behavior != "Isolated" || flag(p, "invert", false)) {
      return make_error(spec.source + ": Split pre-tokenizer with behavior " + in_quotes(behavior) +
                        " is not supported (only Isolated, not inverted)");
    }
    PreTokenizeStep step;
    step.pattern = *known;
    spec.pre_tokenize.push_back(step);
    return {};
  }
  return make_error(spec.source + ": pre_tokenizer " +
                        (type.empty() ? json_snippet(p) : in_quotes(type)) + " is not supported",
                    "attnscope reads byte-level BPE: ByteLevel, Digits, Split and Sequence");
}

Status read_decoder(const json& d, const BpeSpec& spec) {
  if (d.is_null()) return {};
  const std::string type = type_of(d);
  if (type == "ByteLevel") return {};
  if (type == "Sequence" && member(d, "decoders").is_array()) {
    for (const json& inner : member(d, "decoders")) ATTNSCOPE_TRY(read_decoder(inner, spec));
    return {};
  }
  return make_error(spec.source + ": decoder " +
                        (type.empty() ? json_snippet(d) : in_quotes(type)) + " is not supported",
                    "attnscope decodes byte-level BPE (decoder ByteLevel)");
}

Status read_added_tokens(const json& added, BpeSpec& spec) {
  if (added.is_null()) return {};
  if (!added.is_array()) return make_error(spec.source + ": added_tokens is not a list");
  for (const json& t : added) {
    if (!member(t, "content").is_string() || member(t, "id").is_null()) {
      return make_error(spec.source +
                        ": an entry of added_tokens lacks its content or id: " + json_snippet(t));
    }
    AddedToken token;
    token.content = member(t, "content").get<std::string>();
    const Result<int> id = read_id(member(t, "id"), spec.source, token.content);
    if (!id) return id.error();
    token.id = *id;
    token.special = flag(t, "special", false);
    token.single_word = flag(t, "single_word", false);
    token.lstrip = flag(t, "lstrip", false);
    token.rstrip = flag(t, "rstrip", false);
    token.normalized = flag(t, "normalized", !token.special);
    spec.added_tokens.push_back(std::move(token));
  }
  return {};
}

Status read_model(const json& model, BpeSpec& spec) {
  if (!model.is_object()) {
    return make_error(spec.source + " has no \"model\" object", "is this a tokenizer.json?");
  }
  const std::string type = type_of(model);
  if (!(type == "BPE" || (type.empty() && model.contains("merges")))) {
    return make_error(spec.source + ": model.type is " +
                          in_quotes(type.empty() ? "missing" : type) + ", not \"BPE\"",
                      "attnscope reads byte-level BPE tokenizers (GPT-2, Pythia, SmolLM, Qwen2); "
                      "WordPiece, Unigram and WordLevel models are not supported");
  }
  for (const char* key : {"continuing_subword_prefix", "end_of_word_suffix"}) {
    const auto it = model.find(key);
    if (it != model.end() && !it->is_null() &&
        !(it->is_string() && it->get_ref<const std::string&>().empty())) {
      return make_error(spec.source + ": model." + key + " " + json_snippet(*it) +
                        " is not supported (byte-level BPE has none)");
    }
  }
  ATTNSCOPE_TRY(read_vocab(member(model, "vocab"), spec.source + ": model.vocab", spec));
  ATTNSCOPE_TRY(read_merges(member(model, "merges"), spec));
  spec.ignore_merges = flag(model, "ignore_merges", false);
  spec.fuse_unk = flag(model, "fuse_unk", false);
  if (const json& unk = member(model, "unk_token"); unk.is_string()) {
    spec.unk_token = unk.get<std::string>();
  }
  // dropout only matters when training; byte_fallback never fires in a byte-level vocabulary
  // that has all 256 byte tokens (from_spec checks single bytes are there when it is set).
  spec.byte_fallback = flag(model, "byte_fallback", false);
  return {};
}

Result<BpeSpec> read_tokenizer_json(std::string_view text) {
  BpeSpec spec;
  spec.source = "tokenizer.json";
  spec.pre_tokenize.clear();
  const json root = parse_json_limited(text);
  if (!root.is_object()) return make_error("tokenizer.json is not a JSON object");
  ATTNSCOPE_TRY(read_model(member(root, "model"), spec));
  ATTNSCOPE_TRY(read_normalizer(member(root, "normalizer"), spec));
  bool byte_level = false;
  const json& pre = member(root, "pre_tokenizer");
  if (!pre.is_null()) ATTNSCOPE_TRY(read_pre_tokenizer(pre, spec, byte_level));
  if (!byte_level) {
    return make_error("tokenizer.json: the pre_tokenizer has no ByteLevel step",
                      "attnscope reads byte-level BPE tokenizers only");
  }
  ATTNSCOPE_TRY(read_decoder(member(root, "decoder"), spec));
  ATTNSCOPE_TRY(read_added_tokens(member(root, "added_tokens"), spec));
  return spec;
}

Result<BpeSpec> read_vocab_and_merges(std::string_view vocab_json, std::string_view merges_txt) {
  BpeSpec spec;
  spec.source = "vocab.json";
  ATTNSCOPE_TRY(read_vocab(parse_json_limited(vocab_json), "vocab.json", spec));
  spec.source = "merges.txt";  // names the file in errors about merge rules from here on
  std::size_t line_number = 0;
  for (std::size_t pos = 0; pos < merges_txt.size();) {
    std::size_t end = merges_txt.find('\n', pos);
    if (end == std::string_view::npos) end = merges_txt.size();
    std::string_view line = merges_txt.substr(pos, end - pos);
    pos = end + 1;
    line_number++;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || (line_number == 1 && line.starts_with("#version"))) continue;
    ATTNSCOPE_TRY(split_merge(line, "merges.txt line " + std::to_string(line_number), spec));
  }
  for (const auto& [token, id] : spec.vocab) {
    if (token == "<|endoftext|>") spec.added_tokens.push_back({token, id, true});
  }
  return spec;
}

// Runs a reader, turning exceptions (malformed JSON, out of memory) into Errors.
template <typename Reader>
Result<BpeSpec> guarded(std::string_view what, Reader reader) {
  try {
    return reader();
  } catch (const json::parse_error& e) {
    return make_error(std::string(what) + " is not valid JSON (" + json_message(e) + ")",
                      "is the file complete and a tokenizer file?");
  } catch (const JsonLimitError& e) {
    return make_error(std::string(what) + " is " + e.what(),
                      "is this a tokenizer file? real ones nest a few levels");
  } catch (const json::exception& e) {
    return make_error("unexpected structure in " + std::string(what) + " (" + json_message(e) + ")",
                      "is this a tokenizer file?");
  } catch (const std::bad_alloc&) {
    return make_error("out of memory while reading " + std::string(what));
  } catch (const std::exception& e) {
    return make_error("could not read " + std::string(what) + " (" + json_message(e) + ")");
  }
}

}  // namespace

Result<BpeSpec> parse_tokenizer_json(std::string_view json_text) {
  return guarded("tokenizer.json", [&] { return read_tokenizer_json(json_text); });
}

Result<BpeSpec> parse_vocab_and_merges(std::string_view vocab_json, std::string_view merges_txt) {
  return guarded("vocab.json", [&] { return read_vocab_and_merges(vocab_json, merges_txt); });
}

}  // namespace attnscope
