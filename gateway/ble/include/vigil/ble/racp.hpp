#pragma once
// The Record Access Control Point (0x2A52) of the Glucose Profile, as far as we use it: ask for
// all stored records or for those from a sequence number on, and read the meter's answer. The
// records themselves arrive as Glucose Measurement notifications before the answer.

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace vigil::ble {

/// RACP op codes and operators (GLS 1.0 §3.1.1, §4.11).
namespace racp {
inline constexpr std::uint8_t kReportStoredRecords = 0x01;
inline constexpr std::uint8_t kAbortOperation = 0x03;
inline constexpr std::uint8_t kReportNumberOfRecords = 0x04;
inline constexpr std::uint8_t kNumberOfRecordsResponse = 0x05;
inline constexpr std::uint8_t kResponseCode = 0x06;

inline constexpr std::uint8_t kOperatorNull = 0x00;
inline constexpr std::uint8_t kOperatorAll = 0x01;
inline constexpr std::uint8_t kOperatorGreaterOrEqual = 0x03;
inline constexpr std::uint8_t kFilterSequenceNumber = 0x01;

inline constexpr std::uint8_t kSuccess = 0x01;
inline constexpr std::uint8_t kNoRecordsFound = 0x06;
}  // namespace racp

/// "Report stored records: all records".
std::vector<std::uint8_t> racpReportAll();
/// "Report stored records: sequence number >= first".
std::vector<std::uint8_t> racpReportFrom(std::uint16_t first);
/// The request that fetches what we have not stored yet: all records when nothing is stored,
/// else those after `lastStored` (all again when lastStored is the last 16-bit number, the
/// meter's counter cannot go beyond it; dedup drops what we already have).
std::vector<std::uint8_t> racpRequestAfter(std::optional<std::uint32_t> lastStored);

/// The meter's answer on the RACP.
struct RacpResponse {
  enum class Kind { responseCode, numberOfRecords };
  Kind kind = Kind::responseCode;
  std::uint8_t requestOpCode = 0;  // responseCode: the op code answered
  std::uint8_t code = 0;           // responseCode: kSuccess, kNoRecordsFound, …
  std::uint16_t records = 0;       // numberOfRecords

  /// The transfer finished: success, or nothing to send.
  bool transferDone() const {
    return kind == Kind::responseCode && requestOpCode == racp::kReportStoredRecords &&
           (code == racp::kSuccess || code == racp::kNoRecordsFound);
  }
};
/// Parses an RACP indication; nullopt for anything malformed or not a response.
std::optional<RacpResponse> parseRacpResponse(std::span<const std::uint8_t> value);

}  // namespace vigil::ble
