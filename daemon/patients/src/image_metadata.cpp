#include "vigil/patients/image_metadata.hpp"

#include <array>
#include <cstddef>

namespace vigil::patients {
namespace {

[[noreturn]] void refuse(const std::string& why) {
  throw ValidationError("image: " + why);
}

std::uint8_t byteAt(std::string_view s, std::size_t i) {
  return static_cast<std::uint8_t>(s[i]);
}

std::uint32_t be16(std::string_view s, std::size_t i) {
  return (std::uint32_t{byteAt(s, i)} << 8) | byteAt(s, i + 1);
}

std::uint32_t be32(std::string_view s, std::size_t i) {
  return (be16(s, i) << 16) | be16(s, i + 2);
}

void checkSize(std::uint32_t width, std::uint32_t height) {
  if (width == 0 || height == 0) refuse("the picture has no pixels");
  if (width > kMaxImagePixels || height > kMaxImagePixels)
    refuse("the picture is larger than " + std::to_string(kMaxImagePixels) + " pixels a side");
}

// ------------------------------------------------------------------ JPEG (ITU-T T.81)

bool isStartOfFrame(std::uint8_t m) {
  // C0..CF are frame headers except C4 (DHT), C8 (reserved JPG) and CC (DAC).
  return m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC;
}

bool isDroppedApp(std::uint8_t m) {
  return (m >= 0xE1 && m <= 0xED) || m == 0xEF || m == 0xFE;  // APP1..13, APP15, COM
}

/// The end of the entropy-coded data that starts at `i`: the index of the next marker's 0xFF.
std::size_t entropyEnd(std::string_view s, std::size_t i) {
  while (i + 1 < s.size()) {
    if (byteAt(s, i) != 0xFF) {
      ++i;
      continue;
    }
    const auto next = byteAt(s, i + 1);
    if (next == 0x00 || (next >= 0xD0 && next <= 0xD7)) {
      i += 2;  // a stuffed 0xFF, or a restart marker inside the scan
    } else if (next == 0xFF) {
      ++i;  // a fill byte before a marker
    } else {
      return i;
    }
  }
  refuse("the JPEG ends inside its image data");
}

CleanImage stripJpeg(std::string_view s) {
  CleanImage out;
  out.mediaType = "image/jpeg";
  out.bytes.reserve(s.size());
  out.bytes.append(s.substr(0, 2));  // SOI
  std::size_t i = 2;
  bool frame = false, scan = false;
  for (;;) {
    if (i >= s.size() || byteAt(s, i) != 0xFF) refuse("a JPEG segment does not start with 0xFF");
    while (i < s.size() && byteAt(s, i) == 0xFF) ++i;  // fill bytes
    if (i >= s.size()) refuse("the JPEG ends inside a marker");
    const auto marker = byteAt(s, i++);
    if (marker == 0xD9) {  // EOI
      if (!frame || !scan) refuse("the JPEG has no image data");
      out.bytes += '\xFF';
      out.bytes += '\xD9';
      return out;  // anything after EOI (trailers, appended files) is dropped
    }
    if (marker == 0xD8 || marker == 0x00 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0x01)
      refuse("an unexpected JPEG marker");
    if (i + 2 > s.size()) refuse("the JPEG ends inside a segment");
    const std::size_t length = be16(s, i);
    if (length < 2 || i + length > s.size()) refuse("a JPEG segment's length is wrong");
    const auto segment = s.substr(i, length);
    i += length;
    if (isStartOfFrame(marker)) {
      if (frame) refuse("the JPEG has two frames");
      if (length < 8) refuse("a JPEG frame header is too short");
      checkSize(be16(segment, 5), be16(segment, 3));
      out.width = be16(segment, 5);
      out.height = be16(segment, 3);
      frame = true;
    }
    if (isDroppedApp(marker)) {
      ++out.droppedParts;
      continue;
    }
    out.bytes += '\xFF';
    out.bytes += static_cast<char>(marker);
    out.bytes.append(segment);
    if (marker == 0xDA) {  // SOS: the scan's entropy-coded data follows
      if (!frame) refuse("a JPEG scan comes before its frame header");
      scan = true;
      const auto end = entropyEnd(s, i);
      out.bytes.append(s.substr(i, end - i));
      i = end;
    }
  }
}

// ------------------------------------------------------------------ PNG (ISO/IEC 15948)

const std::array<std::uint32_t, 256>& crcTable() {
  static const auto table = [] {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t n = 0; n < 256; ++n) {
      std::uint32_t c = n;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[n] = c;
    }
    return t;
  }();
  return table;
}

std::uint32_t crc32(std::string_view data) {
  std::uint32_t c = 0xFFFFFFFFu;
  for (char ch : data) c = crcTable()[(c ^ static_cast<std::uint8_t>(ch)) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

constexpr std::string_view kPngSignature{"\x89PNG\r\n\x1a\n", 8};

bool keptAncillary(std::string_view type) {
  for (std::string_view kept : {"tRNS", "gAMA", "cHRM", "sRGB", "iCCP", "sBIT", "pHYs", "bKGD"})
    if (type == kept) return true;
  return false;
}

CleanImage stripPng(std::string_view s) {
  CleanImage out;
  out.mediaType = "image/png";
  out.bytes.reserve(s.size());
  out.bytes.append(kPngSignature);
  std::size_t i = kPngSignature.size();
  bool header = false, data = false;
  for (;;) {
    if (i + 12 > s.size()) refuse("the PNG ends inside a chunk");
    const std::size_t length = be32(s, i);
    if (length > s.size() - i - 12) refuse("a PNG chunk's length is wrong");
    const auto type = s.substr(i + 4, 4);
    for (char c : type)
      if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))) refuse("a PNG chunk type is bad");
    const auto chunk = s.substr(i, length + 12);
    if (crc32(s.substr(i + 4, length + 4)) != be32(s, i + 8 + length))
      refuse("a PNG chunk's CRC is wrong");
    i += length + 12;
    const bool critical = type[0] >= 'A' && type[0] <= 'Z';
    if (!header && type != "IHDR") refuse("the PNG does not start with its header");
    if (type == "IHDR") {
      if (header || length != 13) refuse("the PNG header is bad");
      out.width = be32(chunk, 8);
      out.height = be32(chunk, 12);
      checkSize(out.width, out.height);
      header = true;
    } else if (type == "IDAT") {
      data = true;
    } else if (type == "IEND") {
      if (!data) refuse("the PNG has no image data");
      out.bytes.append(chunk);
      return out;  // anything after IEND is dropped
    } else if (critical && type != "PLTE") {
      refuse("the PNG has a chunk this box does not know");
    } else if (!critical && !keptAncillary(type)) {
      ++out.droppedParts;
      continue;
    }
    out.bytes.append(chunk);
  }
}

}  // namespace

CleanImage stripImageMetadata(std::string_view bytes) {
  if (bytes.size() >= 3 && byteAt(bytes, 0) == 0xFF && byteAt(bytes, 1) == 0xD8 &&
      byteAt(bytes, 2) == 0xFF)
    return stripJpeg(bytes);
  if (bytes.substr(0, kPngSignature.size()) == kPngSignature) return stripPng(bytes);
  refuse("not a JPEG or PNG picture");
}

}  // namespace vigil::patients
