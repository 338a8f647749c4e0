#pragma once
// Row helpers shared by the prescription service's files (not a public interface).

#include <optional>
#include <string>

#include "vigil/rx/ncpdp.hpp"
#include "vigil/rx/prescriptions.hpp"

namespace vigil::rx::detail {

/// The prescription `id` with its text decrypted; nullopt when there is none.
std::optional<Prescription> loadIn(store::Connection& c, const crypto::FieldCipher& cipher,
                                   std::int64_t id);
/// The ids of a patient's prescriptions, newest first.
std::vector<std::int64_t> idsOfPatientIn(store::Connection& c, std::int64_t patientId);
/// Appends to the prescription's history; false when `messageId` was applied already.
bool eventIn(store::Connection& c, std::int64_t prescriptionId, TimePoint at, std::string_view kind,
             std::string_view detail, std::optional<std::int64_t> byUser,
             const std::optional<std::string>& messageId = std::nullopt);
/// Encrypts {"sig", "note"} for the row.
std::string textJson(const std::string& sig, const std::string& note);
/// The NCPDP message of a prescription (NewRx or CancelRx), read on `c`.
ScriptMessage scriptFor(store::Connection& c, const crypto::FieldCipher& cipher,
                        const patients::PatientRecordService& records, const ClinicInfo& clinic,
                        const Prescription& p, TimePoint now);
/// The rx.submit / rx.cancel payload carrying the XML.
std::string payloadFor(const Prescription& p, const ScriptMessage& m, const std::string& xml);

}  // namespace vigil::rx::detail
