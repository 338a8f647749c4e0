#include "vigil/ble/racp.hpp"

namespace vigil::ble {

std::vector<std::uint8_t> racpReportAll() {
  return {racp::kReportStoredRecords, racp::kOperatorAll};
}

std::vector<std::uint8_t> racpReportFrom(std::uint16_t first) {
  return {racp::kReportStoredRecords, racp::kOperatorGreaterOrEqual, racp::kFilterSequenceNumber,
          static_cast<std::uint8_t>(first & 0xFF), static_cast<std::uint8_t>(first >> 8)};
}

std::vector<std::uint8_t> racpRequestAfter(std::optional<std::uint32_t> lastStored) {
  if (!lastStored || *lastStored >= 0xFFFF) return racpReportAll();
  return racpReportFrom(static_cast<std::uint16_t>(*lastStored + 1));
}

std::optional<RacpResponse> parseRacpResponse(std::span<const std::uint8_t> v) {
  // Both responses carry operator Null (0x00) and exactly one operand.
  if (v.size() < 2 || v[1] != racp::kOperatorNull) return std::nullopt;
  RacpResponse r;
  if (v[0] == racp::kResponseCode && v.size() == 4) {
    r.kind = RacpResponse::Kind::responseCode;
    r.requestOpCode = v[2];
    r.code = v[3];
    return r;
  }
  if (v[0] == racp::kNumberOfRecordsResponse && v.size() == 4) {
    r.kind = RacpResponse::Kind::numberOfRecords;
    r.records = static_cast<std::uint16_t>(v[2] | (v[3] << 8));
    return r;
  }
  return std::nullopt;
}

}  // namespace vigil::ble
