// The stand-in's fault injection (--fail-rate, --latency-ms, --drop-responses, --duplicate,
// --reorder, --down-for, --record) and `cloud send` / `cloud show`, each against a real
// `vigil-devtool cloud serve` process over real TLS.
#define BOOST_TEST_MODULE vigil_cloudsim_faults
#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <set>
#include <sstream>
#include <thread>

#include "stand_in_client.hpp"
#include "vigil/testsupport/process.hpp"

namespace fs = std::filesystem;
using namespace vigil::cloudtest;
using vigil::sync::Envelope;
using vigil::sync::RefusalReason;
using vigil::testsupport::readText;
using vigil::testsupport::TempDir;

namespace {

struct Cloud {
  TempDir tmp{"vigil-cloudsim"};
  fs::path dir = tmp.path() / "cloud";
  fs::path files = tmp.path() / "box";
};

const std::string kLicenseCheck = R"({"seats":{"providers":1,"patients":10},"version":"1.0"})";

InboxPage fetch(Client& c, const std::string& after, int limit = 100) {
  Response r = c.request("GET", "/v1/inbox?after=" + after + "&limit=" + std::to_string(limit));
  BOOST_REQUIRE_MESSAGE(r.status == 200, "inbox answered " << r.status << " " << r.body);
  return parseInbox(r.body);
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

/// Runs `vigil-devtool <args>`; returns its exit code and stdout.
std::pair<int, std::string> devtool(const fs::path& tmp, std::vector<std::string> args) {
  vigil::testsupport::Process::Options o;
  o.args = std::move(args);
  fs::remove(tmp / "devtool.out");  // the child appends to it
  o.stdoutFile = tmp / "devtool.out";
  o.stderrFile = tmp / "devtool.err";
  vigil::testsupport::Process p(DEVTOOL_PATH, o);
  auto code = p.wait(std::chrono::seconds(30));
  BOOST_REQUIRE_MESSAGE(code.has_value(), "vigil-devtool did not finish in 30 s");
  return {*code, readText(tmp / "devtool.out")};
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(StandInFaults, Cloud)

BOOST_AUTO_TEST_CASE(fail_rate_answers_503_to_about_that_fraction_and_applies_nothing_then) {
  fs::path record = tmp.path() / "record.log";
  StandIn cloud(dir, {"--fail-rate", "0.5", "--record", record.string()});
  EnrolledBox box = EnrolledBox::enrol(cloud, currentCode(dir), files);  // enrolment never fails
  Client c = box.client(cloud);
  int unavailable = 0;
  int sent = 0;
  constexpr int kEntries = 30;
  for (int seq = 1; seq <= kEntries; ++seq) {
    Envelope env = box.seal("licensing", "license.check", kLicenseCheck, "lic", seq);
    for (int attempt = 0; attempt < 50; ++attempt) {  // bounded: 0.5^50 of never getting through
      ++sent;
      Response r = c.request("POST", "/v1/outbox", env.toJson());
      if (r.status == 503) {
        ++unavailable;
        continue;
      }
      BOOST_REQUIRE_MESSAGE(r.status == 202, "answered " << r.status << " " << r.body);
      break;
    }
  }
  // About half of the requests: far from none and from all (seeded, so repeatable).
  BOOST_TEST(unavailable > sent / 4);
  BOOST_TEST(unavailable < sent * 3 / 4);
  // Nothing a 503 answered was applied: each entry recorded exactly once, in order.
  auto recorded = lines(readText(record));
  BOOST_REQUIRE(recorded.size() == static_cast<std::size_t>(kEntries));
  for (int i = 0; i < kEntries; ++i)
    BOOST_TEST(recorded[static_cast<std::size_t>(i)].find(" lic " + std::to_string(i + 1) +
                                                          " license.check") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(dropped_answers_leave_the_entry_applied_and_a_resend_is_a_duplicate) {
  fs::path record = tmp.path() / "record.log";
  StandIn cloud(dir, {"--drop-responses", "--record", record.string()});
  EnrolledBox box = EnrolledBox::enrol(cloud, currentCode(dir), files);
  Client c = box.client(cloud);
  int dropped = 0;
  int duplicates = 0;
  constexpr int kEntries = 40;
  std::vector<std::string> ids;
  for (int seq = 1; seq <= kEntries; ++seq) {
    Envelope env = box.seal("licensing", "license.check", kLicenseCheck, "lic", seq);
    ids.push_back(env.header.id);
    bool lost = false;
    for (int attempt = 0; attempt < 20; ++attempt) {  // bounded: only first acceptances drop
      try {
        Response r = c.request("POST", "/v1/outbox", env.toJson());
        BOOST_TEST(r.status == (lost ? 200 : 202));
        BOOST_TEST(member(r.body, "duplicate") == (lost ? "true" : "false"));
        if (lost) ++duplicates;
        break;
      } catch (const NoAnswer&) {
        BOOST_TEST(!lost);  // a duplicate is always answered
        lost = true;
        ++dropped;
      }
    }
  }
  BOOST_TEST(dropped > 0);
  BOOST_TEST(dropped < kEntries);
  BOOST_TEST(duplicates == dropped);
  auto recorded = lines(readText(record));
  BOOST_REQUIRE(recorded.size() == static_cast<std::size_t>(kEntries));
  for (int i = 0; i < kEntries; ++i)
    BOOST_TEST(recorded[static_cast<std::size_t>(i)] == ids[static_cast<std::size_t>(i)] + " lic " +
                                                            std::to_string(i + 1) +
                                                            " license.check");
  // Each entry was applied once: one reply per entry.
  BOOST_TEST(fetch(c, "", 500).messages.size() == static_cast<std::size_t>(kEntries));
}

BOOST_AUTO_TEST_CASE(duplicate_and_reorder_change_inbox_pages_as_documented) {
  {
    StandIn cloud(dir, {"--duplicate"});
    EnrolledBox box = EnrolledBox::enrol(cloud, currentCode(dir), files);
    Client c = box.client(cloud);
    for (int i = 1; i <= 4; ++i)
      BOOST_REQUIRE(
          c.request("POST", "/v1/outbox",
                    box.seal("licensing", "license.check", kLicenseCheck, "lic", i).toJson())
              .status == 202);
    InboxPage first = fetch(c, "", 2);
    BOOST_REQUIRE(first.messages.size() == 2u);
    InboxPage second = fetch(c, first.cursor, 2);
    // The message delivered last (seq 2) comes again, before the page's own (3, 4).
    BOOST_REQUIRE(second.messages.size() == 3u);
    BOOST_TEST(second.messages[0].header.id == first.messages[1].header.id);
    BOOST_TEST(second.messages[1].header.seq == 3);
    BOOST_TEST(second.messages[2].header.seq == 4);
    BOOST_TEST(cloud.stop() == 0);
  }
  StandIn cloud(dir, {"--reorder"});
  EnrolledBox box = EnrolledBox::enrol(cloud, currentCode(dir), files);
  Client c = box.client(cloud);
  for (int i = 1; i <= 3; ++i)
    BOOST_REQUIRE(
        c.request("POST", "/v1/outbox",
                  box.seal("licensing", "license.check", kLicenseCheck, "lic", i).toJson())
            .status == 202);
  InboxPage page = fetch(c, "", 3);
  BOOST_REQUIRE(page.messages.size() == 3u);
  BOOST_TEST(page.messages[0].header.seq == 3);
  BOOST_TEST(page.messages[2].header.seq == 1);
  BOOST_TEST(fetch(c, page.cursor).messages.empty());  // the cursor is past all three
}

BOOST_AUTO_TEST_CASE(down_for_refuses_every_connection_then_serves) {
  StandIn cloud(dir, {"--down-for", "3"});
  auto started = std::chrono::steady_clock::now();
  Client anonymous(cloud.port(), cloud.caFile());
  BOOST_CHECK_THROW(anonymous.request("GET", "/v1/keys"), NoAnswer);
  // Up again after 3 s (polled, bounded by 15 s).
  int status = 0;
  while (std::chrono::steady_clock::now() - started < std::chrono::seconds(15)) {
    try {
      status = anonymous.request("GET", "/v1/keys").status;
      break;
    } catch (const NoAnswer&) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }
  BOOST_TEST(status == 401);  // an answer (without a certificate: 401)
  BOOST_TEST((std::chrono::steady_clock::now() - started >= std::chrono::milliseconds(2900)));
}

BOOST_AUTO_TEST_CASE(latency_delays_every_answer) {
  StandIn cloud(dir, {"--latency-ms", "400"});
  Client anonymous(cloud.port(), cloud.caFile());
  auto t0 = std::chrono::steady_clock::now();
  BOOST_TEST(anonymous.request("GET", "/v1/keys").status == 401);
  BOOST_TEST((std::chrono::steady_clock::now() - t0 >= std::chrono::milliseconds(400)));
}

BOOST_AUTO_TEST_CASE(cloud_send_queues_messages_the_box_refuses_for_the_right_reason) {
  StandIn cloud(dir);
  EnrolledBox box = EnrolledBox::enrol(cloud, currentCode(dir), files);
  Client c = box.client(cloud);
  auto send = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = {
        "cloud",     "send",
        "--dir",     dir.string(),
        "--box",     box.boxId,
        "--kind",    "rx.status",
        "--payload", R"({"prescriptionId":"rx-9","status":"dispensed"})"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto [rc, out] = devtool(tmp.path(), args);
    BOOST_REQUIRE(rc == 0);
    return out.substr(0, out.find('\n'));
  };
  std::string plain = send({});
  std::string ct = send({"--tamper", "ct"});
  std::string sig = send({"--tamper", "sig"});
  std::string header = send({"--tamper", "header"});
  std::string wrongKey = send({"--wrong-key"});
  std::map<std::string, Envelope> byId;
  for (auto& env : fetch(c, "").messages) byId[env.header.id] = env;
  BOOST_REQUIRE(byId.size() == 5u);
  BOOST_TEST(member(box.open(byId.at(plain)), "status") == "dispensed");
  auto refusal = [&](const std::string& id) {
    try {
      box.open(byId.at(id));
    } catch (const vigil::sync::EnvelopeRefused& e) {
      return e.reason();
    }
    BOOST_FAIL("message " << id << " opened");
    return RefusalReason::notForMe;
  };
  BOOST_TEST((refusal(ct) == RefusalReason::doesNotOpen));
  BOOST_TEST((refusal(sig) == RefusalReason::badSignature));
  BOOST_TEST((refusal(header) == RefusalReason::badSignature));
  BOOST_TEST((refusal(wrongKey) == RefusalReason::unknownKey));
  // An unknown box or kind is refused with exit code 2.
  BOOST_TEST(devtool(tmp.path(), {"cloud", "send", "--dir", dir.string(), "--box", "box-00000000",
                                  "--kind", "rx.status", "--payload", "{}"})
                 .first == 2);
  BOOST_TEST(devtool(tmp.path(), {"cloud", "send", "--dir", dir.string(), "--box", box.boxId,
                                  "--kind", "rx.submit", "--payload", "{}"})
                 .first == 2);

  auto [rc, shown] = devtool(tmp.path(), {"cloud", "show", "--dir", dir.string(), "--json"});
  BOOST_TEST(rc == 0);
  BOOST_TEST(member(shown, "notifications") == "0");
  BOOST_TEST(shown.find("\"boxId\":\"" + box.boxId + "\"") != std::string::npos);
  BOOST_TEST(shown.find("\"delivered\":5") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
