// Names, validation, the encrypted documents' JSON and the referral letter's HTML.
//
// The letter is rendered on the box from stored values only, each escaped (escapeHtml) where it
// is placed: element content and nothing else (no attribute takes a stored value, no script,
// no style from data), so a specialist's name or a plan holding markup prints as text. The page
// links the portal's letter stylesheet (/assets/css/letter.css): the CSP allows no inline style
// or script, and the page has neither.

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <cctype>
#include <sstream>

#include "note_internal.hpp"
#include "vigil/core/time.hpp"
#include "vigil/notes/notes.hpp"

namespace vigil::notes {

namespace {

constexpr const char* kKinds[] = {"video_visit", "in_person_visit", "rpm_review", "async_case",
                                  "phone_call"};

bool allDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

bool isMonth(std::string_view s) {
  return s.size() == 7 && allDigits(s.substr(0, 4)) && s[4] == '-' && allDigits(s.substr(5)) &&
         s.substr(5) >= "01" && s.substr(5) <= "12";
}

bool isDate(std::string_view s) {
  return s.size() == 10 && isMonth(s.substr(0, 7)) && s[7] == '-' && allDigits(s.substr(8)) &&
         s.substr(8) >= "01" && s.substr(8) <= "31";
}

std::string field(const Poco::JSON::Object::Ptr& o, const std::string& key) {
  return o->has(key) ? o->getValue<std::string>(key) : std::string();
}

/// Newlines become line breaks; everything else escaped.
std::string paragraph(std::string_view text) {
  std::string out;
  for (char c : escapeHtml(text)) {
    if (c == '\n')
      out += "<br>";
    else
      out += c;
  }
  return out;
}

}  // namespace

std::string_view toString(EncounterKind kind) {
  return kKinds[static_cast<int>(kind)];
}

std::optional<EncounterKind> parseEncounterKind(std::string_view name) {
  for (int i = 0; i < 5; ++i)
    if (name == kKinds[i]) return static_cast<EncounterKind>(i);
  return std::nullopt;
}

std::string_view toString(NoteState state) {
  switch (state) {
    case NoteState::draft:
      return "draft";
    case NoteState::cosign_pending:
      return "cosign_pending";
    case NoteState::signed_:
      return "signed";
  }
  return "draft";
}

std::optional<NoteState> parseNoteState(std::string_view name) {
  for (auto s : {NoteState::draft, NoteState::cosign_pending, NoteState::signed_})
    if (toString(s) == name) return s;
  return std::nullopt;
}

void validate(const Encounter& e) {
  switch (e.kind) {
    case EncounterKind::video_visit:
    case EncounterKind::async_case:
      if (!allDigits(e.ref) || e.ref.size() > 18 || e.ref.front() == '0')
        throw ValidationError("encounter.ref: the visit's or case's id");
      return;
    case EncounterKind::rpm_review:
      if (!isMonth(e.ref)) throw ValidationError("encounter.ref: the month reviewed, YYYY-MM");
      return;
    case EncounterKind::in_person_visit:
    case EncounterKind::phone_call:
      if (!isDate(e.ref)) throw ValidationError("encounter.ref: the date, YYYY-MM-DD");
      return;
  }
}

void validate(const Soap& soap, std::size_t limit, std::string_view what) {
  const std::pair<const char*, const std::string*> parts[] = {{"subjective", &soap.subjective},
                                                              {"objective", &soap.objective},
                                                              {"assessment", &soap.assessment},
                                                              {"plan", &soap.plan}};
  for (const auto& [name, text] : parts)
    if (text->size() > limit)
      throw ValidationError(std::string(what) + "." + name + ": at most " + std::to_string(limit) +
                            " bytes");
}

void validate(const ReferralInput& r) {
  auto need = [](const std::string& v, const char* name, std::size_t max, bool required) {
    if (required && v.find_first_not_of(" \t\r\n") == std::string::npos)
      throw ValidationError(std::string(name) + ": required");
    if (v.size() > max)
      throw ValidationError(std::string(name) + ": at most " + std::to_string(max) + " bytes");
  };
  need(r.specialistName, "specialistName", 200, true);
  need(r.specialty, "specialty", 200, true);
  need(r.contact, "contact", kMaxFieldBytes, false);
  need(r.reason, "reason", kMaxSectionBytes, true);
}

std::string soapDocument(const Soap& s) {
  Poco::JSON::Object o(Poco::JSON_PRESERVE_KEY_ORDER);
  o.set("subjective", s.subjective);
  o.set("objective", s.objective);
  o.set("assessment", s.assessment);
  o.set("plan", s.plan);
  std::ostringstream out;
  o.stringify(out);
  return out.str();
}

Soap readSoapDocument(const std::string& json) {
  Poco::JSON::Parser parser;
  auto o = parser.parse(json).extract<Poco::JSON::Object::Ptr>();
  return {field(o, "subjective"), field(o, "objective"), field(o, "assessment"), field(o, "plan")};
}

std::string referralDocument(const ReferralInput& r) {
  Poco::JSON::Object o(Poco::JSON_PRESERVE_KEY_ORDER);
  o.set("specialistName", r.specialistName);
  o.set("specialty", r.specialty);
  o.set("contact", r.contact);
  o.set("reason", r.reason);
  std::ostringstream out;
  o.stringify(out);
  return out.str();
}

ReferralInput readReferralDocument(const std::string& json) {
  Poco::JSON::Parser parser;
  auto o = parser.parse(json).extract<Poco::JSON::Object::Ptr>();
  return {field(o, "specialistName"), field(o, "specialty"), field(o, "contact"),
          field(o, "reason")};
}

std::string escapeHtml(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string renderReferralLetter(const ReferralLetter& l, std::string_view referrerName,
                                 std::string_view referrerRole) {
  const auto& r = l.referral.letter;
  const std::string date = core::formatUtc(l.referral.createdAt).substr(0, 10);
  std::ostringstream h;
  h << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
    << "<title>Referral letter</title>"
    << "<link rel=\"stylesheet\" href=\"/assets/css/letter.css\"></head><body>\n"
    << "<h1>Referral</h1>\n<p>" << escapeHtml(date) << "</p>\n"
    << "<p>To: <strong>" << escapeHtml(r.specialistName) << "</strong>, " << escapeHtml(r.specialty)
    << "<br>" << paragraph(r.contact) << "</p>\n"
    << "<p>Re: <strong>" << escapeHtml(l.patientName) << "</strong>, born "
    << escapeHtml(l.patientBirthDate) << "</p>\n"
    << "<dl><dt>Reason for referral</dt><dd>" << paragraph(r.reason) << "</dd>\n"
    << "<dt>Assessment</dt><dd>" << paragraph(l.noteSoap.assessment) << "</dd>\n"
    << "<dt>Plan</dt><dd>" << paragraph(l.noteSoap.plan) << "</dd></dl>\n"
    << "<p>From the note signed " << escapeHtml(core::formatUtc(l.noteSignedAt).substr(0, 10))
    << ".</p>\n"
    << "<p class=\"sig\">" << escapeHtml(referrerName) << "<br>" << escapeHtml(referrerRole)
    << "</p>\n</body></html>\n";
  return h.str();
}

}  // namespace vigil::notes
