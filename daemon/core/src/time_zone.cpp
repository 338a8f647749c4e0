// TZif (RFC 8536) read with every count and offset checked against the bytes present, since
// the bytes come from a file. Evaluation: instants up to the last transition from the table
// (binary search), after it from the footer's POSIX rule (tz_rule.cpp). A local time is turned
// back into instants by trying each offset in effect within 26 hours of it (no offset is larger)
// and keeping those that map back to it: that finds gaps and overlaps without special cases.
#include "vigil/core/time_zone.hpp"

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>
#include <optional>

#include "tz_rule.hpp"
#include "vigil/core/error.hpp"

namespace vigil::core {

namespace {

constexpr std::string_view kZoneDir = "/usr/share/zoneinfo";
constexpr std::size_t kMaxFileBytes = 1 << 20;
constexpr std::size_t kMaxNameLength = 64;
// Instants are evaluated within +-2^60 s (36 billion years); transitions must lie inside.
constexpr std::int64_t kTimeLimit = std::int64_t{1} << 60;

[[noreturn]] void refuse(std::string_view why) {
  throw ValidationError("time zone file: " + std::string(why));
}

/// Big-endian reads that never pass the end of the bytes.
class ByteReader {
 public:
  explicit ByteReader(std::string_view bytes) : bytes_(bytes) {}
  std::size_t remaining() const { return bytes_.size() - pos_; }
  void need(std::uint64_t n) const {
    if (n > remaining()) refuse("truncated");
  }
  void skip(std::uint64_t n) {
    need(n);
    pos_ += static_cast<std::size_t>(n);
  }
  std::uint8_t u8() {
    need(1);
    return static_cast<std::uint8_t>(bytes_[pos_++]);
  }
  std::uint64_t unsignedBig(int size) {
    need(static_cast<std::uint64_t>(size));
    std::uint64_t v = 0;
    for (int i = 0; i < size; ++i) v = (v << 8) | static_cast<std::uint8_t>(bytes_[pos_++]);
    return v;
  }
  std::int64_t signedBig(int size) {
    std::uint64_t v = unsignedBig(size);
    if (size == 4) return static_cast<std::int32_t>(static_cast<std::uint32_t>(v));
    return static_cast<std::int64_t>(v);
  }
  std::string_view rest() const { return bytes_.substr(pos_); }

 private:
  std::string_view bytes_;
  std::size_t pos_ = 0;
};

struct Header {
  char version = 0;
  std::uint32_t isutcnt = 0, isstdcnt = 0, leapcnt = 0, timecnt = 0, typecnt = 0, charcnt = 0;

  /// Bytes of the data block that follows, with times of `timeSize` bytes.
  std::uint64_t dataBytes(int timeSize) const {
    const std::uint64_t t = static_cast<std::uint64_t>(timeSize);
    return std::uint64_t{timecnt} * (t + 1) + std::uint64_t{typecnt} * 6 + charcnt +
           std::uint64_t{leapcnt} * (t + 4) + isstdcnt + isutcnt;
  }
};

Header readHeader(ByteReader& in) {
  Header h;
  in.need(44);
  if (in.rest().substr(0, 4) != "TZif") refuse("not a TZif file");
  in.skip(4);
  h.version = static_cast<char>(in.u8());
  if (h.version != 0 && (h.version < '2' || h.version > '4')) refuse("unknown version");
  in.skip(15);
  h.isutcnt = static_cast<std::uint32_t>(in.unsignedBig(4));
  h.isstdcnt = static_cast<std::uint32_t>(in.unsignedBig(4));
  h.leapcnt = static_cast<std::uint32_t>(in.unsignedBig(4));
  h.timecnt = static_cast<std::uint32_t>(in.unsignedBig(4));
  h.typecnt = static_cast<std::uint32_t>(in.unsignedBig(4));
  h.charcnt = static_cast<std::uint32_t>(in.unsignedBig(4));
  return h;
}

/// A zone's rules: the transition table, type 0's offset before it, the footer's rule after it.
struct ZoneRules {
  std::vector<std::int64_t> at;           // transition instants, strictly ascending
  std::vector<std::int64_t> offsetAfter;  // the offset taking effect at at[i]
  std::int64_t initialOffset = 0;         // time type 0: before the first transition
  std::optional<tz::PosixRule> rule;      // after the last transition (all time when none)

  std::int64_t offsetAt(std::int64_t t) const {
    t = std::clamp(t, -kTimeLimit, kTimeLimit);
    if (rule && (at.empty() || t > at.back())) return rule->offsetAt(t);
    auto next = std::upper_bound(at.begin(), at.end(), t);
    if (next == at.begin()) return initialOffset;
    return offsetAfter[static_cast<std::size_t>(std::distance(at.begin(), next) - 1)];
  }

  /// The instants in (from, to] at which the offset changes, ascending.
  std::vector<std::int64_t> changesIn(std::int64_t from, std::int64_t to) const {
    from = std::clamp(from, -kTimeLimit, kTimeLimit);
    to = std::clamp(to, -kTimeLimit, kTimeLimit);
    std::vector<std::int64_t> candidates;
    for (auto it = std::upper_bound(at.begin(), at.end(), from); it != at.end() && *it <= to; ++it)
      candidates.push_back(*it);
    if (rule) {
      const std::int64_t lo = at.empty() ? from : std::max(from, at.back());
      // Where the table hands over to the rule (they agree in a well-formed file).
      if (!at.empty() && at.back() + 1 > from && at.back() + 1 <= to)
        candidates.push_back(at.back() + 1);
      for (std::int64_t c : rule->changesIn(lo, to)) candidates.push_back(c);
    }
    std::vector<std::int64_t> out;
    for (std::int64_t c : candidates) {
      if (offsetAt(c - 1) != offsetAt(c) && (out.empty() || out.back() < c)) out.push_back(c);
    }
    return out;
  }
};

/// One data block (RFC 8536 3.2) with times of `timeSize` bytes into `zone`.
void readData(ByteReader& in, const Header& h, int timeSize, ZoneRules& zone) {
  if (h.typecnt == 0 || h.typecnt > 256) refuse("type count out of range");
  if (h.charcnt == 0) refuse("no abbreviations");
  if (h.isstdcnt != 0 && h.isstdcnt != h.typecnt) refuse("standard/wall indicator count");
  if (h.isutcnt != 0 && h.isutcnt != h.typecnt) refuse("UT/local indicator count");
  // Leap-second files ("right/") count seconds TAI-style, not as POSIX time.
  if (h.leapcnt != 0) refuse("leap-second zone files are not supported");
  in.need(h.dataBytes(timeSize));

  zone.at.reserve(h.timecnt);
  for (std::uint32_t i = 0; i < h.timecnt; ++i) {
    std::int64_t t = in.signedBig(timeSize);
    if (t < -kTimeLimit || t > kTimeLimit) refuse("transition time out of range");
    if (!zone.at.empty() && t <= zone.at.back()) refuse("transitions out of order");
    zone.at.push_back(t);
  }
  std::vector<std::uint8_t> typeOf(h.timecnt);
  for (auto& index : typeOf) {
    index = in.u8();
    if (index >= h.typecnt) refuse("transition type out of range");
  }
  std::vector<std::int64_t> offsets(h.typecnt);
  for (auto& offset : offsets) {
    offset = in.signedBig(4);
    if (offset <= -tz::kMaxOffset || offset >= tz::kMaxOffset) refuse("offset out of range");
    if (in.u8() > 1) refuse("bad daylight flag");
    if (in.u8() >= h.charcnt) refuse("abbreviation index out of range");
  }
  in.skip(h.charcnt);
  for (std::uint32_t i = 0; i < h.isstdcnt + h.isutcnt; ++i) {
    if (in.u8() > 1) refuse("bad indicator");
  }
  zone.initialOffset = offsets[0];
  zone.offsetAfter.reserve(h.timecnt);
  for (std::uint8_t index : typeOf) zone.offsetAfter.push_back(offsets[index]);
}

ZoneRules parseTzif(std::string_view bytes) {
  ByteReader in(bytes);
  ZoneRules zone;
  Header h = readHeader(in);
  if (h.version == 0) {
    readData(in, h, 4, zone);
    return zone;
  }
  // Version 2+: skip the 32-bit block, read the 64-bit one and the footer.
  in.skip(h.dataBytes(4));
  Header h2 = readHeader(in);
  if (h2.version != h.version) refuse("headers disagree on the version");
  readData(in, h2, 8, zone);
  std::string_view footer = in.rest();
  if (footer.size() < 2 || footer.front() != '\n') refuse("missing footer");
  std::size_t end = footer.find('\n', 1);
  if (end == std::string_view::npos || end + 1 != footer.size()) refuse("malformed footer");
  zone.rule = tz::parsePosixRule(footer.substr(1, end - 1));
  return zone;
}

std::string readZoneFile(std::string_view name) {
  namespace fs = std::filesystem;
  std::error_code rootError, pathError, ec;
  const fs::path root = fs::weakly_canonical(fs::path(kZoneDir), rootError);
  const fs::path path = fs::weakly_canonical(fs::path(kZoneDir) / fs::path(name), pathError);
  if (rootError || pathError || root.empty()) throw NotFound("time zone: no zone of that name");
  // Links inside the zone folder (US/Eastern) are zones; one leading out of it is not, nor is
  // Debian's "localtime" (the host's /etc/localtime, whatever that is).
  if (name == "localtime") throw NotFound("time zone: no zone of that name");
  auto rootEnd = std::mismatch(root.begin(), root.end(), path.begin(), path.end()).first;
  if (rootEnd != root.end() || !fs::is_regular_file(path, ec))
    throw NotFound("time zone: no zone of that name");
  std::ifstream file(path, std::ios::binary);
  if (!file) throw NotFound("time zone: no zone of that name");
  std::string bytes;
  bytes.resize(kMaxFileBytes + 1);
  file.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  bytes.resize(static_cast<std::size_t>(file.gcount()));
  if (bytes.size() > kMaxFileBytes) refuse("too large");
  return bytes;
}

}  // namespace

struct TimeZone::Data : ZoneRules {};

TimeZone::TimeZone(std::string name, std::shared_ptr<const Data> data)
    : name_(std::move(name)), data_(std::move(data)) {}

std::shared_ptr<const TimeZone> TimeZone::fromTzif(std::string name, std::string_view bytes) {
  auto data = std::make_shared<Data>();
  static_cast<ZoneRules&>(*data) = parseTzif(bytes);
  return std::shared_ptr<const TimeZone>(new TimeZone(std::move(name), std::move(data)));
}

std::shared_ptr<const TimeZone> TimeZone::utc() {
  static const std::shared_ptr<const TimeZone> zone(
      new TimeZone("UTC", std::make_shared<const Data>()));
  return zone;
}

std::shared_ptr<const TimeZone> TimeZone::locate(std::string_view name) {
  if (!isValidZoneName(name)) throw ValidationError("time zone: malformed zone name");
  if (name == "UTC") return utc();
  static std::mutex mutex;
  static std::map<std::string, std::shared_ptr<const TimeZone>, std::less<>> cache;
  std::lock_guard lock(mutex);
  if (auto it = cache.find(name); it != cache.end()) return it->second;
  // Loaded under the lock: a few kilobytes once per zone, and every caller gets one object.
  auto zone = fromTzif(std::string(name), readZoneFile(name));
  cache.emplace(std::string(name), zone);
  return zone;
}

const std::string& TimeZone::name() const {
  return name_;
}

std::chrono::seconds TimeZone::offsetAt(std::chrono::sys_seconds t) const {
  return std::chrono::seconds{data_->offsetAt(t.time_since_epoch().count())};
}

std::chrono::local_seconds TimeZone::toLocal(std::chrono::sys_seconds t) const {
  return std::chrono::local_seconds{t.time_since_epoch() + offsetAt(t)};
}

std::vector<std::chrono::sys_seconds> TimeZone::fromLocal(std::chrono::local_seconds t) const {
  // Clamped so the 26-hour window cannot overflow; nothing lies out there anyway.
  const std::int64_t local =
      std::clamp<std::int64_t>(t.time_since_epoch().count(), -kTimeLimit, kTimeLimit);
  const std::int64_t from = local - tz::kMaxOffset - 1;
  std::vector<std::int64_t> offsets{data_->offsetAt(from)};
  for (std::int64_t change : data_->changesIn(from, local + tz::kMaxOffset + 1))
    offsets.push_back(data_->offsetAt(change));
  std::vector<std::chrono::sys_seconds> out;
  for (std::int64_t offset : offsets) {
    const std::int64_t instant = local - offset;
    if (data_->offsetAt(instant) == offset)
      out.push_back(std::chrono::sys_seconds{std::chrono::seconds{instant}});
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::chrono::sys_seconds TimeZone::fromLocalLenient(std::chrono::local_seconds t) const {
  auto instants = fromLocal(t);
  if (!instants.empty()) return instants.front();
  // Clamped so the 26-hour window cannot overflow; nothing lies out there anyway.
  const std::int64_t local =
      std::clamp<std::int64_t>(t.time_since_epoch().count(), -kTimeLimit, kTimeLimit);
  // In a gap: the change whose skipped wall-clock span holds `t`, read with the offset before.
  for (std::int64_t change :
       data_->changesIn(local - tz::kMaxOffset - 1, local + tz::kMaxOffset + 1)) {
    const std::int64_t before = data_->offsetAt(change - 1);
    const std::int64_t after = data_->offsetAt(change);
    if (after > before && change + before <= local && local < change + after)
      return std::chrono::sys_seconds{std::chrono::seconds{local - before}};
  }
  return std::chrono::sys_seconds{std::chrono::seconds{local - data_->offsetAt(local)}};
}

bool isValidZoneName(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameLength) return false;
  if (name.front() == '/' || name.back() == '/' || name.find("//") != std::string_view::npos)
    return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '/' ||
           c == '_' || c == '-' || c == '+';
  });
}

}  // namespace vigil::core
