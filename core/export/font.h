// font.h — text for exported figures: a TrueType font (stb_truetype) rasterised into anti-aliased
// coverage bitmaps, and the font the exporters use.
//
// The export font is, in order: the one given to set_export_font(), else DejaVu Sans embedded at
// build time (core/export/export.cmake, from Debian's fonts-dejavu-core; Bitstream Vera licence),
// else none, and rendering fails with an error saying how to provide one. Code points the font
// lacks (CJK in DejaVu Sans, say) are drawn as an empty box; nothing in a label can crash it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/io/bytes.h"

struct stbtt_fontinfo;

namespace attnscope {

// A line of text as 8-bit coverage (0 = background, 255 = ink). The pen starts at column
// `origin` on row `baseline` and ends at column `end` (glyphs may reach a pixel past either).
struct TextBitmap {
  int width = 0, height = 0;
  int baseline = 0;
  int origin = 0;
  float end = 0;
  std::vector<std::uint8_t> coverage;  // [height, width]
  std::u32string text;                 // what was rendered, at px pixels per em (for SVG)
  float px = 0;
};

class Font {
 public:
  // Checks the table directory against the byte count before stb_truetype reads it. Glyph
  // outlines are not checked (stb_truetype trusts them): load fonts you trust.
  static Result<Font> from_ttf(Bytes ttf);

  // Vertical metrics at `px` pixels per em, in pixels (descent is negative).
  float ascent(float px) const;
  float descent(float px) const;
  float cap_height(float px) const;  // height of 'H'
  float line_height(float px) const { return ascent(px) - descent(px); }

  float width(std::u32string_view text, float px) const;
  TextBitmap render(std::u32string_view text, float px) const;

 private:
  Bytes ttf_;
  std::shared_ptr<stbtt_fontinfo> info_;
  int ascent_ = 0, descent_ = 0, cap_height_ = 0;  // font units
  float units_per_em_ = 1;

  float scale(float px) const { return px / units_per_em_; }
};

// The code points shown for a UTF-8 label: invalid bytes (a token cut inside a character) become
// U+FFFD, '\n' becomes '↵', '\t' '⇥', other control characters their U+2400 control pictures.
std::u32string display_text(std::string_view utf8);

// `text` shortened with a trailing '…' to fit max_width pixels at `px` (unchanged if it fits).
std::u32string elide(const Font& font, std::u32string text, float px, float max_width);

// Replaces the export font (error, and the font unchanged, if the bytes are not a usable font).
Status set_export_font(Bytes ttf);
// The export font; an error when none was set and the build embedded none.
Result<std::shared_ptr<const Font>> export_font();
bool has_embedded_export_font();

// The embedded TrueType bytes (DejaVu Sans), or empty when the build embedded none. The UI draws
// its own text with the same font, so the screen and the exported figures match.
Bytes embedded_font_bytes();

}  // namespace attnscope
