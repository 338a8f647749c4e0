#pragma once
// Shared between the notes sources: state names and the encrypted documents' JSON.

#include <optional>
#include <string>
#include <string_view>

#include "vigil/notes/notes.hpp"

namespace vigil::notes {

std::optional<NoteState> parseNoteState(std::string_view name);
/// Throws ValidationError naming `what`.<section> when a section is over `limit` bytes.
void validate(const Soap& soap, std::size_t limit, std::string_view what);
void validate(const ReferralInput& referral);
std::string soapDocument(const Soap& soap);
Soap readSoapDocument(const std::string& json);
std::string referralDocument(const ReferralInput& referral);
ReferralInput readReferralDocument(const std::string& json);

}  // namespace vigil::notes
