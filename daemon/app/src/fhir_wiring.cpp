// The FHIR API's wiring (issue 26): the server over the record export and the registry, and
// its Observation create handed to the running ingest pipeline, waiting for the commit.

#include <atomic>
#include <future>
#include <memory>

#include "api_wiring.hpp"
#include "ingest_subsystem.hpp"
#include "security_subsystem.hpp"
#include "vigil/fhir/server.hpp"
#include "vigil/fhir/smart_clients.hpp"

namespace vigil::app {
namespace {

/// How long a FHIR create waits for its reading's commit before answering 503 (the client
/// sends it again; the second copy is a duplicate if the first was stored meanwhile).
constexpr std::chrono::seconds kIntakeWait{10};

fhir::IntakeOutcome intakeThrough(IngestSubsystem* subsystem, Clock& clock, const std::string& uid,
                                  const std::string& payload) {
  using K = fhir::IntakeOutcome::Kind;
  auto* service = subsystem ? subsystem->service() : nullptr;
  if (service == nullptr) return {K::unavailable, "", {}};
  auto promise = std::make_shared<std::promise<ingest::MessageOutcome>>();
  auto done = std::make_shared<std::atomic<bool>>(false);
  auto future = promise->get_future();
  ingest::IncomingMessage message{"vigil/v1/devices/" + uid + "/readings", payload, clock.now(),
                                  "fhir", true};
  message.onDone = [promise, done](const ingest::MessageOutcome& outcome) {
    if (!done->exchange(true)) promise->set_value(outcome);
  };
  if (!service->submit(std::move(message))) return {K::unavailable, "", {}};
  if (future.wait_for(kIntakeWait) != std::future_status::ready) return {K::unavailable, "", {}};
  auto outcome = future.get();
  switch (outcome.kind) {
    case ingest::MessageOutcome::Kind::stored:
      return {K::stored, "", std::move(outcome.readingIds)};
    case ingest::MessageOutcome::Kind::duplicate:
      return {K::duplicate, "", {}};
    case ingest::MessageOutcome::Kind::rateLimited:
      return {K::rejected, "rate_limited", {}};
    case ingest::MessageOutcome::Kind::rejected:
      break;
  }
  return {K::rejected, outcome.reason, {}};
}

}  // namespace

void ApiWiring::wireFhir(store::Database& db, SecuritySubsystem& security, IngestSubsystem* ingest,
                         Clock& clock) {
  // The record download and the FHIR API build the same compartment (issue 26).
  recordExport_ =
      std::make_unique<fhir::RecordExportService>(db, security.audit(), *records_, *consents_,
                                                  security.keys().cipher(), clock, patients_.get());
  services_.recordExport = recordExport_.get();
  fhir_ = std::make_unique<fhir::FhirServer>(
      db, security.audit(), security.keys().cipher(), *recordExport_, *patients_, clock,
      [ingest, &clock](const std::string& uid, const std::string& payload) {
        return intakeThrough(ingest, clock, uid, payload);
      });
  services_.fhir = fhir_.get();
  // Backend clients' bearer tokens (SMART backend services, wireSmart).
  if (smartClients_)
    services_.fhirBearer = [clients = smartClients_.get()](std::string_view token) {
      return clients->authenticate(token);
    };
}

}  // namespace vigil::app
