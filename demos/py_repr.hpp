#pragma once

// py_repr: how Python's repr() shows `data.decode()`, so that the demos print
// exactly what asyncio's documentation examples print (`{message!r}`).
//
// - The bytes are decoded as UTF-8; an invalid sequence becomes U+FFFD, one
//   per maximal invalid subpart, as `data.decode(errors="replace")` does
//   (asyncio's example would raise UnicodeDecodeError instead).
// - Quotes: single, unless the text contains a single quote and no double
//   quote. Escaped: backslash, the quote in use, \n \r \t; other
//   non-printable characters as \xNN, \uNNNN or \UNNNNNNNN (lower-case hex).
// - Printable is str.isprintable() for ASCII and Latin-1 and for the
//   non-printable ranges listed in is_printable(); code points Unicode has
//   not assigned count as printable here (Python's table knows better).

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace demos {

namespace detail {

/// str.isprintable() for one code point (see the file comment).
inline bool is_printable(char32_t c) {
  if (c < 0x20 || c == 0x7f)
    return false; // Cc
  if (c < 0x7f)
    return true;
  if (c <= 0x9f)
    return false;                               // Cc
  if (c == 0xa0 || c == 0xad)                   // Zs, Cf
    return false;
  if ((c >= 0x600 && c <= 0x605) || c == 0x61c || c == 0x6dd || c == 0x70f
      || c == 0x890 || c == 0x891 || c == 0x8e2 || c == 0x180e) // Cf
    return false;
  if (c == 0x1680 || (c >= 0x2000 && c <= 0x200f)) // Zs, Cf
    return false;
  if ((c >= 0x2028 && c <= 0x202f) || c == 0x205f
      || (c >= 0x2060 && c <= 0x206f))          // Zl, Zp, Cf, Zs
    return false;
  if (c == 0x3000)                              // Zs
    return false;
  if (c >= 0xd800 && c <= 0xf8ff)               // Cs, Co
    return false;
  if ((c >= 0xfdd0 && c <= 0xfdef) || c == 0xfeff
      || (c >= 0xfff0 && c <= 0xfffb))          // Cn, Cf
    return false;
  if ((c & 0xfffe) == 0xfffe)                   // noncharacters, Cn
    return false;
  if (c == 0x110bd || c == 0x110cd || (c >= 0x13430 && c <= 0x1343f)
      || (c >= 0x1bca0 && c <= 0x1bca3) || (c >= 0x1d173 && c <= 0x1d17a)
      || c == 0xe0001 || (c >= 0xe0020 && c <= 0xe007f)) // Cf
    return false;
  if (c >= 0xf0000)                             // Co (planes 15 and 16)
    return false;
  return true;
}

/// Appends `c` to `out` as UTF-8.
inline void append_utf8(std::string& out, char32_t c) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xc0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3f));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xe0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (c & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (c & 0x3f));
  }
}

/// Decodes the code point at `pos` and advances `pos`; U+FFFD for a maximal
/// invalid subpart (Unicode's "best practice", which CPython follows).
inline char32_t next_code_point(std::string_view s, std::size_t& pos) {
  auto byte = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  unsigned char lead = byte(pos++);
  if (lead < 0x80)
    return lead;
  std::size_t more = 0;
  char32_t c = 0;
  unsigned char lo = 0x80, hi = 0xbf; // the valid range of the second byte
  if (lead >= 0xc2 && lead <= 0xdf) {
    more = 1, c = lead & 0x1f;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    more = 2, c = lead & 0x0f;
    if (lead == 0xe0)
      lo = 0xa0; // no overlong forms
    else if (lead == 0xed)
      hi = 0x9f; // no surrogates
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    more = 3, c = lead & 0x07;
    if (lead == 0xf0)
      lo = 0x90;
    else if (lead == 0xf4)
      hi = 0x8f; // nothing above U+10FFFF
  } else {
    return 0xfffd;
  }
  for (std::size_t i = 0; i < more; ++i) {
    if (pos >= s.size())
      return 0xfffd;
    auto b = byte(pos);
    if (b < lo || b > hi)
      return 0xfffd; // this byte starts the next sequence
    c = (c << 6) | (b & 0x3f);
    ++pos;
    lo = 0x80, hi = 0xbf;
  }
  return c;
}

} // namespace detail

/// Python's `repr(data.decode())`, quotes included, as UTF-8 text.
inline std::string py_repr(std::string_view data) {
  std::u32string text;
  for (std::size_t pos = 0; pos < data.size();)
    text += detail::next_code_point(data, pos);
  auto has = [&](char32_t c) { return text.find(c) != std::u32string::npos; };
  char quote = has(U'\'') && !has(U'"') ? '"' : '\'';
  std::string out;
  out.reserve(data.size() + 2);
  out += quote;
  for (char32_t c : text) {
    if (c == U'\\' || c == static_cast<char32_t>(quote)) {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == U'\n') {
      out += "\\n";
    } else if (c == U'\r') {
      out += "\\r";
    } else if (c == U'\t') {
      out += "\\t";
    } else if (detail::is_printable(c)) {
      detail::append_utf8(out, c);
    } else {
      char buf[16];
      if (c < 0x100)
        std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned>(c));
      else if (c < 0x10000)
        std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
      else
        std::snprintf(buf, sizeof buf, "\\U%08x", static_cast<unsigned>(c));
      out += buf;
    }
  }
  out += quote;
  return out;
}

} // namespace demos
