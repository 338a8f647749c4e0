// libFuzzer: the device side's parser of the box's acks (DevicePublisher::parseAcks / parseAck) on
// arbitrary bytes. It must never crash, and its two forms must agree: a payload the single-form
// parser accepts is one ack with the same sequence number and status for the coalesced parser,
// and every ack either parser returns is "stored" or "rejected".
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "vigil/fleet/device_publisher.hpp"

using vigil::fleet::DevicePublisher;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string payload(reinterpret_cast<const char*>(data), size);
  auto acks = DevicePublisher::parseAcks(payload);
  for (const auto& a : acks)
    if (a.status != "stored" && a.status != "rejected") std::abort();
  std::uint64_t seq = 0;
  std::string status, reason;
  if (DevicePublisher::parseAck(payload, seq, status, reason)) {
    if (acks.size() != 1 || acks[0].seq != seq || acks[0].status != status) std::abort();
  }
  return 0;
}
