// `vigil-devtool cloud serve` as a real process on 127.0.0.1 with real TLS, driven by a small
// client of the contract (stand_in_client.hpp): enrolment, mutual TLS, the outbox's answers, the
// services' replies in the inbox, paging, and a restart. Expected values come from
// docs/cloud-api.md ("The stand-in": seed data, fee schedule), written here by hand.
#define BOOST_TEST_MODULE vigil_cloudsim
#include <boost/test/unit_test.hpp>
#include <csignal>
#include <filesystem>
#include <map>
#include <regex>
#include <set>
#include <thread>

#include "../x12/sample_batch.hpp"
#include "stand_in_client.hpp"
#include "vigil/core/json_text.hpp"
#include "vigil/core/time.hpp"
#include "vigil/testsupport/process.hpp"
#include "vigil/x12/acknowledgement.hpp"
#include "vigil/x12/remittance_835.hpp"

namespace fs = std::filesystem;
using namespace vigil::cloudtest;
using vigil::sync::Envelope;
using vigil::testsupport::readText;
using vigil::testsupport::TempDir;

namespace {

struct Cloud {
  TempDir tmp{"vigil-cloudsim"};
  fs::path dir = tmp.path() / "cloud";
  fs::path files = tmp.path() / "box";
};

const std::string kLicenseCheck = R"({"seats":{"providers":5,"patients":200},"version":"1.0"})";

// The claim batch of the clearinghouse tests: CLM-1001 (Medicare, the patient is the subscriber)
// with 99454 x1 (43.02), 99457 x2 (95.74) and 12345 (10.00, not in the fee schedule); CLM-1002
// (a dependent) whose subscriber has no member id (NM109 removed after writing: the box's writer
// refuses such a claim, another submitter's may not).
std::string claimFile() {
  using namespace vigil::x12;
  ClaimBatch b = vigil::x12test::twoClaimBatch();
  Claim& c = b.claims[0];
  ServiceLine unknown = c.lines[0];
  unknown.procedureCode = "12345";
  unknown.chargeCents = 1000;
  c.lines[1].units = 2;
  c.lines[1].chargeCents = 9574;
  c.lines.push_back(unknown);
  c.totalChargeCents = 4302 + 9574 + 1000;
  std::string text = write837p(b);
  auto at = text.find("NM1*IL*1*ROE*RICHARD****MI*XYZ123456789~");
  BOOST_REQUIRE(at != std::string::npos);
  text.replace(at, 40, "NM1*IL*1*ROE*RICHARD~");
  return text;
}

std::string claimSubmit(const std::string& x12) {
  return "{\"batch\":\"2026-12\",\"x12\":" + vigil::core::jsonString(x12) + "}";
}

// What the clearinghouse answers to claimFile(), worked out by hand from docs/cloud-api.md (fee
// schedule, 20 % coinsurance rounded half up to the cent, CO-96 outside the schedule, the
// missing subscriber id rejected A6:21:IL).
void checkClearinghouseAnswers(const std::map<std::string, std::string>& byKind) {
  using namespace vigil::x12;
  BOOST_TEST(member(byKind.at("claim.ack"), "batch") == "2026-12");
  Acknowledgement999 ack = parse999(member(byKind.at("claim.ack"), "x12"));
  BOOST_TEST(ack.groupControlNumber == "17");
  BOOST_TEST(ack.groupCode == "A");
  BOOST_REQUIRE(ack.sets.size() == 1u);
  BOOST_TEST(ack.sets[0].controlNumber == "0001");
  BOOST_TEST(ack.sets[0].code == "A");

  ClaimStatusReport status = parse277ca(member(byKind.at("claim.status"), "x12"));
  BOOST_TEST(status.batchId == "B2026120601");
  BOOST_REQUIRE(status.claims.size() == 2u);
  BOOST_TEST(status.claims[0].claimId == "CLM-1001");
  BOOST_TEST(status.claims[0].accepted);
  BOOST_TEST(status.claims[0].category == "A2");
  BOOST_TEST(status.claims[0].statusCode == "20");
  BOOST_TEST(status.claims[1].claimId == "CLM-1002");
  BOOST_TEST(!status.claims[1].accepted);
  BOOST_TEST(status.claims[1].category == "A6");
  BOOST_TEST(status.claims[1].statusCode == "21");
  BOOST_TEST(status.claims[1].entityCode == "IL");

  RemittanceFile file = parse835(member(byKind.at("remittance"), "x12"));
  const Remittance& r = file.remittances.at(0);
  BOOST_REQUIRE(r.claims.size() == 1u);  // the rejected claim is not adjudicated
  const ClaimPayment& p = r.claims[0];
  BOOST_TEST(p.claimId == "CLM-1001");
  BOOST_TEST(p.status == "1");
  BOOST_TEST(p.chargeCents == 14876);
  // 99454: allowed 43.02, coinsurance 8.60, paid 34.42; 99457 x2: allowed 95.74, coinsurance
  // 19.15, paid 76.59; 12345: denied CO-96 10.00.
  BOOST_TEST(p.paidCents == 11101);
  BOOST_TEST(p.patientResponsibilityCents == 2775);
  BOOST_REQUIRE(p.lines.size() == 3u);
  BOOST_TEST(p.lines[0].paidCents == 3442);
  BOOST_TEST(p.lines[0].adjustments.at(0).group == "PR");
  BOOST_TEST(p.lines[0].adjustments.at(0).reason == "2");
  BOOST_TEST(p.lines[0].adjustments.at(0).amountCents == 860);
  BOOST_TEST(p.lines[1].units == 2.0);
  BOOST_TEST(p.lines[1].paidCents == 7659);
  BOOST_TEST(p.lines[1].adjustments.at(0).amountCents == 1915);
  BOOST_TEST(p.lines[2].procedureCode == "12345");
  BOOST_TEST(p.lines[2].paidCents == 0);
  BOOST_TEST(p.lines[2].adjustments.at(0).group == "CO");
  BOOST_TEST(p.lines[2].adjustments.at(0).reason == "96");
  BOOST_TEST(p.lines[2].adjustments.at(0).amountCents == 1000);
  BOOST_TEST(r.totalCents == 11101);
  BOOST_TEST(r.balanced());
}

Response post(Client& c, const Envelope& env) {
  return c.request("POST", "/v1/outbox", env.toJson());
}

InboxPage fetch(Client& c, const std::string& after, int limit = 100) {
  Response r = c.request("GET", "/v1/inbox?after=" + after + "&limit=" + std::to_string(limit));
  BOOST_REQUIRE_MESSAGE(r.status == 200, "inbox answered " << r.status << " " << r.body);
  return parseInbox(r.body);
}

/// Runs `vigil-devtool cloud <args>`; returns its exit code and stdout.
std::pair<int, std::string> devtool(const fs::path& tmp, std::vector<std::string> args) {
  vigil::testsupport::Process::Options o;
  o.args = std::move(args);
  fs::remove(tmp / "devtool.out");  // the child appends to it
  o.stdoutFile = tmp / "devtool.out";
  o.stderrFile = tmp / "devtool.err";
  vigil::testsupport::Process p(DEVTOOL_PATH, o);
  auto code = p.wait(std::chrono::seconds(30));
  BOOST_REQUIRE_MESSAGE(code.has_value(), "vigil-devtool cloud did not finish in 30 s");
  return {*code, readText(tmp / "devtool.out")};
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(StandIn_, Cloud)

BOOST_AUTO_TEST_CASE(first_start_creates_its_directory_and_enrols_a_box_once_per_code) {
  StandIn cloud(dir);
  BOOST_TEST(std::regex_match(cloud.url(), std::regex(R"(https://127\.0\.0\.1:\d+)")));
  for (const char* f : {"ca.crt", "ca", "server.crt", "server.key", "keys", "cloud.db"})
    BOOST_TEST(fs::exists(dir / f), f);
  for (const char* k : {"licensing-enc-1", "licensing-sig-1", "pharmacy-enc-1",
                        "clearinghouse-sig-1", "notify-enc-1", "notify-sig-1"})
    BOOST_TEST(fs::file_size(dir / "keys" / (std::string(k) + ".key")) == 32u, k);
  std::string code = currentCode(dir);
  BOOST_TEST(std::regex_match(code, std::regex("[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}")));

  EnrolledBox box = EnrolledBox::enrol(cloud, code, files);
  BOOST_TEST(std::regex_match(box.boxId, std::regex("box-[0-9a-f]{8}")));
  BOOST_TEST(box.services.size() == 4u);
  BOOST_TEST(box.services.at("licensing").encKid == "licensing-enc-1");
  BOOST_TEST(box.services.at("clearinghouse").sigKid == "clearinghouse-sig-1");
  // The used code is gone from DIR/enrolment-code; a second enrolment with it is refused.
  std::string next = currentCode(dir);
  BOOST_TEST(next != code);
  Client anonymous(cloud.port(), cloud.caFile());
  BoxIdentity other;
  Response again = anonymous.request("POST", "/v1/boxes/enrol", other.enrolBody(code));
  BOOST_TEST(again.status == 403);
  BOOST_TEST(member(again.body, "reason") == "bad_code");
  BOOST_TEST(
      anonymous.request("POST", "/v1/boxes/enrol", other.enrolBody("AAAA-BBBB-CCCC")).status ==
      403);
  Response bad = anonymous.request("POST", "/v1/boxes/enrol", "{\"code\":1}");
  BOOST_TEST(bad.status == 400);
  BOOST_TEST(member(bad.body, "reason") == "malformed");
  // `cloud code` makes another one-time code that works while serve runs.
  auto [rc, printed] = devtool(tmp.path(), {"cloud", "code", "--dir", dir.string()});
  BOOST_TEST(rc == 0);
  std::string fresh = printed.substr(0, printed.find('\n'));
  BOOST_TEST(currentCode(dir) == fresh);
  EnrolledBox second = EnrolledBox::enrol(cloud, fresh, files);
  BOOST_TEST(second.boxId != box.boxId);
  // A box cannot send in another box's name, even with a signature of its own.
  Client secondClient = second.client(cloud);
  Envelope impostor = second.seal("licensing", "license.check", "{}", "lic", 1);
  impostor.header.from = box.boxId;
  impostor.sig = vigil::crypto::toBase64(
      second.identity.sig.sign(vigil::crypto::asBytes(vigil::sync::signedBytes(impostor))));
  Response wrong = secondClient.request("POST", "/v1/outbox", impostor.toJson());
  BOOST_TEST(wrong.status == 422);
  BOOST_TEST(member(wrong.body, "reason") == "wrong_sender");
  auto [showRc, shown] = devtool(tmp.path(), {"cloud", "show", "--dir", dir.string()});
  BOOST_TEST(showRc == 0);
  BOOST_TEST(shown.find("boxes: 2\n") != std::string::npos);
  BOOST_TEST(shown.find(box.boxId) != std::string::npos);
  BOOST_TEST(cloud.stop(SIGINT) == 0);  // Ctrl-C: a clean exit
}

BOOST_AUTO_TEST_CASE(every_route_but_enrolment_needs_a_client_certificate_of_its_ca) {
  StandIn cloud(dir);
  EnrolledBox box = EnrolledBox::enrol(cloud, currentCode(dir), files);
  Client mine = box.client(cloud);
  Response keys = mine.request("GET", "/v1/keys");
  BOOST_TEST(keys.status == 200);
  BOOST_TEST(keys.body.find("\"pharmacy-enc-1\"") != std::string::npos);

  Client anonymous(cloud.port(), cloud.caFile());
  BOOST_TEST(anonymous.request("GET", "/v1/keys").status == 401);
  BOOST_TEST(anonymous.request("GET", "/v1/inbox").status == 401);
  BOOST_TEST(anonymous.request("POST", "/v1/outbox", "{}").status == 401);

  // A certificate from another stand-in's CA: the handshake fails or the answer is 401.
  TempDir otherTmp("vigil-cloudsim-other");
  StandIn foreign(otherTmp.path() / "cloud");
  EnrolledBox stranger =
      EnrolledBox::enrol(foreign, currentCode(otherTmp.path() / "cloud"), otherTmp.path() / "box");
  Client forged(cloud.port(), cloud.caFile(), stranger.certFile, stranger.keyFile);
  int status = 0;
  try {
    status = forged.request("GET", "/v1/keys").status;
  } catch (const NoAnswer&) {
    status = -1;
  }
  BOOST_TEST((status == -1 || status == 401), "a foreign certificate got " << status);
}

BOOST_AUTO_TEST_CASE(outbox_accepts_once_keeps_order_per_stream_and_names_its_refusals) {
  StandIn cloud(dir, {"--record", (tmp.path() / "record.log").string()});
  EnrolledBox box = EnrolledBox::enrol(cloud, currentCode(dir), files);
  Client c = box.client(cloud);
  Envelope first = box.seal("licensing", "license.check", kLicenseCheck, "licenses", 1);
  Response r = post(c, first);
  BOOST_TEST(r.status == 202);
  BOOST_TEST(member(r.body, "id") == first.header.id);
  BOOST_TEST(member(r.body, "duplicate") == "false");
  r = post(c, first);
  BOOST_TEST(r.status == 200);
  BOOST_TEST(member(r.body, "duplicate") == "true");

  r = post(c, box.seal("licensing", "license.check", kLicenseCheck, "licenses", 3));
  BOOST_TEST(r.status == 409);
  BOOST_TEST(member(r.body, "reason") == "out_of_order");
  BOOST_TEST(member(r.body, "expectedSeq") == "2");
  // Streams are independent.
  BOOST_TEST(post(c, box.seal("licensing", "license.check", kLicenseCheck, "other", 1)).status ==
             202);
  BOOST_TEST(post(c, box.seal("licensing", "license.check", kLicenseCheck, "licenses", 2)).status ==
             202);

  auto reason = [&](const Envelope& env) {
    Response a = post(c, env);
    BOOST_TEST(a.status == 422);
    return member(a.body, "reason");
  };
  Envelope unknownKey = box.seal("licensing", "license.check", kLicenseCheck, "licenses", 3);
  unknownKey.header.senderKid = "box-sig-9";
  BOOST_TEST(reason(unknownKey) == "unknown_key");
  Envelope badSig = box.seal("licensing", "license.check", kLicenseCheck, "licenses", 3);
  badSig.sig = box.seal("licensing", "license.check", kLicenseCheck, "licenses", 3).sig;
  BOOST_TEST(reason(badSig) == "bad_signature");
  BOOST_TEST(reason(box.seal("billing", "license.check", kLicenseCheck, "licenses", 3)) ==
             "not_for_me");
  // Sealed to the pharmacy's key but addressed to licensing: signed right, does not open.
  Envelope misSealed = box.seal("pharmacy", "license.check", kLicenseCheck, "licenses", 3);
  misSealed.header.to = "licensing";
  misSealed.header.recipientKid = "licensing-enc-1";
  {
    vigil::sync::Envelope resealed = misSealed;
    resealed.sig = vigil::crypto::toBase64(
        box.identity.sig.sign(vigil::crypto::asBytes(vigil::sync::signedBytes(resealed))));
    BOOST_TEST(reason(resealed) == "does_not_open");
  }
  BOOST_TEST(reason(box.seal("licensing", "license.check", "{\"seats\":1}", "licenses", 3)) ==
             "invalid_payload");
  BOOST_TEST(reason(box.seal("pharmacy", "license.check", kLicenseCheck, "licenses", 3)) ==
             "unsupported_kind");

  Envelope badId = box.seal("licensing", "license.check", kLicenseCheck, "licenses", 3);
  std::string badIdJson = badId.toJson();
  badIdJson.replace(badIdJson.find(badId.header.id), badId.header.id.size(), "x");
  Response m = c.request("POST", "/v1/outbox", badIdJson);
  BOOST_TEST(m.status == 400);
  BOOST_TEST(member(m.body, "reason") == "malformed");
  BOOST_TEST(member(m.body, "field") == "id");
  std::string zeroSeq =
      box.seal("licensing", "license.check", kLicenseCheck, "licenses", 3).toJson();
  zeroSeq.replace(zeroSeq.find("\"seq\":3"), 7, "\"seq\":0");
  BOOST_TEST(member(c.request("POST", "/v1/outbox", zeroSeq).body, "field") == "seq");
  BOOST_TEST(member(c.request("POST", "/v1/outbox", "not json").body, "field") == "envelope");
  // On one kept-alive connection, as a box's sender uses it: a refused body is read to its end,
  // so the connection stays usable for the next request.
  Client kept = box.client(cloud);
  kept.keepAlive(true);
  Response big = kept.request("POST", "/v1/outbox", std::string(1024 * 1024 + 1, 'x'));
  BOOST_TEST(big.status == 413);
  BOOST_TEST(member(big.body, "reason") == "too_large");
  BOOST_TEST(big.keepAlive);
  Response refused = kept.request("POST", "/v1/outbox", "not json");
  BOOST_TEST(refused.status == 400);
  BOOST_TEST(refused.keepAlive);
  BOOST_TEST(kept.request("GET", "/v1/keys").status == 200);

  // None of the refusals took seq 3: a stream.skip fills it (applied as nothing), then 4 goes.
  Envelope skip = box.seal("licensing", "stream.skip",
                           "{\"cancelled\":\"" + unknownKey.header.id + "\"}", "licenses", 3);
  BOOST_TEST(post(c, skip).status == 202);
  BOOST_TEST(post(c, box.seal("licensing", "license.check", kLicenseCheck, "licenses", 4)).status ==
             202);

  std::string record = readText(tmp.path() / "record.log");
  std::string expected = first.header.id + " licenses 1 license.check\n";
  BOOST_TEST(record.rfind(expected, 0) == 0u);
  BOOST_TEST(record.find(skip.header.id + " licenses 3 stream.skip\n") != std::string::npos);
  BOOST_TEST(std::count(record.begin(), record.end(), '\n') == 5);
  // Three license.check entries of "licenses" and one of "other" were applied: four replies.
  BOOST_TEST(fetch(c, "").messages.size() == 4u);
}

BOOST_AUTO_TEST_CASE(each_service_answers_in_the_inbox_sealed_to_the_box) {
  StandIn cloud(dir);
  EnrolledBox box = EnrolledBox::enrol(cloud, currentCode(dir), files);
  Client c = box.client(cloud);
  BOOST_TEST(post(c, box.seal("licensing", "license.check", kLicenseCheck, "lic", 1)).status ==
             202);
  BOOST_TEST(post(c, box.seal("licensing", "license.lookup", R"({"npi":"1234567893","state":"CA"})",
                              "lic", 2))
                 .status == 202);
  BOOST_TEST(post(c, box.seal("pharmacy", "rx.submit",
                              R"({"prescriptionId":"rx-1","patient":{"name":"A"},"prescriber":{},)"
                              R"("medication":{"name":"lisinopril"},"pharmacyId":"PH-0001"})",
                              "rx/rx-1", 1))
                 .status == 202);
  BOOST_TEST(post(c, box.seal("clearinghouse", "claim.submit", claimSubmit(claimFile()),
                              "claims/2026-12", 1))
                 .status == 202);
  Envelope note = box.seal("notify", "notify.send",
                           R"({"channel":"sms","to":"+15550100","template":"visit-reminder",)"
                           R"("params":{"time":"09:00"}})",
                           "notify", 1);
  BOOST_TEST(post(c, note).status == 202);

  InboxPage page = fetch(c, "");
  std::map<std::string, std::string> byKind;
  std::map<std::string, std::int64_t> lastSeq;
  for (const auto& env : page.messages) {
    byKind[env.header.kind] = box.open(env);
    BOOST_TEST(env.header.stream == env.header.from + "/" + box.boxId);
    BOOST_TEST(env.header.seq == lastSeq[env.header.stream] + 1);
    lastSeq[env.header.stream] = env.header.seq;
  }
  BOOST_REQUIRE(page.messages.size() == 7u);
  std::string status = byKind.at("license.status");
  BOOST_TEST(member(status, "status") == "active");
  BOOST_TEST(status.find(R"("seats":{"providers":5,"patients":200})") != std::string::npos);
  BOOST_TEST(status.find(R"("features":["rpm","video","rx","billing"])") != std::string::npos);
  auto until = vigil::core::parseRfc3339(member(status, "validUntil"));
  BOOST_REQUIRE(until.has_value());
  auto ahead = *until - std::chrono::system_clock::now();
  BOOST_TEST((ahead > std::chrono::hours(24 * 364) && ahead < std::chrono::hours(24 * 366)));
  std::string verification = byKind.at("license.verification");
  BOOST_TEST(member(verification, "status") == "active");
  BOOST_TEST(member(verification, "licenseNumber") == "A123456");
  BOOST_TEST(member(byKind.at("rx.status"), "status") == "received");
  checkClearinghouseAnswers(byKind);
  BOOST_TEST(member(byKind.at("notify.status"), "status") == "sent");
  BOOST_TEST(member(byKind.at("notify.status"), "notificationId") == note.header.id);
  std::string log = readText(dir / "notifications.log");
  BOOST_TEST(std::count(log.begin(), log.end(), '\n') == 1);
  BOOST_TEST(member(log, "channel") == "sms");
  BOOST_TEST(member(log, "template") == "visit-reminder");
  BOOST_TEST(member(log, "entryId") == note.header.id);

  // The pharmacy dispenses on the first fetch at least 2 s after it received the prescription.
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  InboxPage later = fetch(c, page.cursor);
  BOOST_REQUIRE(later.messages.size() == 1u);
  BOOST_TEST(later.messages[0].header.kind == "rx.status");
  BOOST_TEST(later.messages[0].header.seq == 2);
  BOOST_TEST(member(box.open(later.messages[0]), "status") == "filled");
  BOOST_TEST(fetch(c, later.cursor).messages.empty());
}

BOOST_AUTO_TEST_CASE(the_clearinghouse_refuses_unreadable_x12_and_rejects_loops_out_of_order) {
  StandIn cloud(dir);
  EnrolledBox box = EnrolledBox::enrol(cloud, currentCode(dir), files);
  Client c = box.client(cloud);
  // Truncated: no 999 can name a group it could not read; refused, taking no seq.
  std::string file = claimFile();
  Response cut =
      post(c, box.seal("clearinghouse", "claim.submit",
                       claimSubmit(file.substr(0, file.find("GE*1*17"))), "claims/x", 1));
  BOOST_TEST(cut.status == 422);
  BOOST_TEST(member(cut.body, "reason") == "invalid_payload");
  BOOST_TEST(post(c, box.seal("clearinghouse", "claim.submit", R"({"batch":"b"})", "claims/x", 1))
                 .status == 422);
  // A CLM before any subscriber level (its HL removed, SE's count mended): accepted as an entry,
  // rejected by the 999 at the SBR (the 12th segment of the set), nothing else answered.
  auto at = file.find("HL*2*1*22*0~\n");
  file.erase(at, 13);
  auto se = file.find("SE*47*0001");
  BOOST_REQUIRE(se != std::string::npos);
  file.replace(se, 10, "SE*46*0001");
  BOOST_TEST(
      post(c, box.seal("clearinghouse", "claim.submit", claimSubmit(file), "claims/x", 1)).status ==
      202);
  InboxPage page = fetch(c, "");
  BOOST_REQUIRE(page.messages.size() == 1u);
  BOOST_TEST(page.messages[0].header.kind == "claim.ack");
  auto ack = vigil::x12::parse999(member(box.open(page.messages[0]), "x12"));
  BOOST_TEST(ack.groupCode == "R");
  BOOST_TEST(ack.setsAccepted == 0u);
  BOOST_REQUIRE(ack.sets.size() == 1u);
  BOOST_TEST(ack.sets[0].code == "R");
  BOOST_REQUIRE(ack.sets[0].segmentErrors.size() == 1u);
  BOOST_TEST(ack.sets[0].segmentErrors[0].segmentId == "SBR");
  BOOST_TEST(ack.sets[0].segmentErrors[0].position == 12u);
}

BOOST_AUTO_TEST_CASE(inbox_pages_by_cursor_without_repeats) {
  StandIn cloud(dir);
  EnrolledBox box = EnrolledBox::enrol(cloud, currentCode(dir), files);
  Client c = box.client(cloud);
  for (int i = 1; i <= 5; ++i)
    BOOST_REQUIRE(post(c, box.seal("licensing", "license.check", kLicenseCheck, "lic", i)).status ==
                  202);
  std::vector<std::int64_t> seen;
  std::string cursor;
  for (int round = 0; round < 3; ++round) {
    InboxPage p = fetch(c, cursor, 2);
    BOOST_TEST(p.messages.size() == (round < 2 ? 2u : 1u));
    for (const auto& m : p.messages) seen.push_back(m.header.seq);
    cursor = p.cursor;
  }
  BOOST_TEST(seen == (std::vector<std::int64_t>{1, 2, 3, 4, 5}));
  BOOST_TEST(fetch(c, cursor, 2).messages.empty());
  BOOST_TEST(c.request("GET", "/v1/inbox?limit=0").status == 400);
  BOOST_TEST(c.request("GET", "/v1/inbox?limit=501").status == 400);
  BOOST_TEST(member(c.request("GET", "/v1/inbox?after=abc").body, "field") == "after");
}

BOOST_AUTO_TEST_CASE(restart_keeps_boxes_entries_and_messages) {
  EnrolledBox box;
  Envelope first;
  {
    StandIn cloud(dir);
    box = EnrolledBox::enrol(cloud, currentCode(dir), files);
    Client c = box.client(cloud);
    first = box.seal("licensing", "license.check", kLicenseCheck, "lic", 1);
    BOOST_REQUIRE(post(c, first).status == 202);
    BOOST_TEST(cloud.stop() == 0);
  }
  std::string code = currentCode(dir);
  StandIn again(dir);
  BOOST_TEST(currentCode(dir) == code);  // an unused code survives the restart
  Client c = box.client(again);          // the same CA and server identity
  Response r = post(c, first);
  BOOST_TEST(r.status == 200);
  BOOST_TEST(member(r.body, "duplicate") == "true");
  BOOST_TEST(post(c, box.seal("licensing", "license.check", kLicenseCheck, "lic", 2)).status ==
             202);
  r = post(c, box.seal("licensing", "license.check", kLicenseCheck, "lic", 2));
  BOOST_TEST(r.status == 422);  // another entry already holds seq 2
  BOOST_TEST(member(r.body, "reason") == "seq_taken");
  InboxPage page = fetch(c, "");
  BOOST_REQUIRE(page.messages.size() == 2u);
  BOOST_TEST(page.messages[0].header.seq == 1);
  BOOST_TEST(page.messages[1].header.seq == 2);
}

BOOST_AUTO_TEST_SUITE_END()
