// Validation of a patient record update: every field bounded and format-checked, the first bad
// one named by its JSON path, its value never quoted (the message reaches the API and logs).

#include <algorithm>
#include <cctype>
#include <set>

#include "vigil/core/error.hpp"
#include "vigil/core/time.hpp"
#include "vigil/patients/patient_record.hpp"

namespace vigil::patients {
namespace {

[[noreturn]] void bad(const std::string& path, const std::string& what) {
  throw ValidationError(path + ": " + what);
}

bool hasControl(std::string_view s, bool allowNewlines) {
  return std::any_of(s.begin(), s.end(), [&](char c) {
    const auto u = static_cast<unsigned char>(c);
    if (allowNewlines && (c == '\n' || c == '\t')) return false;
    return u < 0x20 || u == 0x7F;
  });
}

bool blank(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; });
}

/// Text of at most `max` bytes, without control characters; `required`: not empty or blank.
void checkText(const std::string& path, const std::string& value, std::size_t max, bool required,
               bool allowNewlines = false) {
  if (required && blank(value)) bad(path, "is required");
  if (value.size() > max) bad(path, "at most " + std::to_string(max) + " bytes");
  if (hasControl(value, allowNewlines)) bad(path, "must not hold control characters");
}

bool allOf(std::string_view s, int (*pred)(int)) {
  return std::all_of(s.begin(), s.end(),
                     [&](char c) { return pred(static_cast<unsigned char>(c)) != 0; });
}

void checkDate(const std::string& path, const std::string& value, TimePoint now, bool required) {
  if (value.empty()) {
    if (required) bad(path, "is required");
    return;
  }
  auto day = value.size() == 10 ? core::parseDate(value) : std::nullopt;
  if (!day) bad(path, "must be a date YYYY-MM-DD");
  if (*day > now) bad(path, "must not be in the future");
}

void checkPhone(const std::string& path, const std::string& value, bool required) {
  if (value.empty()) {
    if (required) bad(path, "is required");
    return;
  }
  if (value.size() > 32) bad(path, "at most 32 characters");
  std::size_t digits = 0;
  for (std::size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    if (std::isdigit(static_cast<unsigned char>(c))) {
      ++digits;
    } else if (!(c == ' ' || c == '-' || c == '(' || c == ')' || c == '.' ||
                 (c == '+' && i == 0))) {
      bad(path, "must be a phone number (digits, + ( ) - . and spaces)");
    }
  }
  if (digits < 7 || digits > 15) bad(path, "must hold 7 to 15 digits");
}

void checkEmail(const std::string& path, const std::string& value) {
  if (value.empty()) return;
  if (value.size() > 254) bad(path, "at most 254 characters");
  const auto at = value.find('@');
  const bool printable = std::all_of(value.begin(), value.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u > 0x20 && u < 0x7F;
  });
  if (!printable || at == std::string::npos || at == 0 || at > 64 ||
      value.find('@', at + 1) != std::string::npos)
    bad(path, "must be an e-mail address");
  const auto domain = std::string_view(value).substr(at + 1);
  if (domain.size() < 3 || domain.find('.') == std::string_view::npos || domain.front() == '.' ||
      domain.back() == '.')
    bad(path, "must be an e-mail address");
}

void checkAddress(const std::string& path, const Address& a) {
  checkText(path + ".line1", a.line1, 200, !a.empty());
  checkText(path + ".line2", a.line2, 200, false);
  checkText(path + ".city", a.city, 100, !a.empty());
  checkText(path + ".region", a.region, 100, false);
  checkText(path + ".postalCode", a.postalCode, 20, false);
  if (!std::all_of(a.postalCode.begin(), a.postalCode.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == ' ' || c == '-';
      }))
    bad(path + ".postalCode", "letters, digits, spaces and hyphens only");
  if (!a.country.empty() && (a.country.size() != 2 || !allOf(a.country, std::isupper)))
    bad(path + ".country", "must be a two-letter ISO 3166 code");
}

/// Well-formed BCP 47 language tag (RFC 5646 syntax, without grandfathered tags): a 2-3 letter
/// (or 5-8 letter) language, then subtags of 1-8 letters or digits; at most 35 characters.
void checkLanguage(const std::string& value) {
  if (value.empty()) return;
  if (value.size() > 35) bad("language", "at most 35 characters");
  std::size_t start = 0;
  bool first = true;
  while (start <= value.size()) {
    auto end = value.find('-', start);
    if (end == std::string::npos) end = value.size();
    const auto sub = std::string_view(value).substr(start, end - start);
    const bool ok =
        first ? ((sub.size() >= 2 && sub.size() <= 3) || (sub.size() >= 5 && sub.size() <= 8)) &&
                    allOf(sub, std::isalpha)
              : !sub.empty() && sub.size() <= 8 && allOf(sub, std::isalnum);
    if (!ok) bad("language", "must be a BCP 47 language tag such as en-US");
    first = false;
    start = end + 1;
  }
}

void checkIdentifier(const std::string& path, const std::string& value, bool required) {
  checkText(path, value, 64, required);
  if (!std::all_of(value.begin(), value.end(),
                   [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-'; }))
    bad(path, "letters, digits and hyphens only");
}

void checkInsurance(const std::string& path, const Insurance& i, TimePoint now) {
  checkText(path + ".payer", i.payer, 200, true);
  checkText(path + ".plan", i.plan, 200, false);
  checkIdentifier(path + ".memberId", i.memberId, true);
  checkIdentifier(path + ".groupNumber", i.groupNumber, false);
  checkText(path + ".subscriberName", i.subscriberName, 200, false);
  checkDate(path + ".subscriberBirthDate", i.subscriberBirthDate, now, false);
}

void checkDemographics(const Demographics& d, TimePoint now) {
  checkText("demographics.givenName", d.givenName, 100, true);
  checkText("demographics.familyName", d.familyName, 100, true);
  checkDate("demographics.birthDate", d.birthDate, now, true);
  checkText("demographics.timeZone", d.timeZone, 64, true);
  if (!d.state.empty() && (d.state.size() != 2 || !allOf(d.state, std::isupper)))
    bad("demographics.state", "must be a two-letter code");
}

template <class T>
void checkIds(const std::string& list, const std::vector<T>& entries) {
  std::set<std::int64_t> seen;
  for (std::size_t i = 0; i < entries.size(); ++i)
    if (entries[i].id != 0 && !seen.insert(entries[i].id).second)
      bad(list + "[" + std::to_string(i) + "].id", "appears twice");
}

void checkClinical(const RecordUpdate& u, TimePoint now) {
  if (u.problems) {
    checkIds("problems", *u.problems);
    for (std::size_t i = 0; i < u.problems->size(); ++i) {
      const auto& p = (*u.problems)[i];
      const auto path = "problems[" + std::to_string(i) + "]";
      if (!validIcd10Cm(p.code)) bad(path + ".code", "not an ICD-10-CM code (such as E11.9)");
      checkText(path + ".description", p.description, 200, true);
      checkDate(path + ".onsetDate", p.onsetDate, now, false);
    }
  }
  if (u.medications) {
    checkIds("medications", *u.medications);
    for (std::size_t i = 0; i < u.medications->size(); ++i) {
      const auto& m = (*u.medications)[i];
      const auto path = "medications[" + std::to_string(i) + "]";
      if (!m.rxcui.empty() && (m.rxcui.size() > 8 || !allOf(m.rxcui, std::isdigit)))
        bad(path + ".rxcui", "must be an RxNorm concept id (digits)");
      checkText(path + ".name", m.name, 200, true);
      checkText(path + ".instructions", m.instructions, kMaxRecordText, false, true);
    }
  }
  if (u.allergies) {
    checkIds("allergies", *u.allergies);
    for (std::size_t i = 0; i < u.allergies->size(); ++i) {
      const auto& a = (*u.allergies)[i];
      const auto path = "allergies[" + std::to_string(i) + "]";
      checkText(path + ".substance", a.substance, 200, true);
      checkText(path + ".reaction", a.reaction, 200, false);
    }
  }
}

}  // namespace

bool validIcd10Cm(std::string_view code) {
  // A letter, a digit, a letter or digit; then optionally a dot and 1 to 4 letters or digits.
  if (code.size() < 3 || code.size() > 8) return false;
  if (!std::isupper(static_cast<unsigned char>(code[0])) ||
      !std::isdigit(static_cast<unsigned char>(code[1])))
    return false;
  const auto alnum = [](char c) {
    return std::isdigit(static_cast<unsigned char>(c)) ||
           std::isupper(static_cast<unsigned char>(c));
  };
  if (!alnum(code[2])) return false;
  if (code.size() == 3) return true;
  if (code[3] != '.' || code.size() == 4) return false;
  return std::all_of(code.begin() + 4, code.end(), alnum);
}

void validate(const RecordUpdate& u, TimePoint now) {
  if (u.demographics) checkDemographics(*u.demographics, now);
  if (u.contact) {
    checkEmail("contact.email", u.contact->email);
    checkPhone("contact.phone", u.contact->phone, false);
    checkAddress("contact.address", u.contact->address);
  }
  if (u.language) checkLanguage(*u.language);
  if (u.emergencyContact) {
    const auto& e = *u.emergencyContact;
    const bool given = !e.name.empty() || !e.relationship.empty() || !e.phone.empty();
    checkText("emergencyContact.name", e.name, 200, given);
    checkText("emergencyContact.relationship", e.relationship, 100, false);
    checkPhone("emergencyContact.phone", e.phone, given);
  }
  if (u.insurance) {
    if (u.insurance->secondary && !u.insurance->primary)
      bad("insurance.secondary", "needs a primary insurance");
    if (u.insurance->primary) checkInsurance("insurance.primary", *u.insurance->primary, now);
    if (u.insurance->secondary) checkInsurance("insurance.secondary", *u.insurance->secondary, now);
  }
  if (u.pharmacy) {
    const auto& p = *u.pharmacy;
    const bool given =
        !p.name.empty() || !p.ncpdpId.empty() || !p.phone.empty() || !p.address.empty();
    checkText("pharmacy.name", p.name, 200, given);
    if (!p.ncpdpId.empty() && (p.ncpdpId.size() != 7 || !allOf(p.ncpdpId, std::isdigit)))
      bad("pharmacy.ncpdpId", "must be 7 digits");
    checkPhone("pharmacy.phone", p.phone, false);
    checkAddress("pharmacy.address", p.address);
  }
  checkClinical(u, now);
}

}  // namespace vigil::patients
