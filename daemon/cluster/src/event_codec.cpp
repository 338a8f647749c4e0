// Events to NOTIFY payloads and back (event_codec.hpp).

#include "vigil/cluster/event_codec.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <sstream>
#include <type_traits>

namespace vigil::cluster {

namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

void putOptional(Object& o, const char* key, const std::optional<std::int64_t>& v) {
  if (v) o.set(key, *v);
}

Object::Ptr toJson(const events::Event& event) {
  Object::Ptr o = new Object;
  std::visit(
      [&](const auto& e) {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, events::ReadingStored>) {
          o->set("t", "reading_stored");
          o->set("patient", e.patientId);
          o->set("reading", e.readingId);
          o->set("code", e.code);
        } else if constexpr (std::is_same_v<T, events::AlertRaised>) {
          o->set("t", "alert_raised");
          o->set("alert", e.alertId);
          o->set("patient", e.patientId);
          o->set("rule", e.ruleKey);
          o->set("severity", e.severity);
          putOptional(*o, "assignee", e.assignee);
        } else if constexpr (std::is_same_v<T, events::AlertChanged>) {
          o->set("t", "alert_changed");
          o->set("alert", e.alertId);
          o->set("patient", e.patientId);
          o->set("rule", e.ruleKey);
          o->set("change", e.change);
          o->set("state", e.state);
          o->set("severity", e.severity);
          o->set("count", e.count);
          putOptional(*o, "assignee", e.assignee);
          o->set("level", e.escalationLevel);
          putOptional(*o, "previous", e.previousAssignee);
        } else if constexpr (std::is_same_v<T, events::WorkChanged>) {
          o->set("t", "work_changed");
          o->set("patient", e.patientId);
          o->set("area", e.area);
        } else if constexpr (std::is_same_v<T, events::OnDemandChanged>) {
          o->set("t", "ondemand_changed");
          o->set("patient", e.patientId);
          o->set("request", e.requestId);
          putOptional(*o, "provider", e.providerUserId);
          putOptional(*o, "previous", e.previousProviderUserId);
          o->set("state", e.state);
        }
      },
      event);
  return o;
}

std::string stringify(const Object& o) {
  std::ostringstream out;
  o.stringify(out);
  return out.str();
}

std::int64_t int64(const Object& o, const char* key) {
  return o.getValue<Poco::Int64>(key);
}

std::optional<std::int64_t> optionalInt64(const Object& o, const char* key) {
  if (!o.has(key) || o.isNull(key)) return std::nullopt;
  return o.getValue<Poco::Int64>(key);
}

std::optional<events::Event> fromJson(const Object& o) {
  const auto t = o.getValue<std::string>("t");
  if (t == "reading_stored")
    return events::ReadingStored{int64(o, "patient"), int64(o, "reading"),
                                 o.getValue<std::string>("code")};
  if (t == "alert_raised")
    return events::AlertRaised{int64(o, "alert"), int64(o, "patient"),
                               o.getValue<std::string>("rule"), o.getValue<std::string>("severity"),
                               optionalInt64(o, "assignee")};
  if (t == "alert_changed")
    return events::AlertChanged{int64(o, "alert"),
                                int64(o, "patient"),
                                o.getValue<std::string>("rule"),
                                o.getValue<std::string>("change"),
                                o.getValue<std::string>("state"),
                                o.getValue<std::string>("severity"),
                                int64(o, "count"),
                                optionalInt64(o, "assignee"),
                                o.getValue<int>("level"),
                                optionalInt64(o, "previous")};
  if (t == "work_changed")
    return events::WorkChanged{int64(o, "patient"), o.getValue<std::string>("area")};
  if (t == "ondemand_changed")
    return events::OnDemandChanged{int64(o, "patient"), int64(o, "request"),
                                   optionalInt64(o, "provider"), optionalInt64(o, "previous"),
                                   o.getValue<std::string>("state")};
  return std::nullopt;  // a newer node's event type
}

}  // namespace

std::vector<std::string> encodeEvents(const std::string& node,
                                      const std::vector<events::Event>& events,
                                      std::size_t maxBytes) {
  std::vector<std::string> payloads;
  Object head;
  head.set("node", node);
  std::string prefix = stringify(head);  // {"node":"a"}
  prefix.pop_back();
  prefix += ",\"events\":[";
  std::string current;
  for (const auto& e : events) {
    std::string one = stringify(*toJson(e));
    if (!current.empty() && prefix.size() + current.size() + 1 + one.size() + 2 > maxBytes) {
      payloads.push_back(prefix + current + "]}");
      current.clear();
    }
    if (!current.empty()) current += ',';
    current += one;
  }
  if (!current.empty()) payloads.push_back(prefix + current + "]}");
  return payloads;
}

std::string encodeResync(const std::string& node) {
  Object o;
  o.set("node", node);
  o.set("resync", true);
  return stringify(o);
}

std::optional<RelayMessage> decodeEvents(std::string_view payload) {
  try {
    Poco::JSON::Parser parser;
    auto root = parser.parse(std::string(payload)).extract<Object::Ptr>();
    if (!root || !root->has("node")) return std::nullopt;
    RelayMessage m;
    m.node = root->getValue<std::string>("node");
    if (root->has("resync")) m.resync = root->getValue<bool>("resync");
    if (auto list = root->getArray("events")) {
      for (std::size_t i = 0; i < list->size(); ++i) {
        auto item = list->getObject(static_cast<unsigned>(i));
        if (!item) return std::nullopt;
        if (auto e = fromJson(*item)) m.events.push_back(std::move(*e));
      }
    } else if (!m.resync) {
      return std::nullopt;
    }
    return m;
  } catch (const Poco::Exception&) {
    return std::nullopt;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

}  // namespace vigil::cluster
