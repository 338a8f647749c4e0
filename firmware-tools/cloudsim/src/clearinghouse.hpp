#pragma once
// The stand-in's clearinghouse (docs/cloud-api.md, "The stand-in"): it reads the 837P a box
// sends in `claim.submit` with vigil::x12 and answers as a clearinghouse and a payer would:
// a 999 for the transaction set (`claim.ack`), a 277CA per claim (`claim.status`) and an 835
// for the accepted claims (`remittance`), each payload {"batch", "x12"}. Deterministic: the fee
// schedule, the coinsurance and the rejection rule are fixed, so tests know the answers.
#include <cstdint>
#include <string>
#include <vector>

#include "services.hpp"

namespace vigil::cloudsim {

/// The clearinghouse's replies to one accepted `claim.submit`: `batch` is the box's batch id,
/// `x12` its 837P text, `entryId` the entry's id (the 835's trace number). Throws PayloadRefused
/// ("invalid_payload", naming the segment) for text that is not a readable X12 interchange.
std::vector<Reply> clearinghouseReplies(const std::string& entryId, const std::string& batch,
                                        const std::string& x12, std::int64_t nowMs);

/// The fee per unit of `cpt` in cents, or -1 when the fee schedule has no such code.
std::int64_t feeCents(const std::string& cpt);

/// The payer's share of the allowed amount after the patient's coinsurance (PR-2), percent.
inline constexpr std::int64_t kCoinsurancePercent = 20;

}  // namespace vigil::cloudsim
