#pragma once
// Photos patients upload (insurance cards; issue 21) are re-written on the box without their
// metadata before they are encrypted: a phone's JPEG carries EXIF (camera, time, often GPS) and a
// PNG may carry text chunks. This is a strict parser of the two containers, not a decoder: the
// image data is kept byte for byte, every metadata segment or chunk is dropped, and anything the
// parser does not understand is refused rather than passed through.
//
// JPEG: SOI, then marker segments with their lengths checked; APP1..APP13, APP15 (EXIF, XMP,
// IPTC/Photoshop, vendor data) and COM are dropped; APP0 (JFIF) and APP14 (Adobe: the colour
// transform, needed to show CMYK images) are kept. After each SOS the entropy-coded data is
// copied up to the next marker (0xFF followed by neither 0x00, a restart marker nor a fill
// byte). A frame header (SOF) before the first scan, at least one scan and EOI are required.
// PNG: the signature, then chunks with lengths and CRC-32s checked; IHDR first, IEND last, at
// least one IDAT; the critical chunks and the ancillary ones that only affect how pixels look
// (tRNS, gAMA, cHRM, sRGB, iCCP, sBIT, pHYs, bKGD) are kept; text, time, EXIF and every other
// ancillary chunk is dropped; an unknown critical chunk is refused.

#include <cstdint>
#include <string>
#include <string_view>

#include "vigil/core/error.hpp"

namespace vigil::patients {

struct CleanImage {
  std::string mediaType;  // "image/jpeg" or "image/png"
  std::uint32_t width = 0, height = 0;
  std::string bytes;             // the image without its metadata
  std::size_t droppedParts = 0;  // segments or chunks removed
};

/// Strips the metadata of a JPEG or PNG image; throws ValidationError ("image: ...", never
/// quoting the content) for anything else, a truncated or malformed file, or a picture larger
/// than kMaxImagePixels a side.
CleanImage stripImageMetadata(std::string_view bytes);

inline constexpr std::uint32_t kMaxImagePixels = 10000;

}  // namespace vigil::patients
