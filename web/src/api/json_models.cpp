#include "json_models.hpp"

#include "vigil/alerts/alert.hpp"
#include "vigil/alerts/alert_rule.hpp"
#include "vigil/readings/reading_query.hpp"
#include "vigil/registry/registry.hpp"

namespace vigil::web::api {
namespace {

Poco::Dynamic::Var optInt(const std::optional<std::int64_t>& v) {
  if (!v) return Poco::Dynamic::Var();
  return *v;
}

Poco::Dynamic::Var optDouble(const std::optional<double>& v) {
  if (!v) return Poco::Dynamic::Var();
  return *v;
}

}  // namespace

JsonObject patientJson(const registry::Patient& p) {
  auto o = object();
  o->set("id", p.id);
  o->set("mrn", p.mrn);
  o->set("givenName", p.givenName);
  o->set("familyName", p.familyName);
  o->set("birthDate", p.birthDate);
  o->set("timeZone", p.timeZone);
  o->set("active", p.active);
  return o;
}

JsonObject latestJson(const std::string& code, const readings::ReadingPoint& point) {
  auto o = object();
  o->set("readingId", point.readingId);
  o->set("at", iso(point.at));
  o->set("unit", point.unit);
  auto comps = readings::panelComponents(code);
  if (point.values.size() > 1 || !comps.empty()) {
    auto c = object();
    for (std::size_t i = 0; i < point.values.size() && i < comps.size(); ++i)
      c->set(comps[i], optDouble(point.values[i]));
    o->set("components", c);
  } else {
    o->set("value", point.values.empty() ? Poco::Dynamic::Var() : optDouble(point.values[0]));
  }
  o->set("flags", point.flags);
  return o;
}

JsonObject seriesJson(const readings::Series& s, TimePoint from, TimePoint to) {
  auto o = object();
  o->set("code", s.code);
  o->set("unit", s.unit);
  o->set("from", iso(from));
  o->set("to", iso(to));
  o->set("total", static_cast<std::int64_t>(s.total));
  o->set("downsampled", s.downsampled);
  auto comps = array();
  for (const auto& c : s.components) comps->add(c);
  o->set("components", comps);
  auto points = array();
  for (const auto& p : s.points) {
    auto j = object();
    j->set("t", iso(p.at));
    j->set("readingId", p.readingId);
    if (s.components.empty()) {
      j->set("value", p.values.empty() ? Poco::Dynamic::Var() : optDouble(p.values[0]));
    } else {
      auto vals = array();
      for (const auto& v : p.values) vals->add(optDouble(v));
      j->set("values", vals);
    }
    if (!p.flags.empty()) j->set("flags", p.flags);
    points->add(j);
  }
  o->set("points", points);
  return o;
}

JsonObject deviceJson(const registry::Device& d) {
  auto o = object();
  o->set("id", d.id);
  o->set("uid", d.uid);
  o->set("kind", registry::toString(d.kind));
  o->set("model", d.model);
  o->set("serial", d.serial);
  o->set("firmware", d.firmware);
  o->set("credential", d.credential == registry::Credential::password ? "password" : "certificate");
  o->set("status", d.retired ? "retired" : "active");
  o->set("batteryPct", d.batteryPct ? Poco::Dynamic::Var(*d.batteryPct) : Poco::Dynamic::Var());
  o->set("lastSeenAt", isoOrNull(d.lastSeen));
  o->set("createdAt", iso(d.createdAt));
  return o;
}

JsonObject ruleJson(const alerts::AlertRule& r) {
  auto o = object();
  o->set("key", r.key);
  o->set("version", r.version);
  o->set("scope", r.patientId ? "patient" : "default");
  o->set("kind", std::string(alerts::toString(r.kind)));
  o->set("code", r.code);
  o->set("unit", r.unit);
  o->set("comparison", std::string(alerts::toString(r.comparison)));
  auto tiers = array();
  for (const auto& t : r.tiers) {
    auto j = object();
    j->set("severity", std::string(alerts::toString(t.severity)));
    j->set("limit", t.limit);
    tiers->add(j);
  }
  o->set("tiers", tiers);
  o->set("windowSeconds", static_cast<std::int64_t>(r.window.count()));
  o->set("count", r.count);
  o->set("enabled", r.enabled);
  return o;
}

JsonObject alertJson(const alerts::Alert& a, const std::string& patientName) {
  auto o = object();
  o->set("id", a.id);
  o->set("patientId", a.patientId);
  o->set("patientName", patientName);
  o->set("ruleKey", a.ruleKey);
  o->set("ruleVersion", a.ruleVersion);
  o->set("kind", std::string(alerts::toString(a.kind)));
  o->set("code", a.code);
  o->set("severity", std::string(alerts::toString(a.severity)));
  o->set("state", std::string(alerts::toString(a.state)));
  o->set("count", a.count);
  o->set("latestValue", a.latestValue);
  o->set("worstValue", a.worstValue);
  o->set("firstObservedAt", iso(a.firstObservedAt));
  o->set("lastObservedAt", iso(a.lastObservedAt));
  o->set("raisedAt", iso(a.raisedAt));
  o->set("ackDeadline", iso(a.ackDeadline));
  o->set("claimedAt", isoOrNull(a.claimedAt));
  o->set("claimedBy", optInt(a.claimedBy));
  o->set("acknowledgedAt", isoOrNull(a.acknowledgedAt));
  o->set("acknowledgedBy", optInt(a.acknowledgedBy));
  o->set("resolvedAt", isoOrNull(a.resolvedAt));
  o->set("resolvedBy", optInt(a.resolvedBy));
  o->set("escalatedAt", isoOrNull(a.escalatedAt));
  o->set("escalationLevel", a.escalationLevel);
  o->set("assignee", optInt(a.assignee));
  o->set("resolutionNote", a.resolutionNote);
  return o;
}

JsonObject alertEventJson(const alerts::AlertEvent& e) {
  auto o = object();
  o->set("at", iso(e.at));
  o->set("kind", std::string(alerts::toString(e.kind)));
  o->set("actorId", optInt(e.actorId));
  o->set("note", e.note);
  o->set("assignee", optInt(e.assignee));
  return o;
}

void writeAlertMembers(JsonObjectWriter& w, const alerts::Alert& a,
                       const std::string& patientName) {
  // The members of alertJson(), in its order (api_alerts_test compares the two).
  w.integer("id", a.id);
  w.integer("patientId", a.patientId);
  w.string("patientName", patientName);
  w.string("ruleKey", a.ruleKey);
  w.integer("ruleVersion", a.ruleVersion);
  w.string("kind", alerts::toString(a.kind));
  w.string("code", a.code);
  w.string("severity", alerts::toString(a.severity));
  w.string("state", alerts::toString(a.state));
  w.integer("count", a.count);
  w.number("latestValue", a.latestValue);
  w.number("worstValue", a.worstValue);
  w.time("firstObservedAt", a.firstObservedAt);
  w.time("lastObservedAt", a.lastObservedAt);
  w.time("raisedAt", a.raisedAt);
  w.time("ackDeadline", a.ackDeadline);
  w.optionalTime("claimedAt", a.claimedAt);
  w.optionalInteger("claimedBy", a.claimedBy);
  w.optionalTime("acknowledgedAt", a.acknowledgedAt);
  w.optionalInteger("acknowledgedBy", a.acknowledgedBy);
  w.optionalTime("resolvedAt", a.resolvedAt);
  w.optionalInteger("resolvedBy", a.resolvedBy);
  w.optionalTime("escalatedAt", a.escalatedAt);
  w.integer("escalationLevel", a.escalationLevel);
  w.optionalInteger("assignee", a.assignee);
  w.string("resolutionNote", a.resolutionNote);
}

JsonObject pageJson(const JsonArray& items, std::int64_t total, std::int64_t page,
                    std::int64_t pageSize) {
  auto o = object();
  o->set("items", items);
  o->set("total", total);
  o->set("page", page);
  o->set("pageSize", pageSize);
  return o;
}

}  // namespace vigil::web::api
