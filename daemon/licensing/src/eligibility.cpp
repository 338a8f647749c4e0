// The eligibility rule, dates, state codes, the NLC member list and the NPI check digit.
// Pure functions: the check's whole judgement is here, testable from a hand-written table.

#include <algorithm>
#include <array>
#include <cstdio>

#include "vigil/licensing/licenses.hpp"

namespace vigil::licensing {
namespace {

using namespace std::chrono;

// US states, DC and the territories whose boards license providers.
constexpr std::array<std::string_view, 56> kStates = {
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "FL", "GA", "HI", "ID", "IL", "IN",
    "IA", "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV",
    "NH", "NJ", "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN",
    "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY", "DC", "PR", "GU", "VI", "AS", "MP"};

// The Nurse Licensure Compact's member jurisdictions that have implemented it (multistate
// licenses issued and honoured), kept by hand: source and date in docs/scheduling.md
// ("Compacts"). Jurisdictions that enacted the compact but had not implemented it (CT, MA) are
// left out until they do: a nurse's multistate license does not yet cover a patient there.
constexpr std::array<std::string_view, 41> kNlcMembers = {
    "AL", "AZ", "AR", "CO", "DE", "FL", "GA", "ID", "IN", "IA", "KS", "KY", "LA", "ME",
    "MD", "MS", "MO", "MT", "NE", "NH", "NJ", "NM", "NC", "ND", "OH", "OK", "PA", "RI",
    "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY", "GU", "VI"};

/// How serious a license's problem is: the reason reported is the most serious one.
int severity(std::string_view reason) {
  if (reason == kLicenseRevoked) return 4;
  if (reason == kLicenseSuspended) return 3;
  if (reason == kLicenseExpired) return 2;
  if (reason == kLicenseNotYetValid) return 1;
  return 0;
}

/// Why this covering license does not allow the visit on `day` ("" when it does).
std::string_view problemOf(const License& l, Date day) {
  if (l.status == "revoked") return kLicenseRevoked;
  if (l.status == "suspended") return kLicenseSuspended;
  if (l.status == "expired") return kLicenseExpired;
  if (sys_days(day) > sys_days(l.expiresOn)) return kLicenseExpired;  // valid through expiry day
  if (l.issuedOn && sys_days(day) < sys_days(*l.issuedOn)) return kLicenseNotYetValid;
  return {};
}

bool covers(const License& l, std::string_view patientState) {
  if (l.state == patientState) return true;
  return l.type == "NLC" && nlcMember(l.state) && nlcMember(patientState);
}

}  // namespace

std::optional<Date> parseDate(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  int y = 0;
  unsigned m = 0;
  unsigned d = 0;
  for (std::size_t i = 0; i < 10; ++i) {
    if (i == 4 || i == 7) continue;
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
    const int digit = text[i] - '0';
    if (i < 4) {
      y = y * 10 + digit;
    } else if (i < 7) {
      m = m * 10 + static_cast<unsigned>(digit);
    } else {
      d = d * 10 + static_cast<unsigned>(digit);
    }
  }
  Date date{year{y}, month{m}, day{d}};
  if (!date.ok() || y < 1900) return std::nullopt;
  return date;
}

std::string formatDate(Date date) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()));
  return buf;
}

Date utcDate(TimePoint t) {
  return Date{floor<days>(t)};
}

bool isStateCode(std::string_view state) {
  return std::find(kStates.begin(), kStates.end(), state) != kStates.end();
}

bool nlcMember(std::string_view state) {
  return std::find(kNlcMembers.begin(), kNlcMembers.end(), state) != kNlcMembers.end();
}

std::vector<std::string_view> nlcMemberStates() {
  return {kNlcMembers.begin(), kNlcMembers.end()};
}

bool validNpi(std::string_view npi) {
  if (npi.size() != 10 || npi.find_first_not_of("0123456789") != std::string_view::npos)
    return false;
  // Luhn over "80840" + the first nine digits; the tenth is the check digit. Doubling starts
  // from the rightmost digit of the payload (the ninth digit of the NPI).
  std::string payload = "80840" + std::string(npi.substr(0, 9));
  int sum = 0;
  bool dbl = true;
  for (auto it = payload.rbegin(); it != payload.rend(); ++it) {
    int digit = *it - '0';
    if (dbl) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
    dbl = !dbl;
  }
  const int check = (10 - sum % 10) % 10;
  return check == npi[9] - '0';
}

Eligibility evaluate(const std::vector<License>& licenses, std::string_view patientState,
                     Date dateOfService) {
  Eligibility e;
  e.state = std::string(patientState);
  if (!isStateCode(patientState)) {
    e.reason = std::string(kPatientStateUnknown);
    return e;
  }
  std::string_view worst;
  bool any = false;
  for (const auto& l : licenses) {
    if (!covers(l, patientState)) continue;
    any = true;
    auto problem = problemOf(l, dateOfService);
    if (problem.empty()) {
      e.eligible = true;
      e.licenseId = l.id;
      return e;
    }
    if (severity(problem) > severity(worst)) worst = problem;
  }
  e.reason = std::string(any ? worst : kNoLicenseForState);
  return e;
}

}  // namespace vigil::licensing
