// The API server for the web benchmark: a store (synchronous=FULL, as in production) seeded
// with `patients` patients, one open alert each, a provider on every care team, and the
// portal's static files; HTTPS with the given certificate. Writes "<port> <cookie>" to the
// port file once serving, then serves until SIGINT/SIGTERM. Every request goes through the
// whole gate: session lookup (read at most security.decision_cache_ms before, 2 s), access check,
// audit entry (a write, committed with the others queued beside it before the answer is sent).
//
//   bench_web_api <dir> <cert.pem> <key.pem> <port-file> [patients=50] [threads=64]

#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include "vigil/alerts/alert_lifecycle.hpp"
#include "vigil/alerts/alert_repository.hpp"
#include "vigil/alerts/rule_set.hpp"
#include "vigil/core/clock.hpp"
#include "vigil/core/log.hpp"
#include "vigil/events/event_bus.hpp"
#include "vigil/readings/reading_query.hpp"
#include "vigil/registry/registry.hpp"
#include "vigil/security/accounts.hpp"
#include "vigil/security/audit_log.hpp"
#include "vigil/security/keys.hpp"
#include "vigil/security/totp.hpp"
#include "vigil/store/database.hpp"
#include "vigil/web/api.hpp"
#include "vigil/web/static_files.hpp"

using namespace vigil;

namespace {
volatile sig_atomic_t stopRequested = 0;
void onSignal(int) {
  stopRequested = 1;
}
}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::cerr << "usage: bench_web_api <dir> <cert.pem> <key.pem> <port-file> [patients] "
                 "[threads]\n";
    return 64;
  }
  std::filesystem::path dir = argv[1];
  int patientCount = argc > 5 ? std::stoi(argv[5]) : 50;
  int threads = argc > 6 ? std::stoi(argv[6]) : 64;
  log::setLevel(log::Level::warn);
  auto& clock = SystemClock::instance();
  store::Options o;
  o.path = dir / "vigil.db";
  auto db = store::Database::open(o);
  auto keys = security::Keys::open(*db, (dir / "master.key").string(), clock);
  security::AuditLog audit(*keys, clock);
  security::AccountService accounts(*db, *keys, audit, clock);
  registry::PatientRepository patients(*db, keys->cipher(), keys->blindIndex(), clock);
  registry::DeviceRegistry devices(*db, clock);
  readings::ReadingQuery readings(*db);
  events::EventBus bus;
  alerts::RuleSet rules(clock);
  alerts::AlertRepository alertStore(*db, keys->cipher());
  alerts::AlertLifecycle lifecycle(clock, alerts::EscalationPolicy{}, &bus);
  lifecycle.setJournal(&alertStore);

  const std::string password = "Vigil-bench-passphrase-2026";
  security::Actor admin{0, security::Role::admin, std::nullopt};
  admin.id = accounts.bootstrapAdmin(
      {security::Role::admin, "admin@bench.example", "Admin", std::nullopt, password});
  auto provider = accounts.createUser(
      admin, {security::Role::provider, "dr@bench.example", "Dr. Bench", std::nullopt, password});
  for (int i = 0; i < patientCount; ++i) {
    auto id = patients.create({0,
                               "MRN-" + std::to_string(i),
                               "Given" + std::to_string(i),
                               "Family",
                               "1950-01-01",
                               "UTC",
                               "",
                               {},
                               true});
    accounts.assignCareTeam(admin, provider, id);
    alerts::Breach b;
    b.patientId = id;
    b.ruleKey = "bp.systolic.high";
    b.ruleVersion = 1;
    b.code = "8480-6";
    b.severity = i % 5 == 0 ? alerts::Severity::critical : alerts::Severity::high;
    b.value = 170 + i % 20;
    b.readingId = i + 1;
    b.observedAt = clock.now();
    lifecycle.recordBreaches(std::span<const alerts::Breach>(&b, 1), clock.now());
  }
  // A provider session with TOTP enrolled, as the portal would have.
  auto first = accounts.signIn("dr@bench.example", password);
  auto enrol = accounts.beginTotpEnrolment(first.token);
  auto secret = security::base32Decode(enrol.secretBase32);
  accounts.confirmTotpEnrolment(first.token, security::totpCode(secret, clock.now()));

  web::ApiServices s;
  s.db = db.get();
  s.accounts = &accounts;
  s.audit = &audit;
  s.clock = &clock;
  s.patients = &patients;
  s.devices = &devices;
  s.readings = &readings;
  s.alerts = &lifecycle;
  s.alertStore = &alertStore;
  s.rules = &rules;
  s.events = &bus;
  auto router = std::make_shared<web::Router>();
  web::addStaticRoutes(*router, VIGIL_PORTAL_DIR);
  web::addApiRoutes(*router, s);
  web::ServerOptions so;
  so.threads = threads;
  so.tlsCertFile = argv[2];
  so.tlsKeyFile = argv[3];
  web::HttpServer server(so, router, web::makeApiGate(s));
  server.start();
  {
    std::ofstream out(argv[4]);
    out << server.port() << " " << web::sessionCookieName(true) << "=" << first.token << "\n";
  }
  signal(SIGINT, onSignal);
  signal(SIGTERM, onSignal);
  while (!stopRequested) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  server.stop();
  alertStore.flush();
  db->close();
  return 0;
}
