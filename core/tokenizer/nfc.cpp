// nfc.cpp — NFC in the textbook three steps: full canonical decomposition, canonical ordering of
// combining marks, canonical composition. Tables come from unicode_nfc_data.cpp; Hangul syllables
// use the arithmetic of the Unicode standard (section 3.12).
#include "core/tokenizer/nfc.h"

#include <algorithm>
#include <cstdint>
#include <tuple>
#include <utility>
#include <vector>

#include "core/tokenizer/unicode_nfc_data.h"
#include "core/tokenizer/utf8.h"

namespace attnscope {

namespace {

// Invalid UTF-8 bytes travel through the steps as code points above Unicode's range.
constexpr char32_t kInvalidByteBase = 0x110000;

constexpr char32_t kSBase = 0xAC00, kLBase = 0x1100, kVBase = 0x1161, kTBase = 0x11A7;
constexpr char32_t kLCount = 19, kVCount = 21, kTCount = 28;
constexpr char32_t kNCount = kVCount * kTCount, kSCount = kLCount * kNCount;

// Below U+0300 nothing has a non-zero combining class or is the second half of a composition,
// and below U+00C0 nothing decomposes.
constexpr char32_t kFirstCombining = 0x300;
constexpr char32_t kFirstDecomposable = 0xC0;

std::uint8_t combining_class(char32_t cp) {
  if (cp < kFirstCombining || cp >= kInvalidByteBase) return 0;
  const auto ranges = combining_class_ranges();
  auto it = std::upper_bound(ranges.begin(), ranges.end(), cp,
                             [](char32_t c, const CombiningClassRange& r) { return c < r.first; });
  if (it == ranges.begin()) return 0;
  --it;
  return cp <= it->last ? it->ccc : 0;
}

void decompose(char32_t cp, std::vector<char32_t>& out) {
  if (cp < kFirstDecomposable || cp >= kInvalidByteBase) {
    out.push_back(cp);
    return;
  }
  if (cp >= kSBase && cp < kSBase + kSCount) {
    const char32_t s = cp - kSBase;
    out.push_back(kLBase + s / kNCount);
    out.push_back(kVBase + (s % kNCount) / kTCount);
    if (s % kTCount != 0) out.push_back(kTBase + s % kTCount);
    return;
  }
  const auto table = canonical_decompositions();
  auto it = std::lower_bound(table.begin(), table.end(), cp,
                             [](const CanonicalDecomposition& d, char32_t c) { return d.cp < c; });
  if (it == table.end() || it->cp != cp) {
    out.push_back(cp);
    return;
  }
  decompose(it->first, out);
  if (it->second != 0) decompose(it->second, out);
}

// The primary composite of a + b, or 0.
char32_t compose(char32_t a, char32_t b) {
  if (b < kFirstCombining || b >= kInvalidByteBase || a >= kInvalidByteBase) return 0;
  if (a >= kLBase && a < kLBase + kLCount && b >= kVBase && b < kVBase + kVCount) {
    return kSBase + ((a - kLBase) * kVCount + (b - kVBase)) * kTCount;
  }
  if (a >= kSBase && a < kSBase + kSCount && (a - kSBase) % kTCount == 0 && b > kTBase &&
      b < kTBase + kTCount) {
    return a + (b - kTBase);
  }
  const auto table = primary_compositions();
  auto it = std::lower_bound(table.begin(), table.end(), std::pair{a, b},
                             [](const PrimaryComposition& p, std::pair<char32_t, char32_t> key) {
                               return std::pair{p.first, p.second} < key;
                             });
  return it != table.end() && it->first == a && it->second == b ? it->composite : 0;
}

}  // namespace

std::string nfc_normalize(std::string_view text) {
  // Text below U+0300 is already in NFC (its lead bytes are all below 0xCC).
  if (std::all_of(text.begin(), text.end(),
                  [](char c) { return static_cast<std::uint8_t>(c) < 0xCC; })) {
    return std::string(text);
  }

  // 1. Full canonical decomposition.
  std::vector<char32_t> cps;
  cps.reserve(text.size());
  for (std::size_t pos = 0; pos < text.size();) {
    const DecodedCodePoint d = decode_utf8(text, pos);
    if (d.cp == kInvalidCodePoint) {
      cps.push_back(kInvalidByteBase + static_cast<std::uint8_t>(text[pos]));
    } else {
      decompose(d.cp, cps);
    }
    pos += d.bytes;
  }

  // 2. Canonical ordering: each run of non-starters sorted stably by combining class.
  //    Runs are usually short, but a hostile prompt can hold 50,000 marks in one run: a stable
  //    sort per run keeps that O(n log n) (an insertion sort over it was quadratic).
  std::vector<std::uint8_t> ccc(cps.size());
  for (std::size_t i = 0; i < cps.size(); i++) ccc[i] = combining_class(cps[i]);
  std::vector<std::pair<std::uint8_t, char32_t>> run;
  for (std::size_t i = 0; i < cps.size();) {
    if (ccc[i] == 0) {
      i++;
      continue;
    }
    std::size_t end = i;
    while (end < cps.size() && ccc[end] != 0) end++;
    if (end - i > 1) {
      run.clear();
      for (std::size_t j = i; j < end; j++) run.emplace_back(ccc[j], cps[j]);
      std::stable_sort(run.begin(), run.end(),
                       [](const auto& a, const auto& b) { return a.first < b.first; });
      for (std::size_t j = i; j < end; j++) std::tie(ccc[j], cps[j]) = run[j - i];
    }
    i = end;
  }

  // 3. Canonical composition: a character joins the last starter unless blocked by a character
  //    in between with a combining class of 0 or at least its own.
  std::size_t out = 0;          // cps[0, out) is the composed prefix
  std::ptrdiff_t starter = -1;  // index of the last starter in it
  std::uint8_t last_ccc = 0;    // combining class of cps[out - 1]
  for (std::size_t i = 0; i < cps.size(); i++) {
    const char32_t c = cps[i];
    const std::uint8_t cc = ccc[i];
    if (starter >= 0) {
      const bool adjacent = static_cast<std::size_t>(starter) == out - 1;
      if (adjacent || (last_ccc != 0 && last_ccc < cc)) {
        if (const char32_t composite = compose(cps[starter], c); composite != 0) {
          cps[starter] = composite;
          continue;
        }
      }
    }
    if (cc == 0) starter = static_cast<std::ptrdiff_t>(out);
    last_ccc = cc;
    cps[out++] = c;
  }
  cps.resize(out);

  std::string result;
  result.reserve(text.size());
  for (const char32_t c : cps) {
    if (c >= kInvalidByteBase) {
      result += static_cast<char>(c - kInvalidByteBase);
    } else {
      append_utf8(result, c);
    }
  }
  return result;
}

}  // namespace attnscope
