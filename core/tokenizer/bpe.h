// bpe.h — byte-level BPE tokenization, exactly as GPT-2 and Hugging Face `tokenizers` do it.
//
// encode() runs Hugging Face's pipeline:
//   1. added tokens with normalized=false are cut out of the raw text (leftmost-longest);
//   2. the rest is normalized (NFC for Pythia / Qwen2, nothing for GPT-2 / SmolLM) and the added
//      tokens with normalized=true are cut out of it;
//   3. each remaining piece is pre-tokenized (the GPT-2 regex, SmolLM's Digits + GPT-2 regex,
//      Qwen2's regex, ...: pretokenize.h), and every pre-token is turned into bytes and merged by
//      BPE, always merging the adjacent pair with the lowest merge rank (leftmost first on ties).
// decode() concatenates the tokens' bytes, which need not be valid UTF-8 (a token can hold part of
// a character).
//
// Supported tokenizer.json parts: model BPE (vocab, merges as "a b" or ["a", "b"], ignore_merges,
// unk_token; dropout is ignored, as it only matters in training); normalizer null / NFC;
// pre_tokenizer ByteLevel, Digits, Split with the GPT-2, Qwen2 or Llama 3 regex (Isolated), and
// Sequences of them; decoder null / ByteLevel. Anything else is an Error naming the part. The
// post_processor is not applied: encode() returns the text's tokens only (the ByteLevel
// post-processors of the families above add none). A merge rule naming a token missing from the
// vocabulary is an Error, as in Hugging Face.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/error.h"
#include "core/tokenizer/added_tokens.h"
#include "core/tokenizer/bpe_spec.h"
#include "core/tokenizer/pretokenize.h"

namespace attnscope {

// How an id with no known token is shown: "<id 731>" (also for models without a tokenizer).
std::string unknown_token_display(int id);

class BpeTokenizer {
 public:
  // From a Hugging Face tokenizer.json of a byte-level BPE model (GPT-2, Pythia / GPT-NeoX,
  // SmolLM, Qwen2, ...), its "added_tokens" included.
  static Result<BpeTokenizer> from_tokenizer_json(std::string_view json);

  // From GPT-2's vocab.json (or encoder.json) and merges.txt (or vocab.bpe; a first line starting
  // with "#version" is skipped). Pre-tokenization is GPT-2's regex; <|endoftext|>, when in the
  // vocabulary, is a special token matched literally, as Hugging Face's GPT-2 tokenizer does.
  static Result<BpeTokenizer> from_vocab_and_merges(std::string_view vocab_json,
                                                    std::string_view merges_txt);

  // From already-read parts (tests build small tokenizers this way).
  static Result<BpeTokenizer> from_spec(BpeSpec spec);

  // The token ids of utf8_text. Invalid UTF-8 is tokenized byte by byte, never rejected.
  std::vector<int> encode(std::string_view utf8_text) const;

  // The bytes of the tokens, concatenated; unknown ids contribute nothing.
  std::string decode(std::span<const int> ids) const;

  // The raw bytes of one token ("" for an unknown id).
  std::string token_bytes(int id) const;

  // One token made printable for the UI's token strip: a space shows as "·" (U+00B7); newline,
  // tab, carriage return and backslash as \n \t \r \\; other control bytes and bytes that are not
  // valid UTF-8 (part of a character) as \xHH. An id with no token (past the vocabulary, as in
  // padded embedding tables) shows as "<id N>".
  std::string token_display(int id) const;

  // One past the largest token id (model vocabulary and added tokens).
  int vocab_size() const { return static_cast<int>(token_bytes_.size()); }

  // The id of a token by its vocabulary string (e.g. "Ġthe") or an added token's content.
  std::optional<int> token_id(std::string_view token_string) const;

 private:
  BpeTokenizer() = default;  // made only by from_spec

  struct Merge {
    int rank;
    int id;  // the merged token
  };
  struct EncodeState;  // one encode() call's scratch space and word cache (bpe.cpp)
  void encode_normalized(std::string_view text, EncodeState& state) const;
  void encode_ordinary(std::string_view text, EncodeState& state) const;
  void encode_word(std::string_view bytes, EncodeState& state) const;
  void merge_word(std::string_view bytes, EncodeState& state) const;

  std::vector<std::string> token_bytes_;             // by id; "" where no token has that id
  std::unordered_map<std::string, int> by_string_;   // vocabulary strings and added contents → id
  std::unordered_map<std::string, int> by_bytes_;    // model vocabulary, by raw bytes → id
  std::array<int, 256> byte_ids_{};                  // the token of each single byte, or -1
  std::unordered_map<std::uint64_t, Merge> merges_;  // (left id << 32 | right id) → merge
  AddedTokenMatcher raw_added_;                      // matched before normalization
  AddedTokenMatcher normalized_added_;               // matched after it
  std::vector<PreTokenizeStep> pre_tokenize_;
  bool nfc_ = false;
  bool add_prefix_space_ = false;
  bool ignore_merges_ = false;
  int unk_id_ = -1;
  bool fuse_unk_ = false;
};

}  // namespace attnscope
