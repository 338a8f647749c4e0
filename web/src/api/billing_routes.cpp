// RPM billing (issue 24, docs/billing.md): the month-end review, approvals into claims, the
// minutes ledger on the patient page, the fee schedule and the claims list. The gate checks the
// route's operation (and step-up for billing.approve) and audits the request; billing::
// BillingService authorises again and audits what it reads or writes in the same transaction.
//
// Refusals: a span overlapping another of the same clinician 409 time_overlap (with the other
// entry's id), the ledger's and claims' states 409 with their code (timer_running, no_timer,
// deleted, video_entry, not_approvable, bad_transition), a malformed month 400. URLs carry ids
// and months only.

#include <map>

#include "common.hpp"
#include "vigil/billing/billing.hpp"
#include "vigil/core/error.hpp"
#include "vigil/registry/registry.hpp"
#include "vigil/security/accounts.hpp"

namespace vigil::web::api {
namespace {

std::string breakGlassOf(const Request& req) {
  return req.header("x-break-glass-reason").substr(0, 200);
}

Handler billingGuarded(Handler h) {
  return guarded([h = std::move(h)](Request& req) -> Response {
    try {
      return h(req);
    } catch (const billing::TimeOverlap& e) {
      auto o = object();
      o->set("error", "time_overlap");
      o->set("message", std::string(e.what()));
      o->set("otherEntry", e.otherEntry());
      return jsonResponse(409, o);
    } catch (const billing::BillingConflict& e) {
      return Response::error(409, e.code(), e.what());
    }
  });
}

std::chrono::year_month monthOf(const Request& req) {
  auto it = req.query.find("month");
  if (it == req.query.end()) throw BadRequest("month: required (YYYY-MM)");
  auto m = billing::parseMonth(it->second);
  if (!m) throw BadRequest("month: YYYY-MM");
  return *m;
}

std::chrono::year_month monthIn(const JsonObject& body) {
  auto m = billing::parseMonth(requireString(body, "month", 7));
  if (!m) throw BadRequest("month: YYYY-MM");
  return *m;
}

/// Staff display names for one response (never a patient's account name).
class StaffNames {
 public:
  explicit StaffNames(const ApiServices& s) : s_(s) {}
  Poco::Dynamic::Var operator()(std::optional<std::int64_t> id) {
    if (!id || !s_.accounts) return Poco::Dynamic::Var();
    auto it = names_.find(*id);
    if (it == names_.end()) {
      auto u = s_.accounts->findUser(*id);
      it = names_
               .emplace(*id,
                        u && u->role != security::Role::patient ? u->displayName : std::string{})
               .first;
    }
    if (it->second.empty()) return Poco::Dynamic::Var();
    return it->second;
  }

 private:
  const ApiServices& s_;
  std::map<std::int64_t, std::string> names_;
};

JsonArray strings(const std::vector<std::string>& list) {
  auto a = array();
  for (const auto& x : list) a->add(x);
  return a;
}

Poco::Dynamic::Var optText(const std::optional<std::string>& s) {
  return s ? Poco::Dynamic::Var(*s) : Poco::Dynamic::Var();
}

Poco::Dynamic::Var optId(const std::optional<std::int64_t>& id) {
  return id ? Poco::Dynamic::Var(*id) : Poco::Dynamic::Var();
}

JsonObject lineJson(const std::string& code, int units, const std::string& date,
                    const std::string& pos, const std::string& modifiers, std::int64_t cents) {
  auto o = object();
  o->set("code", code);
  o->set("units", units);
  o->set("serviceDate", date);
  o->set("placeOfService", pos);
  o->set("modifiers", modifiers);
  o->set("chargeCents", cents);
  return o;
}

JsonObject patientMonthJson(const billing::PatientMonth& m, StaffNames& staff,
                            const std::map<std::int64_t, std::string>& names) {
  auto o = object();
  o->set("patientId", m.patientId);
  if (auto it = names.find(m.patientId); it != names.end()) o->set("patientName", it->second);
  o->set("timeZone", m.timeZone);
  auto periods = array();
  for (const auto& p : m.periods) {
    auto po = object();
    po->set("first", billing::formatDay(p.period.first));
    po->set("last", billing::formatDay(p.period.last));
    po->set("dayCount", static_cast<std::int64_t>(p.days.size()));
    po->set("days", strings(p.days));
    po->set("code", optText(p.code));
    po->set("complete", p.complete);
    po->set("setup", p.setup);
    periods->add(po);
  }
  o->set("periods", periods);
  o->set("minutes", m.minutes);
  auto by = array();
  for (const auto& c : m.minutesBy) {
    auto co = object();
    co->set("clinicianId", c.clinicianId);
    co->set("name", staff(c.clinicianId));
    co->set("minutes", c.minutes);
    by->add(co);
  }
  o->set("minutesBy", by);
  o->set("interactiveContact", optText(m.interactiveContact));
  o->set("diagnosisCodes", strings(m.diagnosisCodes));
  o->set("billingProviderId", optId(m.billingProviderId));
  o->set("billingProviderName", staff(m.billingProviderId));
  o->set("billingNpi", optText(m.billingNpi));
  auto lines = array();
  std::int64_t total = 0;
  for (const auto& l : m.lines) {
    lines->add(
        lineJson(l.code, l.units, l.serviceDate, l.placeOfService, l.modifiers, l.chargeCents));
    total += l.chargeCents;
  }
  o->set("lines", lines);
  o->set("totalCents", total);
  o->set("exceptions", strings(m.exceptions));
  o->set("approvable", m.approvable());
  o->set("claimId", optId(m.claimId));
  o->set("claimStatus", optText(m.claimStatus));
  return o;
}

JsonObject reviewJson(const ApiServices& s, const billing::MonthReview& r) {
  StaffNames staff(s);
  std::map<std::int64_t, std::string> names;
  if (s.patients) {
    std::vector<std::int64_t> ids;
    for (const auto& m : r.patients) ids.push_back(m.patientId);
    for (const auto& v : r.visits) ids.push_back(v.patientId);
    names = s.patients->displayNames(ids);
  }
  auto o = object();
  o->set("month", r.month);
  auto patients = array();
  for (const auto& m : r.patients) patients->add(patientMonthJson(m, staff, names));
  o->set("patients", patients);
  auto visits = array();
  for (const auto& v : r.visits) {
    auto vo = object();
    vo->set("visitId", v.visitId);
    vo->set("patientId", v.patientId);
    if (auto it = names.find(v.patientId); it != names.end()) vo->set("patientName", it->second);
    vo->set("providerId", v.providerId);
    vo->set("providerName", staff(v.providerId));
    vo->set("date", v.date);
    vo->set("minutes", v.minutes);
    vo->set("npi", optText(v.npi));
    vo->set("insured", v.insured);
    vo->set("claimId", optId(v.claimId));
    visits->add(vo);
  }
  o->set("visits", visits);
  return o;
}

JsonObject entryJson(const billing::TimeEntry& e, StaffNames& staff) {
  auto o = object();
  o->set("id", e.id);
  o->set("patientId", e.patientId);
  o->set("clinicianId", e.clinicianId);
  o->set("clinicianName", staff(e.clinicianId));
  o->set("startedAt", iso(e.startedAt));
  o->set("endedAt", isoOrNull(e.endedAt));
  o->set("minutes", e.minutes());
  o->set("source", std::string(billing::toString(e.source)));
  o->set("interactive", e.interactive);
  o->set("reason", optText(e.reason));
  o->set("visitId", optId(e.visitId));
  o->set("deletedAt", isoOrNull(e.deletedAt));
  o->set("revisions", e.revisions);
  return o;
}

Response oneEntry(const ApiServices& s, int status, const billing::TimeEntry& e) {
  StaffNames staff(s);
  return jsonResponse(status, entryJson(e, staff));
}

billing::TimeInput timeInput(const Request& req) {
  auto body = parseBody(req);
  auto from = parseTime(requireString(body, "startedAt", 40));
  auto to = parseTime(requireString(body, "endedAt", 40));
  if (!from) throw BadRequest("startedAt: RFC 3339 time");
  if (!to) throw BadRequest("endedAt: RFC 3339 time");
  billing::TimeInput in;
  in.startedAt = *from;
  in.endedAt = *to;
  in.interactive = body->has("interactive") && body->getValue<bool>("interactive");
  in.reason = optionalString(body, "reason", 40);
  return in;
}

JsonObject claimJson(const billing::Claim& k, const std::map<std::int64_t, std::string>& names) {
  auto o = object();
  o->set("id", k.id);
  o->set("patientId", k.patientId);
  if (auto it = names.find(k.patientId); it != names.end()) o->set("patientName", it->second);
  o->set("kind", k.kind);
  o->set("serviceMonth", optText(k.serviceMonth));
  o->set("visitId", optId(k.visitId));
  o->set("billingNpi", k.billingNpi);
  o->set("renderingNpi", k.renderingNpi);
  o->set("diagnosisCodes", strings(k.diagnosisCodes));
  o->set("totalCents", k.totalCents);
  o->set("status", std::string(billing::toString(k.status)));
  o->set("statusDetail", optText(k.statusDetail));
  o->set("approvedAt", iso(k.approvedAt));
  o->set("paidCents", k.paidCents);
  auto lines = array();
  for (const auto& l : k.lines) {
    std::string mods;
    for (const auto& m : l.modifiers) mods += (mods.empty() ? "" : ",") + m;
    lines->add(lineJson(l.code, l.units, l.serviceDate, l.placeOfService, mods, l.chargeCents));
  }
  o->set("lines", lines);
  return o;
}

JsonObject claimDetailJson(const billing::ClaimDetail& d,
                           const std::vector<billing::BillingService::StatusEvent>& history) {
  auto o = object();
  o->set("id", d.claimId);
  o->set("status", d.status);
  o->set("paidCents", d.paidCents);
  o->set("patientResponsibilityCents", d.patientResponsibilityCents);
  auto events = array();
  for (const auto& e : history) {
    auto eo = object();
    eo->set("status", e.status);
    eo->set("detail", e.detail);
    eo->set("source", e.source);
    eo->set("applied", e.applied);
    eo->set("at", iso(e.at));
    events->add(eo);
  }
  o->set("history", events);
  auto sendings = array();
  for (const auto& x : d.sendings) {
    auto so = object();
    so->set("batch", x.batch);
    so->set("patientControl", x.patientControl);
    so->set("submittedAt", iso(x.submittedAt));
    so->set("ackCode", optText(x.ackCode));
    sendings->add(so);
  }
  o->set("sendings", sendings);
  auto postings = array();
  for (const auto& p : d.postings) {
    auto po = object();
    po->set("traceNumber", p.traceNumber);
    po->set("payerName", p.payerName);
    po->set("paymentDate", p.paymentDate);
    po->set("statusCode", p.statusCode);
    po->set("outcome", p.outcome);
    po->set("chargeCents", p.chargeCents);
    po->set("paidCents", p.paidCents);
    po->set("patientResponsibilityCents", p.patientResponsibilityCents);
    po->set("payerClaimControl", p.payerClaimControl);
    po->set("balanced", p.balanced);
    po->set("postedAt", iso(p.postedAt));
    auto lines = array();
    for (const auto& l : p.lines) {
      auto lo = object();
      lo->set("lineNo", l.lineNo ? Poco::Dynamic::Var(*l.lineNo) : Poco::Dynamic::Var());
      lo->set("procedureCode", l.procedureCode);
      lo->set("chargeCents", l.chargeCents);
      lo->set("paidCents", l.paidCents);
      lo->set("units", l.units);
      lines->add(lo);
    }
    po->set("lines", lines);
    auto adjustments = array();
    for (const auto& a : p.adjustments) {
      auto ao = object();
      ao->set("level", a.lineNo ? "line" : "claim");
      ao->set("lineNo", a.lineNo ? Poco::Dynamic::Var(*a.lineNo) : Poco::Dynamic::Var());
      ao->set("group", a.group);
      ao->set("reason", a.reason);
      ao->set("amountCents", a.amountCents);
      adjustments->add(ao);
    }
    po->set("adjustments", adjustments);
    postings->add(po);
  }
  o->set("postings", postings);
  return o;
}

JsonObject claimsReportJson(const billing::ClaimsReport& r) {
  auto o = object();
  auto statuses = array();
  for (const auto& s : r.byStatus) {
    auto so = object();
    so->set("status", s.status);
    so->set("claims", s.claims);
    so->set("chargeCents", s.chargeCents);
    statuses->add(so);
  }
  o->set("byStatus", statuses);
  auto denials = array();
  for (const auto& d : r.denialReasons) {
    auto dobj = object();
    dobj->set("group", d.group);
    dobj->set("reason", d.reason);
    dobj->set("claims", d.claims);
    dobj->set("amountCents", d.amountCents);
    denials->add(dobj);
  }
  o->set("denialReasons", denials);
  auto days = [](const std::optional<double>& v) {
    return v ? Poco::Dynamic::Var(*v) : Poco::Dynamic::Var();
  };
  auto payment = object();
  payment->set("paidClaims", r.paidClaims);
  payment->set("averageDays", days(r.averageDaysToPayment));
  payment->set("medianDays", days(r.medianDaysToPayment));
  payment->set("maxDays", days(r.maxDaysToPayment));
  o->set("daysToPayment", payment);
  auto months = array();
  for (const auto& m : r.months) {
    auto mo = object();
    mo->set("month", m.month);
    mo->set("claims", m.claims);
    mo->set("chargeCents", m.chargeCents);
    mo->set("paidCents", m.paidCents);
    mo->set("denied", m.denied);
    mo->set("averageDaysToPayment", days(m.averageDaysToPayment));
    months->add(mo);
  }
  o->set("months", months);
  auto enrolment = array();
  for (const auto& m : r.enrolment) {
    auto mo = object();
    mo->set("month", m.month);
    mo->set("enrolled", m.enrolled);
    mo->set("claimed", m.claimed);
    enrolment->add(mo);
  }
  o->set("enrolment", enrolment);
  o->set("unbalancedRemittances", r.unbalancedRemittances);
  o->set("unmatchedPayments", r.unmatchedPayments);
  return o;
}

/// Approved claim lines per month and code (the page's bar chart): units summed.
JsonObject codeCounts(const std::vector<billing::Claim>& claims) {
  std::map<std::string, std::map<std::string, std::int64_t>> byMonth;
  for (const auto& k : claims)
    for (const auto& l : k.lines) {
      const auto month = k.serviceMonth.value_or(l.serviceDate.substr(0, 7));
      byMonth[month][l.code] += l.units;
    }
  auto months = array();
  for (const auto& [month, codes] : byMonth) {
    auto mo = object();
    mo->set("month", month);
    auto co = object();
    for (const auto& [code, n] : codes) co->set(code, n);
    mo->set("codes", co);
    months->add(mo);
  }
  auto o = object();
  o->set("months", months);
  return o;
}

void addLedgerRoutes(Router& r, const ApiServices& s) {
  r.add({"GET", "/api/v1/patients/{id}/billing-time", Access::authenticated, "billing_time.list",
         billingGuarded([&s](Request& req) {
           StaffNames staff(s);
           auto items = array();
           for (const auto& e :
                s.billing->entries(*req.actor, pathId(req, "id"), monthOf(req), breakGlassOf(req)))
             items->add(entryJson(e, staff));
           auto o = object();
           o->set("items", items);
           auto running = s.billing->runningTimer(*req.actor);
           o->set("runningTimer",
                  running ? Poco::Dynamic::Var(entryJson(*running, staff)) : Poco::Dynamic::Var());
           return jsonResponse(200, o);
         }),
         "", "id"});
  r.add({"POST", "/api/v1/patients/{id}/billing-time/timer/start", Access::authenticated,
         "billing_time.record", billingGuarded([&s](Request& req) {
           return oneEntry(s, 201,
                           s.billing->startTimer(*req.actor, pathId(req, "id"), breakGlassOf(req)));
         }),
         "", "id"});
  r.add({"POST", "/api/v1/patients/{id}/billing-time/timer/stop", Access::authenticated,
         "billing_time.record", billingGuarded([&s](Request& req) {
           return oneEntry(s, 200,
                           s.billing->stopTimer(*req.actor, pathId(req, "id"), breakGlassOf(req)));
         }),
         "", "id"});
  r.add({"POST", "/api/v1/patients/{id}/billing-time", Access::authenticated, "billing_time.record",
         billingGuarded([&s](Request& req) {
           return oneEntry(s, 201,
                           s.billing->addManual(*req.actor, pathId(req, "id"), timeInput(req),
                                                breakGlassOf(req)));
         }),
         "", "id"});
  r.add({"PUT", "/api/v1/patients/{id}/billing-time/{entryId}", Access::authenticated,
         "billing_time.edit", billingGuarded([&s](Request& req) {
           return oneEntry(s, 200,
                           s.billing->edit(*req.actor, pathId(req, "id"), pathId(req, "entryId"),
                                           timeInput(req), breakGlassOf(req)));
         }),
         "", "id"});
  r.add({"DELETE", "/api/v1/patients/{id}/billing-time/{entryId}", Access::authenticated,
         "billing_time.edit", billingGuarded([&s](Request& req) {
           return oneEntry(s, 200,
                           s.billing->remove(*req.actor, pathId(req, "id"), pathId(req, "entryId"),
                                             breakGlassOf(req)));
         }),
         "", "id"});
}

}  // namespace

void addBillingRoutes(Router& r, const ApiServices& s) {
  addLedgerRoutes(r, s);
  r.add({"GET", "/api/v1/billing/review", Access::authenticated, "billing.review",
         billingGuarded([&s](Request& req) {
           return jsonResponse(200, reviewJson(s, s.billing->review(*req.actor, monthOf(req))));
         })});
  r.add({"POST", "/api/v1/billing/patients/{id}/approve", Access::authenticated, "billing.approve",
         billingGuarded([&s](Request& req) {
           auto a = s.billing->approveMonth(*req.actor, pathId(req, "id"), monthIn(parseBody(req)),
                                            breakGlassOf(req));
           auto o = object();
           o->set("claimId", a.claimId);
           o->set("created", a.created);
           return jsonResponse(a.created ? 201 : 200, o);
         }),
         "", "id"});
  r.add({"POST", "/api/v1/billing/visits/{visitId}/approve", Access::authenticated,
         "billing.approve", billingGuarded([&s](Request& req) {
           auto body = parseBody(req);
           std::vector<std::string> dx;
           if (body->has("diagnosisCodes")) {
             auto list = body->getArray("diagnosisCodes");
             if (!list) throw BadRequest("diagnosisCodes: a list");
             for (std::size_t i = 0; i < list->size() && i < 13; ++i)
               dx.push_back(list->getElement<std::string>(static_cast<unsigned>(i)));
           }
           auto a = s.billing->approveVisit(*req.actor, pathId(req, "visitId"),
                                            requireString(body, "emCode", 5), dx);
           auto o = object();
           o->set("claimId", a.claimId);
           o->set("created", a.created);
           return jsonResponse(a.created ? 201 : 200, o);
         })});
  r.add({"GET", "/api/v1/billing/claims", Access::authenticated, "claim.list",
         billingGuarded([&s](Request& req) {
           std::optional<std::chrono::year_month> month;
           if (req.query.count("month")) month = monthOf(req);
           auto list = s.billing->claims(*req.actor, month);
           std::map<std::int64_t, std::string> names;
           if (s.patients) {
             std::vector<std::int64_t> ids;
             for (const auto& k : list) ids.push_back(k.patientId);
             names = s.patients->displayNames(ids);
           }
           auto items = array();
           for (const auto& k : list) items->add(claimJson(k, names));
           auto o = codeCounts(list);
           o->set("items", items);
           return jsonResponse(200, o);
         })});
  r.add({"GET", "/api/v1/billing/claims/{id}", Access::authenticated, "claim.list",
         billingGuarded([&s](Request& req) {
           const auto id = pathId(req, "id");
           auto d = s.billing->claimDetail(*req.actor, id);
           return jsonResponse(200, claimDetailJson(d, s.billing->claimHistory(*req.actor, id)));
         })});
  // Sends the approved claims now (what the periodic step does every
  // billing.submit_interval_seconds); 409 not_sent with the reason when nothing can go.
  r.add({"POST", "/api/v1/billing/claims/submit", Access::authenticated, "claim.submit",
         billingGuarded([&s](Request& req) {
           auto run = s.billing->submitApproved(*req.actor, s.link);
           if (!run.skipped.empty())
             return Response::error(409, "not_sent", "claims not sent: " + run.skipped);
           auto o = object();
           auto batches = array();
           std::int64_t claims = 0;
           for (const auto& b : run.batches) {
             auto bo = object();
             bo->set("batch", b.batch);
             bo->set("claims", static_cast<std::int64_t>(b.claimIds.size()));
             bo->set("totalCents", b.totalCents);
             batches->add(bo);
             claims += static_cast<std::int64_t>(b.claimIds.size());
           }
           o->set("batches", batches);
           o->set("claimsSent", claims);
           auto notSent = array();
           for (const auto& [id, why] : run.notSent) {
             auto no = object();
             no->set("claimId", id);
             no->set("reason", why);
             notSent->add(no);
           }
           o->set("notSent", notSent);
           return jsonResponse(200, o);
         })});
  r.add({"GET", "/api/v1/billing/reports/claims", Access::authenticated, "billing.report",
         billingGuarded([&s](Request& req) {
           return jsonResponse(200, claimsReportJson(s.billing->claimsReport(*req.actor)));
         })});
  r.add({"GET", "/api/v1/billing/fee-schedule", Access::authenticated, "fee_schedule.read",
         billingGuarded([&s](Request& req) {
           auto items = array();
           for (const auto& f : s.billing->feeSchedule(*req.actor)) {
             auto fo = object();
             fo->set("code", f.code);
             fo->set("description", f.description);
             fo->set("chargeCents", f.chargeCents);
             fo->set("updatedAt", isoOrNull(f.updatedAt));
             items->add(fo);
           }
           auto o = object();
           o->set("items", items);
           return jsonResponse(200, o);
         })});
  r.add({"PUT", "/api/v1/billing/fee-schedule/{code}", Access::authenticated, "fee_schedule.set",
         billingGuarded([&s](Request& req) {
           const auto code = req.params.at("code");
           if (code.size() != 5) throw BadRequest("code: five characters");
           s.billing->setFee(*req.actor, code, requireInt(parseBody(req), "chargeCents"));
           return noContent();
         })});
}

}  // namespace vigil::web::api
