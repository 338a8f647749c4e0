// The record as a printable page. Every value the record holds goes through htmlEscape (the
// page is built as text, not from markup the record could carry); the page has no script and
// loads nothing: its CSS is inline, so it reads the same offline and on paper.

#include "vigil/fhir/record_html.hpp"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>
#include <vector>

#include "vigil/core/time.hpp"
#include "vigil/fhir/resources.hpp"

namespace vigil::fhir {
namespace {

constexpr const char* kStyle =
    "body{font-family:system-ui,sans-serif;margin:2rem;color:#111;max-width:60rem}"
    "h1{font-size:1.5rem}h2{font-size:1.15rem;border-bottom:1px solid #999;margin-top:2rem}"
    "pre.note{white-space:pre-wrap;font-family:inherit;border-left:3px solid "
    "#999;padding-left:1rem}"
    "table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.25rem .5rem;"
    "border-bottom:1px solid #ddd;vertical-align:top}dt{font-weight:600}dd{margin:0 0 .5rem}"
    ".note{color:#555}@media print{body{margin:0}h2{break-after:avoid}tr{break-inside:avoid}}";

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

std::string time(TimePoint t) {
  return core::formatUtc(t, core::Fraction::millis);
}

class Page {
 public:
  void raw(std::string_view s) { out_ << s; }
  void text(std::string_view s) { out_ << htmlEscape(s); }
  void heading(std::string_view title) {
    raw("<h2>");
    text(title);
    raw("</h2>\n");
  }
  void note(std::string_view s) {
    raw("<p class=\"note\">");
    text(s);
    raw("</p>\n");
  }
  void field(std::string_view label, std::string_view value) {
    if (value.empty()) return;
    raw("<dt>");
    text(label);
    raw("</dt><dd>");
    text(value);
    raw("</dd>\n");
  }
  void row(std::initializer_list<std::string_view> cells, bool header = false) {
    raw("<tr>");
    for (auto c : cells) {
      raw(header ? "<th>" : "<td>");
      text(c);
      raw(header ? "</th>" : "</td>");
    }
    raw("</tr>\n");
  }
  std::string str() const { return out_.str(); }

 private:
  std::ostringstream out_;
};

std::string addressText(const patients::Address& a) {
  std::string s;
  for (const auto* part : {&a.line1, &a.line2, &a.city, &a.region, &a.postalCode, &a.country}) {
    if (part->empty()) continue;
    if (!s.empty()) s += ", ";
    s += *part;
  }
  return s;
}

std::string readingValue(const readings::ReceivedReading& r) {
  if (r.components) {
    std::string s;
    try {
      Poco::JSON::Parser parser;
      auto o = parser.parse(*r.components).extract<Poco::JSON::Object::Ptr>();
      std::vector<std::string> keys = readings::panelComponents(r.code);
      std::vector<std::string> names;
      o->getNames(names);
      for (const auto& n : names)
        if (std::find(keys.begin(), keys.end(), n) == keys.end()) keys.push_back(n);
      for (const auto& k : keys) {
        if (!o->has(k)) continue;
        auto v = o->get(k);
        if (!s.empty()) s += " / ";
        s += v.isNumeric() ? number(v.convert<double>()) : std::string("–");
      }
    } catch (const Poco::Exception&) {
      s = "–";
    }
    return s;
  }
  return r.value && std::isfinite(*r.value) ? number(*r.value) : std::string("–");
}

void demographics(Page& p, const patients::PatientRecord& rec) {
  p.heading("Patient");
  p.raw("<dl>\n");
  p.field("Name", rec.demographics.givenName + " " + rec.demographics.familyName);
  p.field("Birth date", rec.demographics.birthDate);
  p.field("Time zone", rec.demographics.timeZone);
  p.field("Phone", rec.contact.phone);
  p.field("E-mail", rec.contact.email);
  p.field("Address", addressText(rec.contact.address));
  p.field("Preferred language", rec.language);
  const auto& ec = rec.emergencyContact;
  if (!ec.name.empty())
    p.field("Emergency contact", ec.name +
                                     (ec.relationship.empty() ? "" : " (" + ec.relationship + ")") +
                                     (ec.phone.empty() ? "" : ", " + ec.phone));
  const auto& ph = rec.pharmacy;
  if (!ph.name.empty())
    p.field("Preferred pharmacy", ph.name + (ph.phone.empty() ? "" : ", " + ph.phone) +
                                      (ph.address.empty() ? "" : ", " + addressText(ph.address)));
  p.raw("</dl>\n");
}

void insurance(Page& p, const patients::InsuranceCoverage& cov) {
  p.heading("Insurance");
  if (!cov.primary) return p.note("None recorded.");
  p.raw("<table>\n");
  p.row({"", "Payer", "Plan", "Member ID", "Group", "Subscriber"}, true);
  auto line = [&](std::string_view order, const patients::Insurance& i) {
    p.row({order, i.payer, i.plan, i.memberId, i.groupNumber,
           i.subscriberName + " (" + std::string(patients::toString(i.relationship)) + ")"});
  };
  line("Primary", *cov.primary);
  if (cov.secondary) line("Secondary", *cov.secondary);
  p.raw("</table>\n");
}

void clinical(Page& p, const patients::PatientRecord& rec) {
  auto source = [](patients::EntrySource s) {
    return s == patients::EntrySource::patient ? "you (the patient)" : "your clinician";
  };
  p.heading("Problems");
  if (!rec.clinicalIncluded) {
    p.note("Problems, medications and allergies are not included in this copy.");
    return;
  }
  if (rec.problems.empty())
    p.note("None recorded.");
  else {
    p.raw("<table>\n");
    p.row({"ICD-10-CM", "Description", "Status", "Since", "Reported by"}, true);
    for (const auto& x : rec.problems)
      p.row({x.code, x.description,
             x.status == patients::ProblemStatus::active ? "active" : "resolved", x.onsetDate,
             source(x.source)});
    p.raw("</table>\n");
  }
  p.heading("Medications");
  if (rec.medications.empty())
    p.note("None recorded.");
  else {
    p.raw("<table>\n");
    p.row({"Medication", "RxNorm", "Instructions", "Status", "Reported by"}, true);
    for (const auto& x : rec.medications)
      p.row({x.name, x.rxcui, x.instructions,
             x.status == patients::MedicationStatus::active ? "active" : "stopped",
             source(x.source)});
    p.raw("</table>\n");
  }
  p.heading("Allergies");
  if (rec.allergies.empty())
    p.note("None recorded.");
  else {
    p.raw("<table>\n");
    p.row({"Substance", "Reaction", "Severity", "Reported by"}, true);
    for (const auto& x : rec.allergies) {
      const char* sev = x.severity == patients::AllergySeverity::mild       ? "mild"
                        : x.severity == patients::AllergySeverity::moderate ? "moderate"
                        : x.severity == patients::AllergySeverity::severe   ? "severe"
                                                                            : "unknown";
      p.row({x.substance, x.reaction, sev, source(x.source)});
    }
    p.raw("</table>\n");
  }
}

void consents(Page& p, const PatientRecordData& data) {
  p.heading("Consents");
  if (!data.consentsIncluded) return p.note("Signed consents are not included in this copy.");
  if (data.signatures.empty()) return p.note("None signed.");
  p.raw("<table>\n");
  p.row({"Document", "Version", "Signed", "Withdrawn", "SHA-256 of the text signed"}, true);
  for (const auto& s : data.signatures) {
    auto it = data.documents.find(s.documentId);
    const std::string title =
        it != data.documents.end() ? it->second.title : std::string(patients::toString(s.kind));
    p.row({title, std::to_string(s.version), time(s.signedAt),
           s.withdrawnAt ? time(*s.withdrawnAt) : std::string(), s.documentSha256});
  }
  p.raw("</table>\n");
}

/// Signed notes, each as the same plain text the FHIR copy carries, in a <pre> (escaped).
void clinicalNotes(Page& p, const PatientRecordData& data) {
  p.heading("Clinical notes");
  if (!data.notesIncluded) return p.note("Clinical notes are not included in this copy.");
  if (data.notes.empty()) return p.note("None signed.");
  if (data.notes.front().summaryOnly)
    p.note("Each note's assessment and plan, with its addenda, as your visit summaries show.");
  for (const auto& n : data.notes) {
    p.raw("<pre class=\"note\">");
    p.text(noteText(n));
    p.raw("</pre>\n");
  }
}

void visits(Page& p, const PatientRecordData& data) {
  p.heading("Video visits");
  if (!data.visitsIncluded) return p.note("Visits are not included in this copy.");
  if (data.visits.empty()) return p.note("None.");
  p.raw("<table>\n");
  p.row({"Starts (UTC)", "Ends (UTC)", "Clinician", "Status"}, true);
  for (const auto& v : data.visits) {
    std::string status = "Scheduled";
    switch (v.visit.state) {
      case video::VisitState::scheduled:
        status = "Scheduled";
        break;
      case video::VisitState::inProgress:
        status = "In progress";
        break;
      case video::VisitState::ended:
        status = "Held";
        break;
      case video::VisitState::cancelled:
        status = "Cancelled";
        break;
    }
    const bool ended = v.visit.state == video::VisitState::ended && v.visit.endedAt;
    p.row({time(v.visit.startsAt), time(ended ? *v.visit.endedAt : v.visit.endsAt), v.providerName,
           status});
  }
  p.raw("</table>\n");
}

void readingsTable(Page& p, const PatientRecordData& data) {
  p.heading("Readings");
  if (!data.readingsIncluded) return p.note("Readings are not included in this copy.");
  if (data.readings.empty()) return p.note("None recorded.");
  if (data.readingsTruncated) p.note("Only the newest readings are included in this copy.");
  p.raw("<table>\n");
  p.row({"Time (UTC)", "Measurement", "LOINC", "Value", "Unit"}, true);
  for (const auto& r : data.readings) {
    const bool deviceUtc = r.deviceTime && !r.deviceTimeLocal;
    p.row({time(deviceUtc ? *r.deviceTime : r.receivedAt), loincDisplay(r.code), r.code,
           readingValue(r), r.unit});
  }
  p.raw("</table>\n");
}

}  // namespace

std::string htmlEscape(std::string_view text) {
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

std::string recordHtml(const PatientRecordData& data, TimePoint generatedAt) {
  Page p;
  p.raw("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
  p.raw("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>");
  p.text("Health record of " + data.record.demographics.givenName + " " +
         data.record.demographics.familyName);
  p.raw("</title>\n<style>");
  p.raw(kStyle);
  p.raw("</style>\n</head>\n<body>\n<h1>");
  p.text("Health record: " + data.record.demographics.givenName + " " +
         data.record.demographics.familyName);
  p.raw("</h1>\n");
  p.note("A copy of your record as this clinic's Vigil box holds it, made " + time(generatedAt) +
         " (record version " + std::to_string(data.record.version) + ").");
  demographics(p, data.record);
  insurance(p, data.record.insurance);
  clinical(p, data.record);
  consents(p, data);
  visits(p, data);
  clinicalNotes(p, data);
  readingsTable(p, data);
  p.raw("</body>\n</html>\n");
  return p.str();
}

}  // namespace vigil::fhir
