// xml_text.h — text inside XML and HTML documents (the SVG figures, the HTML report): the five
// special characters as entities, and code points XML 1.0 does not allow (controls, surrogates,
// U+FFFE, U+FFFF) as U+FFFD, so no label can break the document or inject markup.
#pragma once

#include <string>

#include "core/tokenizer/utf8.h"

namespace attnscope {

inline void append_xml_text(std::string& out, char32_t cp) {
  switch (cp) {
    case U'&':
      out += "&amp;";
      return;
    case U'<':
      out += "&lt;";
      return;
    case U'>':
      out += "&gt;";
      return;
    case U'"':
      out += "&quot;";
      return;
    case U'\'':
      out += "&apos;";
      return;
    default:
      break;
  }
  const bool allowed = cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0xD7FF) ||
                       (cp >= 0xE000 && cp <= 0xFFFD) || (cp >= 0x10000 && cp <= 0x10FFFF);
  append_utf8(out, allowed ? cp : U'\uFFFD');
}

}  // namespace attnscope
