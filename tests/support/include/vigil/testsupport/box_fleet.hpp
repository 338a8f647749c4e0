#pragma once
// A simulated fleet for a BoxFixture: device ids to register, and the devices that send as
// them (each a kind of vital device and a persona, in turn). Header-only: the tests that use it
// link vigil::fleet; vigil::testsupport_box does not.

#include <string>
#include <vector>

#include "vigil/fleet/device_payload.hpp"
#include "vigil/fleet/simulation.hpp"
#include "vigil/testsupport/box_fixture.hpp"

namespace vigil::testsupport {

/// "<prefix>0" … "<prefix><n-1>".
inline std::vector<std::string> deviceUids(const std::string& prefix, int n) {
  std::vector<std::string> out;
  out.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) out.push_back(prefix + std::to_string(i));
  return out;
}

/// The box's registered devices `ids` as simulated devices: the i-th is the (i mod 6)-th kind
/// of vital device with the (i mod 5)-th persona.
inline std::vector<fleet::SimulatedDevice> fleetOf(BoxFixture& box,
                                                   const std::vector<std::string>& ids) {
  std::vector<fleet::SimulatedDevice> out;
  std::size_t i = 0;
  for (const auto& uid : ids) {
    auto d = fleet::deviceFromBundle(box.bundle(uid));
    d.device = fleet::kAllVitalDevices[i % 6];
    d.persona = fleet::kAllPersonas[i % 5];
    ++i;
    out.push_back(d);
  }
  return out;
}

}  // namespace vigil::testsupport
