// libFuzzer target for the glucose meter's Record Access Control Point answers (parseRacpResponse):
// the bytes of an RACP indication come straight from the device. Beyond "no crash, no UB", it
// checks the parser's contract on every input: a response is only ever read from a 4-byte value
// with operator Null and a response op code, its fields are the bytes they come from, and a
// finished transfer is only a success or "no records found" answering "report stored records".
// The first bytes also drive racpRequestAfter, whose request must stay well-formed.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "vigil/ble/racp.hpp"

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

void checkRequest(std::optional<std::uint32_t> lastStored) {
  using namespace vigil::ble;
  const auto req = racpRequestAfter(lastStored);
  check(!req.empty() && req[0] == racp::kReportStoredRecords);
  if (req.size() == 2) {
    check(req[1] == racp::kOperatorAll);
    check(!lastStored || *lastStored >= 0xFFFF);
    return;
  }
  check(req.size() == 5 && req[1] == racp::kOperatorGreaterOrEqual &&
        req[2] == racp::kFilterSequenceNumber);
  check(lastStored && *lastStored < 0xFFFF);
  check(static_cast<std::uint32_t>(req[3] | (req[4] << 8)) == *lastStored + 1);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace vigil::ble;
  const std::span<const std::uint8_t> bytes(data, size);

  const auto r = parseRacpResponse(bytes);
  if (r) {
    check(size == 4 && data[1] == racp::kOperatorNull);
    if (r->kind == RacpResponse::Kind::responseCode) {
      check(data[0] == racp::kResponseCode);
      check(r->requestOpCode == data[2] && r->code == data[3]);
    } else {
      check(data[0] == racp::kNumberOfRecordsResponse);
      check(r->records == static_cast<std::uint16_t>(data[2] | (data[3] << 8)));
      check(!r->transferDone());
    }
    if (r->transferDone())
      check(r->requestOpCode == racp::kReportStoredRecords &&
            (r->code == racp::kSuccess || r->code == racp::kNoRecordsFound));
  } else if (size == 4 && data[1] == racp::kOperatorNull) {
    check(data[0] != racp::kResponseCode && data[0] != racp::kNumberOfRecordsResponse);
  }

  if (size >= 4) {
    std::uint32_t last = 0;
    for (std::size_t i = 4; i-- > 0;) last = (last << 8) | data[i];
    checkRequest(last);
  } else {
    checkRequest(std::nullopt);
  }
  return 0;
}
