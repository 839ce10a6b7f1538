// font.cpp — TrueType text with stb_truetype (natively from Debian's libstb, in WASM from
// stb_impl_wasm.cpp), and the process-wide export font.
#include "core/export/font.h"

#include <stb/stb_truetype.h>

#include <algorithm>
#include <cmath>
#include <mutex>

#include "core/tokenizer/utf8.h"

#if ATTNSCOPE_EMBEDDED_FONT
// Generated at build time by core/export/embed_file.cmake from DejaVuSans.ttf.
extern "C" const unsigned char attnscope_embedded_font[];
extern "C" const unsigned long attnscope_embedded_font_size;
#endif

namespace attnscope {

namespace {

std::uint32_t read_u32(const std::uint8_t* p) {
  return std::uint32_t{p[0]} << 24 | std::uint32_t{p[1]} << 16 | std::uint32_t{p[2]} << 8 | p[3];
}
std::uint16_t read_u16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>(p[0] << 8 | p[1]);
}
constexpr std::uint32_t tag(const char (&s)[5]) {
  return std::uint32_t(std::uint8_t(s[0])) << 24 | std::uint32_t(std::uint8_t(s[1])) << 16 |
         std::uint32_t(std::uint8_t(s[2])) << 8 | std::uint8_t(s[3]);
}

// The offset of the first font's table directory, after checking that the directory and every
// table it lists lie inside the bytes (stb_truetype reads them unchecked).
Result<std::uint32_t> check_font_tables(const Bytes& ttf) {
  const auto bad = [](const std::string& why) {
    return make_error("not a usable TrueType font: " + why,
                      "pass the bytes of a .ttf or .otf file, e.g. DejaVuSans.ttf");
  };
  const std::uint8_t* d = ttf.data;
  if (ttf.size < 12) return bad("only " + std::to_string(ttf.size) + " bytes");
  std::uint32_t offset = 0;
  if (read_u32(d) == tag("ttcf")) {
    if (ttf.size < 16 || read_u32(d + 8) == 0) return bad("empty font collection");
    offset = read_u32(d + 12);
    if (std::uint64_t{offset} + 12 > ttf.size) return bad("collection points past the end");
  }
  const std::uint32_t version = read_u32(d + offset);
  if (version != 0x00010000 && version != tag("true") && version != tag("OTTO")) {
    return bad("unknown signature");
  }
  const std::uint32_t tables = read_u16(d + offset + 4);
  if (tables == 0 || std::uint64_t{offset} + 12 + 16ull * tables > ttf.size) {
    return bad("truncated table directory");
  }
  for (std::uint32_t i = 0; i < tables; i++) {
    const std::uint8_t* entry = d + offset + 12 + 16 * i;
    if (std::uint64_t{read_u32(entry + 8)} + read_u32(entry + 12) > ttf.size) {
      return bad("a table lies past the end of the file (truncated?)");
    }
  }
  return offset;
}

// An empty box, for code points the font has no glyph for.
void draw_missing_box(TextBitmap& out, int x0, int x1, int y0, int y1) {
  x0 = std::max(x0, 0), y0 = std::max(y0, 0);
  x1 = std::min(x1, out.width - 1), y1 = std::min(y1, out.height - 1);
  for (int x = x0; x <= x1; x++) {
    out.coverage[y0 * out.width + x] = 255;
    out.coverage[y1 * out.width + x] = 255;
  }
  for (int y = y0; y <= y1; y++) {
    out.coverage[y * out.width + x0] = 255;
    out.coverage[y * out.width + x1] = 255;
  }
}

}  // namespace

Result<Font> Font::from_ttf(Bytes ttf) {
  ATTNSCOPE_ASSIGN(const std::uint32_t offset, check_font_tables(ttf));
  auto info = std::make_shared<stbtt_fontinfo>();
  if (!stbtt_InitFont(info.get(), ttf.data, static_cast<int>(offset))) {
    return make_error("not a usable TrueType font: a required table is missing",
                      "pass the bytes of a .ttf or .otf file, e.g. DejaVuSans.ttf");
  }
  Font font;
  font.ttf_ = std::move(ttf);
  font.info_ = std::move(info);
  int line_gap = 0;
  stbtt_GetFontVMetrics(font.info_.get(), &font.ascent_, &font.descent_, &line_gap);
  font.units_per_em_ = 1.0f / stbtt_ScaleForMappingEmToPixels(font.info_.get(), 1.0f);
  int x0 = 0, y0 = 0, x1 = 0, y1 = 0;
  font.cap_height_ =
      stbtt_GetCodepointBox(font.info_.get(), 'H', &x0, &y0, &x1, &y1) ? y1 : font.ascent_ * 7 / 10;
  if (font.ascent_ <= font.descent_ || !(font.units_per_em_ > 0)) {
    return make_error("not a usable TrueType font: broken vertical metrics");
  }
  return font;
}

float Font::ascent(float px) const {
  return ascent_ * scale(px);
}
float Font::descent(float px) const {
  return descent_ * scale(px);
}
float Font::cap_height(float px) const {
  return cap_height_ * scale(px);
}

float Font::width(std::u32string_view text, float px) const {
  const float s = scale(px);
  float pen = 0;
  int previous = 0;
  for (const char32_t cp : text) {
    const int glyph = stbtt_FindGlyphIndex(info_.get(), static_cast<int>(cp));
    if (glyph == 0) {
      pen += 0.6f * px;  // the missing-glyph box
      previous = 0;
      continue;
    }
    int advance = 0, bearing = 0;
    stbtt_GetGlyphHMetrics(info_.get(), glyph, &advance, &bearing);
    if (previous) pen += stbtt_GetGlyphKernAdvance(info_.get(), previous, glyph) * s;
    pen += advance * s;
    previous = glyph;
  }
  return pen;
}

TextBitmap Font::render(std::u32string_view text, float px) const {
  const float s = scale(px);
  constexpr int kPad = 1;  // glyphs may reach a little left of the pen or past the advance
  TextBitmap out;
  out.text = text;
  out.px = px;
  out.baseline = static_cast<int>(std::ceil(ascent(px)));
  out.height = out.baseline + static_cast<int>(std::ceil(-descent(px))) + 1;
  out.width = static_cast<int>(std::ceil(width(text, px))) + 2 * kPad + 1;
  out.coverage.assign(static_cast<std::size_t>(out.width) * out.height, 0);
  std::vector<std::uint8_t> glyph_pixels;
  float pen = kPad;
  int previous = 0;
  for (const char32_t cp : text) {
    const int glyph = stbtt_FindGlyphIndex(info_.get(), static_cast<int>(cp));
    if (glyph == 0) {
      const int x0 = static_cast<int>(std::lround(pen + 0.1f * px));
      const int x1 = static_cast<int>(std::lround(pen + 0.5f * px));
      draw_missing_box(out, x0, x1, out.baseline - static_cast<int>(cap_height(px)),
                       out.baseline - 1);
      pen += 0.6f * px;
      previous = 0;
      continue;
    }
    if (previous) pen += stbtt_GetGlyphKernAdvance(info_.get(), previous, glyph) * s;
    const float shift = pen - std::floor(pen);
    int x0 = 0, y0 = 0, x1 = 0, y1 = 0;
    stbtt_GetGlyphBitmapBoxSubpixel(info_.get(), glyph, s, s, shift, 0, &x0, &y0, &x1, &y1);
    const int w = x1 - x0, h = y1 - y0;
    if (w > 0 && h > 0) {
      glyph_pixels.assign(static_cast<std::size_t>(w) * h, 0);
      stbtt_MakeGlyphBitmapSubpixel(info_.get(), glyph_pixels.data(), w, h, w, s, s, shift, 0,
                                    glyph);
      const int left = static_cast<int>(std::floor(pen)) + x0, top = out.baseline + y0;
      for (int y = 0; y < h; y++) {
        const int oy = top + y;
        if (oy < 0 || oy >= out.height) continue;
        for (int x = 0; x < w; x++) {
          const int ox = left + x;
          if (ox < 0 || ox >= out.width) continue;
          std::uint8_t& dst = out.coverage[static_cast<std::size_t>(oy) * out.width + ox];
          dst = std::max(dst, glyph_pixels[static_cast<std::size_t>(y) * w + x]);
        }
      }
    }
    int advance = 0, bearing = 0;
    stbtt_GetGlyphHMetrics(info_.get(), glyph, &advance, &bearing);
    pen += advance * s;
    previous = glyph;
  }
  out.origin = kPad;
  out.end = pen;
  return out;
}

std::u32string display_text(std::string_view utf8) {
  std::u32string out;
  for (std::size_t pos = 0; pos < utf8.size();) {
    const DecodedCodePoint d = decode_utf8(utf8, pos);
    pos += d.bytes;
    char32_t cp = d.cp;
    if (cp == kInvalidCodePoint || (cp >= 0x80 && cp < 0xA0)) {
      cp = U'\uFFFD';
    } else if (cp == '\n') {
      cp = U'\u21B5';  // ↵
    } else if (cp == '\t') {
      cp = U'\u21E5';  // ⇥
    } else if (cp < 0x20) {
      cp = 0x2400 + cp;  // ␀ ... ␟
    } else if (cp == 0x7F) {
      cp = U'\u2421';  // ␡
    }
    out += cp;
  }
  return out;
}

std::u32string elide(const Font& font, std::u32string text, float px, float max_width) {
  // Cut first to what could fit if every glyph were very narrow, so that a label of megabytes
  // costs no more than a short one.
  const auto most = static_cast<std::size_t>(std::max(0.0f, max_width) / (0.2f * px)) + 1;
  const bool cut = text.size() > most;
  if (cut) text.resize(most);
  if (!cut && font.width(text, px) <= max_width) return text;
  const std::u32string ellipsis = U"\u2026";
  while (!text.empty() && font.width(text + ellipsis, px) > max_width) text.pop_back();
  return text + ellipsis;
}

namespace {

std::mutex g_font_mutex;
std::shared_ptr<const Font> g_font;  // guarded by g_font_mutex

}  // namespace

Status set_export_font(Bytes ttf) {
  ATTNSCOPE_ASSIGN(Font font, Font::from_ttf(std::move(ttf)));
  const std::lock_guard lock(g_font_mutex);
  g_font = std::make_shared<const Font>(std::move(font));
  return {};
}

bool has_embedded_export_font() {
  return ATTNSCOPE_EMBEDDED_FONT != 0;
}

Bytes embedded_font_bytes() {
#if ATTNSCOPE_EMBEDDED_FONT
  return Bytes{
      nullptr, attnscope_embedded_font, static_cast<std::size_t>(attnscope_embedded_font_size), {}};
#else
  return {};
#endif
}

Result<std::shared_ptr<const Font>> export_font() {
  const std::lock_guard lock(g_font_mutex);
  if (g_font) return g_font;
#if ATTNSCOPE_EMBEDDED_FONT
  // Static data: an empty owner is enough to keep it alive.
  auto font = Font::from_ttf(Bytes{nullptr,
                                   attnscope_embedded_font,
                                   static_cast<std::size_t>(attnscope_embedded_font_size),
                                   {}});
  if (!font.ok()) return make_error("the embedded export font is broken: " + font.error().message);
  g_font = std::make_shared<const Font>(std::move(font).value());
  return g_font;
#else
  return make_error("no font for exported figures",
                    "install fonts-dejavu-core and rebuild (it is embedded at build time), or "
                    "load a .ttf with set_export_font()");
#endif
}

}  // namespace attnscope
