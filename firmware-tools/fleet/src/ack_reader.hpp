#pragma once
// The shapes of the box's ack messages as read, before DevicePublisher checks them
// (ack_reader.cpp says what is accepted).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vigil::fleet::detail {

/// One ack object's members, each present or not.
struct RawAck {
  std::optional<std::uint64_t> seq;
  std::optional<std::string> status;
  std::optional<std::string> reason;
  std::optional<std::uint64_t> duplicates;
};

/// A whole ack message: the top-level members and, when it has "acks", that list.
struct AckMessage {
  RawAck top;
  bool hasList = false;
  std::vector<RawAck> list;
};

/// false when the payload is not one well-formed ack-shaped JSON object.
bool readAckMessage(std::string_view payload, AckMessage& out);

}  // namespace vigil::fleet::detail
