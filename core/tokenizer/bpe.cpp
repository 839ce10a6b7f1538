// bpe.cpp — building the lookup tables from a BpeSpec, and encoding / decoding with them.
//
// The merge loop keeps the word as a linked list of symbols and the candidate pairs in a min-heap
// keyed by (merge rank, position), so a word of n bytes costs O(n log n) and long runs without
// spaces (a 1 MB line of letters) stay fast. Popping the lowest rank, leftmost first, is the order
// Hugging Face's BPE merges in; for merge lists learned by BPE training it gives the same tokens as
// GPT-2's encoder.py, which merges every occurrence of the best pair per pass.
#include "core/tokenizer/bpe.h"

#include <algorithm>
#include <functional>
#include <new>

#include "core/tokenizer/byte_level.h"
#include "core/tokenizer/nfc.h"
#include "core/tokenizer/tokenizer_json.h"
#include "core/tokenizer/utf8.h"

namespace attnscope {

namespace {

std::uint64_t pair_key(int left, int right) {
  return static_cast<std::uint64_t>(static_cast<std::uint32_t>(left)) << 32 |
         static_cast<std::uint32_t>(right);
}

std::string in_quotes(std::string_view s) {
  std::string out = "\"";
  out.append(s.substr(0, 40));
  out.append(s.size() > 40 ? "...\"" : "\"");
  return out;
}

// One symbol of a word being merged: a doubly linked list over the word's bytes.
struct Symbol {
  int id;    // -1 once merged into its left neighbour
  int prev;  // -1: none
  int next;  // -1: none
};

// A pair of adjacent symbols that a merge rule could join.
struct Candidate {
  int rank;
  int left;  // symbol index; the right one is symbols[left].next at push time
  int right;
  int merged_id;
  int left_id;
  int right_id;
  // std heap functions keep the largest on top: "larger" here means lower priority.
  bool operator<(const Candidate& o) const {
    return rank != o.rank ? rank > o.rank : left > o.left;
  }
};

struct TransparentHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

}  // namespace

// Scratch space reused across the words of one encode() call, and a cache of the words seen so
// far (text repeats its words, so most are merged once). Local to the call: encode() stays const
// and safe to call from several threads.
struct BpeTokenizer::EncodeState {
  static constexpr std::size_t kMaxCachedWordBytes = 64;
  static constexpr std::size_t kMaxCachedWords = 1 << 16;

  std::vector<int> ids;  // the output
  std::vector<Symbol> symbols;
  std::vector<Candidate> heap;
  // word bytes → [first, last) of its ids in cached_ids
  std::unordered_map<std::string, std::pair<std::uint32_t, std::uint32_t>, TransparentHash,
                     std::equal_to<>>
      cache;
  std::vector<int> cached_ids;
};

Result<BpeTokenizer> BpeTokenizer::from_tokenizer_json(std::string_view json) {
  Result<BpeSpec> spec = parse_tokenizer_json(json);
  if (!spec) return spec.error();
  return from_spec(std::move(spec).value());
}

Result<BpeTokenizer> BpeTokenizer::from_vocab_and_merges(std::string_view vocab_json,
                                                         std::string_view merges_txt) {
  Result<BpeSpec> spec = parse_vocab_and_merges(vocab_json, merges_txt);
  if (!spec) return spec.error();
  return from_spec(std::move(spec).value());
}

Result<BpeTokenizer> BpeTokenizer::from_spec(BpeSpec spec) try {
  BpeTokenizer t;
  const std::string& src = spec.source;

  // Ids: dense enough to index a table.
  int max_id = -1;
  for (const auto& [token, id] : spec.vocab) max_id = std::max(max_id, id);
  for (const AddedToken& a : spec.added_tokens) max_id = std::max(max_id, a.id);
  const std::size_t count = spec.vocab.size() + spec.added_tokens.size();
  if (max_id < 0) return make_error(src + ": the vocabulary is empty");
  if (static_cast<std::size_t>(max_id) > 4 * count + 1024) {
    return make_error(src + ": token ids are too sparse (largest id " + std::to_string(max_id) +
                      " for " + std::to_string(count) + " tokens)");
  }
  t.token_bytes_.resize(max_id + 1);
  std::vector<bool> has_token(max_id + 1);

  // The model vocabulary, by string and by raw bytes.
  t.byte_ids_.fill(-1);
  t.by_string_.reserve(count);
  t.by_bytes_.reserve(spec.vocab.size());
  for (auto& [token, id] : spec.vocab) {
    std::optional<std::string> bytes = byte_level_decode(token);
    if (!has_token[id]) {
      // A token that is not in byte-level form decodes to its own UTF-8, as Hugging Face's
      // ByteLevel decoder does.
      t.token_bytes_[id] = bytes ? *bytes : token;
      has_token[id] = true;
    }
    if (bytes) {
      if (bytes->size() == 1) t.byte_ids_[static_cast<std::uint8_t>((*bytes)[0])] = id;
      t.by_bytes_.emplace(std::move(*bytes), id);
    }
    t.by_string_.emplace(std::move(token), id);
  }

  // Merge rules: both halves and the merged token must be in the vocabulary.
  t.merges_.reserve(spec.merges.size());
  for (std::size_t rank = 0; rank < spec.merges.size(); rank++) {
    const std::string& left = spec.merges[rank].first;    // (clang 14 lambdas cannot capture
    const std::string& right = spec.merges[rank].second;  // structured bindings)
    const auto rule = [&] {
      return "merge " + std::to_string(rank) + " " + in_quotes(left + " " + right);
    };
    const auto l = t.by_string_.find(left);
    const auto r = t.by_string_.find(right);
    if (l == t.by_string_.end() || r == t.by_string_.end()) {
      return make_error(src + ": " + rule() + " names " +
                            in_quotes(l == t.by_string_.end() ? left : right) +
                            ", which is not in the vocabulary",
                        "the vocabulary and merges do not belong together");
    }
    const auto merged = t.by_string_.find(left + right);
    if (merged == t.by_string_.end()) {
      return make_error(src + ": " + rule() + " makes " + in_quotes(left + right) +
                            ", which is not in the vocabulary",
                        "the vocabulary and merges do not belong together");
    }
    // A repeated rule keeps its last rank, as in GPT-2's and Hugging Face's dictionaries.
    t.merges_[pair_key(l->second, r->second)] = {static_cast<int>(rank), merged->second};
  }

  // Added tokens: matched in the raw or the normalized text, decoded like any token.
  std::vector<AddedToken> raw, normalized;
  for (AddedToken& a : spec.added_tokens) {
    t.token_bytes_[a.id] = byte_level_decode(a.content).value_or(a.content);
    t.by_string_[a.content] = a.id;
    if (a.normalized && spec.nfc) a.content = nfc_normalize(a.content);
    (a.normalized ? normalized : raw).push_back(std::move(a));
  }
  t.raw_added_ = AddedTokenMatcher(std::move(raw));
  t.normalized_added_ = AddedTokenMatcher(std::move(normalized));

  if (spec.unk_token) {
    const auto unk = t.by_string_.find(*spec.unk_token);
    if (unk == t.by_string_.end()) {
      return make_error(src + ": unk_token " + in_quotes(*spec.unk_token) +
                        " is not in the vocabulary");
    }
    t.unk_id_ = unk->second;
  }
  if (spec.byte_fallback &&
      std::find(t.byte_ids_.begin(), t.byte_ids_.end(), -1) != t.byte_ids_.end()) {
    return make_error(src +
                      ": byte_fallback with a vocabulary that lacks some of the 256 byte "
                      "tokens is not supported");
  }
  t.fuse_unk_ = spec.fuse_unk;
  t.ignore_merges_ = spec.ignore_merges;
  t.nfc_ = spec.nfc;
  t.add_prefix_space_ = spec.add_prefix_space;
  t.pre_tokenize_ = std::move(spec.pre_tokenize);
  return t;
} catch (const std::bad_alloc&) {
  return make_error("out of memory while building the tokenizer");
}

std::vector<int> BpeTokenizer::encode(std::string_view text) const {
  EncodeState state;
  state.ids.reserve(text.size() / 4);
  if (raw_added_.empty()) {
    encode_normalized(text, state);
    return std::move(state.ids);
  }
  for (const AddedTokenSplit& split : raw_added_.split(text)) {
    if (split.id >= 0) {
      state.ids.push_back(split.id);
    } else {
      encode_normalized(text.substr(split.span.begin, split.span.end - split.span.begin), state);
    }
  }
  return std::move(state.ids);
}

void BpeTokenizer::encode_normalized(std::string_view text, EncodeState& state) const {
  std::string normalized;
  if (nfc_) {
    normalized = nfc_normalize(text);
    text = normalized;
  }
  if (normalized_added_.empty()) {
    encode_ordinary(text, state);
    return;
  }
  for (const AddedTokenSplit& split : normalized_added_.split(text)) {
    if (split.id >= 0) {
      state.ids.push_back(split.id);
    } else {
      encode_ordinary(text.substr(split.span.begin, split.span.end - split.span.begin), state);
    }
  }
}

void BpeTokenizer::encode_ordinary(std::string_view text, EncodeState& state) const {
  std::string prefixed;
  if (add_prefix_space_ && !text.empty() && text[0] != ' ') {
    prefixed.reserve(text.size() + 1);
    prefixed.append(1, ' ').append(text);
    text = prefixed;
  }
  for (const TextSpan& piece : pre_tokenize(text, pre_tokenize_)) {
    encode_word(text.substr(piece.begin, piece.end - piece.begin), state);
  }
}

void BpeTokenizer::encode_word(std::string_view bytes, EncodeState& state) const {
  if (ignore_merges_) {
    if (const auto it = by_bytes_.find(std::string(bytes)); it != by_bytes_.end()) {
      state.ids.push_back(it->second);
      return;
    }
  }
  if (bytes.size() == 1 && byte_ids_[static_cast<std::uint8_t>(bytes[0])] >= 0) {
    state.ids.push_back(byte_ids_[static_cast<std::uint8_t>(bytes[0])]);
    return;
  }
  const bool cacheable = bytes.size() <= EncodeState::kMaxCachedWordBytes;
  if (cacheable) {
    if (const auto it = state.cache.find(bytes); it != state.cache.end()) {
      const auto [first, last] = it->second;
      state.ids.insert(state.ids.end(), state.cached_ids.begin() + first,
                       state.cached_ids.begin() + last);
      return;
    }
  }
  const std::size_t start = state.ids.size();
  merge_word(bytes, state);
  if (cacheable && state.cache.size() < EncodeState::kMaxCachedWords) {
    const auto first = static_cast<std::uint32_t>(state.cached_ids.size());
    state.cached_ids.insert(state.cached_ids.end(), state.ids.begin() + start, state.ids.end());
    state.cache.emplace(bytes,
                        std::pair{first, static_cast<std::uint32_t>(state.cached_ids.size())});
  }
}

void BpeTokenizer::merge_word(std::string_view bytes, EncodeState& state) const {
  // One symbol per byte; a byte with no token becomes unk, or is dropped when there is none.
  std::vector<Symbol>& symbols = state.symbols;
  std::vector<Candidate>& heap = state.heap;
  symbols.clear();
  heap.clear();
  for (const char c : bytes) {
    int id = byte_ids_[static_cast<std::uint8_t>(c)];
    if (id < 0) {
      if (unk_id_ < 0) continue;
      if (fuse_unk_ && !symbols.empty() && symbols.back().id == unk_id_) continue;
      id = unk_id_;
    }
    const int index = static_cast<int>(symbols.size());
    symbols.push_back({id, index - 1, -1});
    if (index > 0) symbols[index - 1].next = index;
  }
  if (symbols.empty()) return;

  const auto consider = [&](int left) {
    if (left < 0) return;
    const int right = symbols[left].next;
    if (right < 0) return;
    const auto it = merges_.find(pair_key(symbols[left].id, symbols[right].id));
    if (it == merges_.end()) return;
    heap.push_back(
        {it->second.rank, left, right, it->second.id, symbols[left].id, symbols[right].id});
    std::push_heap(heap.begin(), heap.end());
  };
  for (int i = 0; i + 1 < static_cast<int>(symbols.size()); i++) consider(i);

  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end());
    const Candidate c = heap.back();
    heap.pop_back();
    Symbol& left = symbols[c.left];
    // Stale when either side has been merged since the candidate was pushed.
    if (left.id != c.left_id || left.next != c.right || symbols[c.right].id != c.right_id) {
      continue;
    }
    Symbol& right = symbols[c.right];
    left.id = c.merged_id;
    left.next = right.next;
    if (right.next >= 0) symbols[right.next].prev = c.left;
    right.id = -1;
    consider(left.prev);
    consider(c.left);
  }

  for (int i = 0; i >= 0; i = symbols[i].next) state.ids.push_back(symbols[i].id);
}

std::string BpeTokenizer::decode(std::span<const int> ids) const {
  std::string out;
  for (const int id : ids) {
    if (id >= 0 && id < vocab_size()) out += token_bytes_[id];
  }
  return out;
}

std::string unknown_token_display(int id) {
  return "<id " + std::to_string(id) + ">";
}

std::string BpeTokenizer::token_bytes(int id) const {
  return id >= 0 && id < vocab_size() ? token_bytes_[id] : std::string();
}

std::string BpeTokenizer::token_display(int id) const {
  const std::string bytes = token_bytes(id);
  // Ids past the tokenizer's vocabulary are common (embedding tables padded to a multiple of 64):
  // they still need a visible name.
  if (bytes.empty()) return unknown_token_display(id);
  std::string out;
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (std::size_t pos = 0; pos < bytes.size();) {
    const DecodedCodePoint d = decode_utf8(bytes, pos);
    const auto b = static_cast<std::uint8_t>(bytes[pos]);
    if (d.cp == ' ') {
      out += "\u00B7";
    } else if (d.cp == '\n') {
      out += "\\n";
    } else if (d.cp == '\t') {
      out += "\\t";
    } else if (d.cp == '\r') {
      out += "\\r";
    } else if (d.cp == '\\') {
      out += "\\\\";
    } else if (d.cp == kInvalidCodePoint || d.cp < 0x20 || d.cp == 0x7F) {
      out += "\\x";
      out += kHex[b >> 4];
      out += kHex[b & 0xF];
    } else {
      out.append(bytes, pos, d.bytes);
    }
    pos += d.bytes;
  }
  return out;
}

std::optional<int> BpeTokenizer::token_id(std::string_view token_string) const {
  const auto it = by_string_.find(std::string(token_string));
  if (it == by_string_.end()) return std::nullopt;
  return it->second;
}

}  // namespace attnscope
