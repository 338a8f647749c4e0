#include "services.hpp"

#include <Poco/Dynamic/Var.h>
#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>

#include <array>
#include <cctype>
#include <chrono>
#include <sstream>
#include <typeinfo>

#include "clearinghouse.hpp"
#include "vigil/core/json_text.hpp"
#include "vigil/core/time.hpp"

namespace vigil::cloudsim {
namespace {

using Poco::JSON::Object;

// --- Seed data (docs/cloud-api.md, "The stand-in") ---

struct RegistryLicense {
  std::string_view npi;
  std::string_view state;
  std::string_view number;
  std::string_view status;
  std::string_view expires;
};
constexpr std::array<RegistryLicense, 5> kRegistry{{
    {"1234567893", "CA", "A123456", "active", "2027-06-30"},
    {"1234567893", "NV", "PA98765", "active", "2027-01-31"},
    {"1245319599", "TX", "R4821", "active", "2026-12-31"},
    {"1245319599", "OK", "44120", "expired", "2025-09-30"},
    {"1306849450", "NY", "298761", "suspended", "2027-03-31"},
}};

// The pharmacy network: by the contract's first ids, and by NCPDP ID (what a patient record
// names); kOutOfStockPharmacy receives but never fills.
constexpr std::array<std::string_view, 6> kPharmacies{"PH-0001", "PH-0002", "PH-0003",
                                                      "1000001", "1000002", kOutOfStockPharmacy};

constexpr std::array<std::string_view, 4> kFeatures{"rpm", "video", "rx", "billing"};

// --- Payload reading ---

[[noreturn]] void invalid(std::string_view field, std::string_view problem) {
  throw PayloadRefused("invalid_payload",
                       "payload." + std::string(field) + ": " + std::string(problem));
}

Object::Ptr parseObject(const std::string& text) {
  try {
    Poco::JSON::Parser parser;
    auto parsed = parser.parse(text);
    if (parsed.type() == typeid(Object::Ptr)) return parsed.extract<Object::Ptr>();
  } catch (const Poco::Exception&) {
    // The parser's message may quote the payload; say only that it is not JSON.
  }
  invalid("", "not a JSON object");
}

std::string text(const Object& obj, const std::string& field) {
  if (!obj.has(field) || !obj.get(field).isString()) invalid(field, "must be a string");
  std::string value = obj.getValue<std::string>(field);
  if (value.empty() || value.size() > 256) invalid(field, "must be 1-256 characters");
  return value;
}

std::int64_t count(const Object& obj, const std::string& field, std::int64_t min) {
  if (!obj.has(field)) invalid(field, "missing");
  Poco::Dynamic::Var v = obj.get(field);
  if (v.isBoolean() || !v.isInteger()) invalid(field, "must be an integer");
  std::int64_t n = 0;
  try {
    n = v.convert<std::int64_t>();
  } catch (const Poco::Exception&) {
    invalid(field, "out of range");
  }
  if (n < min || n > 1'000'000) invalid(field, "out of range");
  return n;
}

Object::Ptr object(const Object& obj, const std::string& field) {
  Object::Ptr inner = obj.has(field) ? obj.getObject(field) : nullptr;
  if (inner.isNull()) invalid(field, "must be an object");
  return inner;
}

std::string stringify(const Object::Ptr& obj) {
  std::ostringstream out;
  Poco::JSON::Stringifier::condense(obj, out);
  return out.str();
}

// A tiny writer for the replies: {"a":"x","b":1,...} in the order written.
class JsonOut {
 public:
  JsonOut& str(std::string_view name, std::string_view value) {
    key(name);
    core::appendJsonString(out_, value);
    return *this;
  }
  JsonOut& raw(std::string_view name, std::string_view json) {
    key(name);
    out_ += json;
    return *this;
  }
  JsonOut& num(std::string_view name, std::int64_t value) {
    return raw(name, std::to_string(value));
  }
  std::string done() { return out_ + '}'; }

 private:
  void key(std::string_view name) {
    out_ += out_.size() > 1 ? "," : "";
    core::appendJsonString(out_, name);
    out_ += ':';
  }
  std::string out_ = "{";
};

// --- The services ---

Effects licensing(const sync::Header& h, const Object& p, std::int64_t nowMs) {
  Effects out;
  if (h.kind == "license.check") {
    Object::Ptr seats = object(p, "seats");
    std::int64_t providers = count(*seats, "providers", 0);
    std::int64_t patients = count(*seats, "patients", 0);
    std::string features = "[";
    for (auto f : kFeatures) {
      if (features.size() > 1) features += ',';
      core::appendJsonString(features, f);
    }
    features += ']';
    auto until = core::fromMillis(nowMs) + std::chrono::hours(24 * 365);
    out.replies.push_back(
        {"licensing", "license.status",
         JsonOut()
             .str("status", "active")
             .str("validUntil", core::formatUtc(until, core::Fraction::millis))
             .raw("seats", JsonOut().num("providers", providers).num("patients", patients).done())
             .raw("features", features)
             .done()});
    return out;
  }
  if (h.kind == "license.lookup") {
    std::string npi = text(p, "npi");
    std::string state = text(p, "state");
    bool npiOk = npi.size() == 10 && npi.find_first_not_of("0123456789") == std::string::npos;
    if (!npiOk) invalid("npi", "must be 10 digits");
    if (state.size() != 2 ||
        state.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ") != std::string::npos)
      invalid("state", "must be a two-letter state code");
    JsonOut reply;
    reply.str("npi", npi).str("state", state);
    bool found = false;
    for (const auto& l : kRegistry) {
      if (l.npi != npi || l.state != state) continue;
      reply.str("status", l.status).str("licenseNumber", l.number).str("expires", l.expires);
      found = true;
    }
    if (!found) reply.str("status", "not_found");
    out.replies.push_back({"licensing", "license.verification", reply.done()});
    return out;
  }
  throw PayloadRefused("unsupported_kind", "licensing does not take this kind");
}

/// The file name of a received NCPDP message: letters, digits and '-' of the prescription id.
std::string scriptName(const std::string& prescriptionId, std::string_view kind) {
  std::string name;
  for (char ch : prescriptionId)
    if (std::isalnum(static_cast<unsigned char>(ch)) || ch == '-') name.push_back(ch);
  return name.substr(0, 64) + "-" + std::string(kind) + ".xml";
}

Effects pharmacyCancel(CloudStore& store, const std::string& boxId, const std::string& id) {
  Effects out;
  JsonOut reply;
  reply.str("prescriptionId", id);
  auto status = store.prescriptionStatus(boxId, id);
  if (status == "received") {
    store.setPrescriptionStatus(boxId, id, "cancelled");
    reply.str("status", "cancelled");
  } else {
    reply.str("status", "cancel_denied")
        .str("reason", status.empty() ? "unknown_prescription" : "already_" + status);
  }
  out.replies.push_back({"pharmacy", "rx.status", reply.done()});
  return out;
}

Effects pharmacy(CloudStore& store, const std::string& boxId, const sync::Header& h,
                 const Object& p, std::int64_t nowMs) {
  if (h.kind != "rx.submit" && h.kind != "rx.cancel")
    throw PayloadRefused("unsupported_kind", "pharmacy does not take this kind");
  std::string prescriptionId = text(p, "prescriptionId");
  std::string pharmacyId = text(p, "pharmacyId");
  object(p, "patient");
  object(p, "prescriber");
  object(p, "medication");
  std::string script;
  if (p.has("script")) {  // the NCPDP message: up to 64 KiB of XML
    if (!p.get("script").isString()) invalid("script", "must be a string");
    script = p.getValue<std::string>("script");
    if (script.empty() || script.size() > 65536) invalid("script", "must be 1-65536 characters");
  }
  const char* root = h.kind == "rx.submit" ? "<NewRx>" : "<CancelRx>";
  if (!script.empty() && script.find(root) == std::string::npos)
    invalid("script", h.kind == "rx.submit" ? "must be an NCPDP NewRx" : "must be a CancelRx");
  Effects out;
  if (!script.empty())
    out.scripts.emplace_back(
        scriptName(prescriptionId, h.kind == "rx.submit" ? "NewRx" : "CancelRx"), script);
  if (h.kind == "rx.cancel") {
    auto cancel = pharmacyCancel(store, boxId, prescriptionId);
    cancel.scripts = std::move(out.scripts);
    return cancel;
  }
  bool known = false;
  for (auto ph : kPharmacies) known = known || ph == pharmacyId;
  JsonOut reply;
  reply.str("prescriptionId", prescriptionId);
  if (known) {
    store.insertPrescription(boxId, h.id, prescriptionId, pharmacyId, "received", nowMs);
    reply.str("status", "received");
  } else {
    reply.str("status", "rejected").str("reason", "unknown_pharmacy");
  }
  out.replies.push_back({"pharmacy", "rx.status", reply.done()});
  return out;
}

Effects clearinghouse(const sync::Header& h, const Object& p, std::int64_t nowMs) {
  if (h.kind != "claim.submit")
    throw PayloadRefused("unsupported_kind", "clearinghouse does not take this kind");
  std::string batch = text(p, "batch");
  if (!p.has("x12") || !p.get("x12").isString()) invalid("x12", "must be a string");
  std::string x12 = p.getValue<std::string>("x12");
  if (x12.empty()) invalid("x12", "must be an X12 837P interchange");
  Effects out;
  out.replies = clearinghouseReplies(h.id, batch, x12, nowMs);
  return out;
}

Effects notify(CloudStore& store, const std::string& boxId, const sync::Header& h,
               const Object::Ptr& p, std::int64_t nowMs) {
  if (h.kind != "notify.send")
    throw PayloadRefused("unsupported_kind", "notify does not take this kind");
  std::string channel = text(*p, "channel");
  if (channel != "email" && channel != "sms") invalid("channel", "must be email or sms");
  std::string to = text(*p, "to");
  std::string templateName = text(*p, "template");
  Object::Ptr params = object(*p, "params");
  store.insertNotification(h.id, boxId, channel, templateName, nowMs);
  Effects out;
  out.notificationLines.push_back(
      JsonOut()
          .str("entryId", h.id)
          .str("box", boxId)
          .str("channel", channel)
          .str("to", to)
          .str("template", templateName)
          .raw("params", stringify(params))
          .str("sentAt", core::formatUtc(core::fromMillis(nowMs), core::Fraction::millis))
          .done());
  out.replies.push_back({"notify", "notify.status",
                         JsonOut().str("notificationId", h.id).str("status", "sent").done()});
  return out;
}

}  // namespace

std::string_view senderOfKind(std::string_view kind) {
  if (kind == "license.status" || kind == "license.verification") return "licensing";
  if (kind == "rx.status") return "pharmacy";
  if (kind == "claim.ack" || kind == "claim.status" || kind == "remittance") return "clearinghouse";
  if (kind == "notify.status") return "notify";
  return "";
}

Effects applyEntry(CloudStore& store, const std::string& service, const std::string& boxId,
                   const sync::Header& header, const std::string& payload, std::int64_t nowMs) {
  Object::Ptr p = parseObject(payload);
  if (header.kind == kSkipKind) {
    std::string cancelled = text(*p, "cancelled");
    sync::Header check = header;
    check.id = cancelled;
    try {
      sync::validate(check);
    } catch (const vigil::ValidationError&) {
      invalid("cancelled", "must be an entry id (a UUID)");
    }
    return {};  // takes its seq, applied as nothing
  }
  if (service == "licensing") return licensing(header, *p, nowMs);
  if (service == "pharmacy") return pharmacy(store, boxId, header, *p, nowMs);
  if (service == "clearinghouse") return clearinghouse(header, *p, nowMs);
  if (service == "notify") return notify(store, boxId, header, p, nowMs);
  throw PayloadRefused("unsupported_kind", "no such service");
}

std::vector<Reply> dueReplies(CloudStore& store, const std::string& boxId, std::int64_t nowMs) {
  std::vector<Reply> out;
  for (const auto& rx : store.dueForDispensing(boxId, nowMs - kDispenseAfterMs)) {
    JsonOut reply;
    reply.str("prescriptionId", rx.prescriptionId);
    if (rx.pharmacyId == kOutOfStockPharmacy) {
      store.markDispensed(boxId, rx.entryId, nowMs, "not_filled");
      reply.str("status", "not_filled").str("reason", "out_of_stock");
    } else {
      store.markDispensed(boxId, rx.entryId, nowMs, "filled");
      reply.str("status", "filled");
    }
    out.push_back({"pharmacy", "rx.status", reply.done()});
  }
  return out;
}

}  // namespace vigil::cloudsim
