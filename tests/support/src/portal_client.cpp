#include "vigil/testsupport/portal_client.hpp"

#include <Poco/Exception.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/WebSocket.h>

#include <map>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "vigil/core/clock.hpp"
#include "vigil/patients/consent.hpp"
#include "vigil/registry/registry.hpp"
#include "vigil/security/accounts.hpp"
#include "vigil/security/audit_log.hpp"
#include "vigil/security/keys.hpp"
#include "vigil/security/totp.hpp"
#include "vigil/store/database.hpp"

namespace vigil::testsupport {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

/// TOTP secrets enrolled in this process, by e-mail: a second client of the same user answers
/// the second sign-in step with them, as the user's authenticator app would.
std::mutex secretsMutex;
std::map<std::string, std::string>& secrets() {
  static std::map<std::string, std::string> s;
  return s;
}

Poco::JSON::Object::Ptr parseObject(const std::string& json) {
  try {
    Poco::JSON::Parser parser;
    return parser.parse(json).extract<Poco::JSON::Object::Ptr>();
  } catch (const Poco::Exception&) {
    return nullptr;
  }
}

std::string quoted(const std::string& s) {
  std::ostringstream out;
  Poco::JSON::Stringifier::formatString(s, out);
  return out.str();
}

std::string currentCode(const std::string& secret) {
  return security::totpCode(security::base32Decode(secret), SystemClock::instance().now());
}

}  // namespace

std::string jsonString(const std::string& json, const std::string& key) {
  auto o = parseObject(json);
  if (!o || !o->has(key) || o->isNull(key)) return {};
  return o->getValue<std::string>(key);
}

std::optional<std::int64_t> jsonInt(const std::string& json, const std::string& key) {
  auto o = parseObject(json);
  if (!o || !o->has(key) || o->isNull(key)) return std::nullopt;
  return o->getValue<std::int64_t>(key);
}

std::vector<std::int64_t> seedPortalUsers(const fs::path& dataDir, const fs::path& dbPath,
                                          const std::vector<PortalUser>& users) {
  store::Options o;
  o.path = dbPath;
  return seedPortalUsers(dataDir, o, users);
}

std::vector<std::int64_t> seedPortalUsers(const fs::path& dataDir, store::Options store,
                                          const std::vector<PortalUser>& users) {
  auto& clock = SystemClock::instance();
  store.synchronousFull = false;  // seeding before vigild starts; close() makes it durable
  auto db = store::Database::open(store);
  // Where vigild keeps it by default: beside the data directory (issue 18).
  auto keyDir = fs::path(dataDir.lexically_normal().string() + "-keys");
  fs::create_directories(keyDir);
  fs::permissions(keyDir, fs::perms::owner_all, fs::perm_options::replace);
  auto keys = security::Keys::open(*db, keyDir / "master.key", clock);
  security::AuditLog audit(*keys, clock);
  security::AccountService accounts(*db, *keys, audit, clock);
  security::Actor admin{0, security::Role::admin, std::nullopt};
  std::vector<std::int64_t> ids(users.size(), 0);
  for (std::size_t i = 0; i < users.size() && !admin.id; ++i) {
    if (users[i].role != security::Role::admin) continue;
    admin.id = accounts.bootstrapAdmin({security::Role::admin, users[i].email, users[i].displayName,
                                        std::nullopt, kPortalPassword});
    ids[i] = admin.id;
  }
  if (!admin.id)
    admin.id = accounts.bootstrapAdmin(
        {security::Role::admin, "admin@box.test", "Box Admin", std::nullopt, kPortalPassword});
  for (std::size_t i = 0; i < users.size(); ++i) {
    const auto& u = users[i];
    if (!ids[i])
      ids[i] = accounts.createUser(admin,
                                   {u.role, u.email, u.displayName, u.patientId, kPortalPassword});
    for (auto patient : u.careTeam) accounts.assignCareTeam(admin, ids[i], patient);
  }
  registry::PatientRepository records(*db, keys->cipher(), keys->blindIndex(), clock);
  patients::ConsentService consents(*db, audit, keys->cipher(), records, clock);
  std::optional<patients::ConsentDocument> telehealth;
  for (std::size_t i = 0; i < users.size(); ++i) {
    const auto& u = users[i];
    if (!u.telehealthConsent || u.role != security::Role::patient || !u.patientId) continue;
    if (!telehealth)
      telehealth = consents.publish(admin, {patients::ConsentKind::telehealth, "Telehealth consent",
                                            "I agree to care by video.", false});
    auto record = records.get(*u.patientId);
    if (!record) throw std::runtime_error("seedPortalUsers: no record for a patient user");
    consents.sign({ids[i], security::Role::patient, u.patientId}, *u.patientId,
                  {telehealth->id, telehealth->sha256, record->givenName + " " + record->familyName,
                   true, "127.0.0.1"});
  }
  db->close();
  return ids;
}

EventStream::EventStream(std::unique_ptr<Poco::Net::WebSocket> ws) : ws_(std::move(ws)) {}
EventStream::~EventStream() {
  if (!ws_) return;
  try {
    ws_->shutdown();
  } catch (const Poco::Exception&) {
  }
}

std::optional<std::string> EventStream::next(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  char buf[8192];
  while (!closed_) {
    auto left = std::chrono::duration_cast<std::chrono::microseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left <= 0us) return std::nullopt;
    ws_->setReceiveTimeout(Poco::Timespan(left.count()));
    int flags = 0;
    int n = 0;
    try {
      n = ws_->receiveFrame(buf, static_cast<int>(sizeof buf), flags);
    } catch (const Poco::TimeoutException&) {
      return std::nullopt;
    } catch (const Poco::Exception&) {
      closed_ = true;
      return std::nullopt;
    }
    int op = flags & Poco::Net::WebSocket::FRAME_OP_BITMASK;
    if (n <= 0 || op == Poco::Net::WebSocket::FRAME_OP_CLOSE) {
      closed_ = true;
      return std::nullopt;
    }
    if (op != Poco::Net::WebSocket::FRAME_OP_TEXT) continue;
    std::string text(buf, static_cast<std::size_t>(n));
    if (jsonString(text, "type") == "ping") continue;
    return text;
  }
  return std::nullopt;
}

PortalClient::PortalClient(int port) : port_(port) {}

PortalClient::Reply PortalClient::request(const std::string& method, const std::string& path,
                                          const std::string& body) {
  Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(port_));
  session.setTimeout(Poco::Timespan(30, 0));
  Poco::Net::HTTPRequest req(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
  if (!cookie_.empty()) req.set("Cookie", cookie_);
  if (!csrf_.empty() && method != "GET") req.set("X-CSRF-Token", csrf_);
  if (!body.empty() || method == "POST" || method == "PUT") {
    req.setContentType("application/json");
    req.setContentLength(static_cast<std::streamsize>(body.size()));
  }
  session.sendRequest(req) << body;
  Poco::Net::HTTPResponse resp;
  auto& in = session.receiveResponse(resp);
  std::ostringstream out;
  out << in.rdbuf();
  Reply r{static_cast<int>(resp.getStatus()), out.str()};
  auto cookie = resp.get("Set-Cookie", "");
  if (!cookie.empty()) {
    auto value = cookie.substr(0, cookie.find(';'));
    // A cleared cookie (sign-out) ends this client's session.
    cookie_ = cookie.find("Max-Age=0") == std::string::npos ? value : std::string{};
  }
  return r;
}

void PortalClient::signIn(const std::string& email, const std::string& password) {
  cookie_.clear();
  csrf_.clear();
  auto credentials = "{\"email\":" + quoted(email) + ",\"password\":" + quoted(password);
  auto r = request("POST", "/api/v1/auth/login", credentials + "}");
  auto answer = parseObject(r.body);
  auto status = answer && answer->has("status") ? answer->getValue<std::string>("status") : "";
  auto csrfOf = [](const Poco::JSON::Object::Ptr& o) {
    auto session = o ? o->getObject("session") : nullptr;
    return session && session->has("csrf") ? session->getValue<std::string>("csrf") : "";
  };
  if (status == "mfa_enrolment_required") {
    csrf_ = csrfOf(answer);
    secret_ = answer->getObject("enrolment")->getValue<std::string>("secret");
    auto confirm =
        request("POST", "/api/v1/auth/mfa/confirm", "{\"code\":\"" + currentCode(secret_) + "\"}");
    if (confirm.status != 200)
      throw std::runtime_error("TOTP enrolment failed: " + std::to_string(confirm.status) + " " +
                               confirm.body);
    std::lock_guard lock(secretsMutex);
    secrets()[email] = secret_;
    return;
  }
  if (status == "mfa_required") {
    {
      std::lock_guard lock(secretsMutex);
      auto it = secrets().find(email);
      if (it == secrets().end())
        throw std::runtime_error("second step asked but no TOTP secret known for this user");
      secret_ = it->second;
    }
    // A code is accepted once per user: on a refusal (a code of this 30 s step already used by
    // another sign-in) wait for the next step and answer again.
    for (int attempt = 0; attempt < 2 && status != "ok"; ++attempt) {
      if (attempt) {
        auto now = std::chrono::system_clock::now().time_since_epoch();
        std::this_thread::sleep_for(30s - now % 30s + 200ms);
      }
      r = request("POST", "/api/v1/auth/mfa",
                  credentials + ",\"code\":\"" + currentCode(secret_) + "\"}");
      answer = parseObject(r.body);
      status = answer && answer->has("status") ? answer->getValue<std::string>("status") : "";
    }
  }
  if (status != "ok")
    throw std::runtime_error("sign-in failed: " + std::to_string(r.status) + " " + r.body);
  csrf_ = csrfOf(answer);
}

std::unique_ptr<EventStream> PortalClient::openEvents() const {
  Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(port_));
  session.setTimeout(Poco::Timespan(30, 0));
  Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_GET, "/api/v1/events?csrf=" + csrf_,
                             Poco::Net::HTTPMessage::HTTP_1_1);
  req.set("Cookie", cookie_);
  req.set("Origin", "http://127.0.0.1:" + std::to_string(port_));
  Poco::Net::HTTPResponse resp;
  std::unique_ptr<Poco::Net::WebSocket> ws;
  try {
    ws = std::make_unique<Poco::Net::WebSocket>(session, req, resp);
  } catch (const Poco::Net::WebSocketException& e) {
    throw std::runtime_error("event stream refused: " + std::to_string(resp.getStatus()) + " " +
                             e.displayText());
  }
  auto stream = std::make_unique<EventStream>(std::move(ws));
  auto hello = stream->next(10s);
  if (!hello || jsonString(*hello, "type") != "hello")
    throw std::runtime_error("event stream: no hello");
  return stream;
}

}  // namespace vigil::testsupport
