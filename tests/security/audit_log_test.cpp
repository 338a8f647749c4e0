#include "vigil/security/audit_log.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <initializer_list>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>

#include "security_fixture.hpp"
#include "vigil/core/error.hpp"
#include "vigil/security/cli.hpp"
#include "vigil/testsupport/manual_clock.hpp"

using namespace vigil;
using namespace vigil::security;
using vigil::security::test::SecurityFixture;

namespace {

// Drops the append-only triggers <table>_no_update / <table>_no_delete (PostgreSQL names the
// trigger's table).
void dropTriggers(store::Connection& c, std::initializer_list<std::string_view> triggers) {
  for (std::string_view t : triggers) {
    std::string sql = "DROP TRIGGER " + std::string(t);
    if (c.backend() == store::Backend::postgres) {
      sql += " ON " + std::string(t.substr(0, t.rfind("_no_")));
    }
    c.exec(sql);
  }
}

AuditEvent event(int i, std::int64_t patient = 100) {
  AuditEvent e;
  e.actorId = 10;
  e.actorRole = "provider";
  e.action = "reading.list";
  e.objectType = "readings";
  e.objectId = std::to_string(i);
  e.patientId = patient;
  e.reason = "care_team";
  return e;
}

struct AuditFixture : SecurityFixture {
  AuditFixture() : SecurityFixture(AuditConfig{10, std::chrono::minutes{60}}) {}
  void appendN(int n) {
    for (int i = 0; i < n; ++i) {
      clock.advance(std::chrono::seconds{1});
      audit->record(*db, event(i));
    }
  }
  // What an attacker with the database can do: the triggers are dropped first.
  void tamper(const std::string& sql) {
    db->writeSync([&](store::Connection& c) {
      dropTriggers(c, {"audit_log_no_update", "audit_log_no_delete"});
      c.exec(sql);
    });
  }
  AuditVerifyResult verify() { return audit->verify(*db); }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(AuditLog_, AuditFixture)

BOOST_AUTO_TEST_CASE(chain_verifies_and_checkpoints_are_signed_every_n_entries) {
  auto before = auditCount();
  appendN(35);
  auto r = verify();
  BOOST_TEST(r.ok);
  BOOST_TEST(r.entries == before + 35);
  BOOST_TEST(r.checkpoints == (before + 35) / 10);
  auto e = auditEntry(before + 35);
  BOOST_REQUIRE(e);
  BOOST_TEST((e->hash == computeKeyedEntryHash(*e, keys->auditChainKey())));
  BOOST_TEST((e->hash != computeEntryHash(*e)));  // keyed: SHA-256 alone does not make it
  BOOST_TEST((e->prevHash == auditEntry(before + 34)->hash));
}

BOOST_AUTO_TEST_CASE(checkpoint_is_also_made_after_an_hour) {
  audit = std::make_unique<AuditLog>(*keys, clock, AuditConfig{1000, std::chrono::minutes{60}});
  appendN(2);
  auto count = [&] {
    return db->read([](store::Connection& c) {
      return c.queryValue<std::int64_t>("SELECT count(*) FROM audit_checkpoints").value_or(0);
    });
  };
  auto before = count();
  clock.advance(std::chrono::minutes{61});
  appendN(1);
  BOOST_TEST(count() == before + 1);
  BOOST_TEST(verify().ok);
}

BOOST_AUTO_TEST_CASE(checkpoint_on_demand_seals_the_latest_entry_once) {
  audit = std::make_unique<AuditLog>(*keys, clock, AuditConfig{1000, std::chrono::minutes{60}});
  appendN(3);
  auto last = db->read([](store::Connection& c) { return AuditLog::lastSeqIn(c); });
  auto checkpointed = [&] {
    return db->read([&](store::Connection& c) {
      return c.queryValue<std::int64_t>("SELECT count(*) FROM audit_checkpoints WHERE seq = ?1",
                                        last);
    });
  };
  BOOST_TEST(checkpointed().value_or(-1) == 0);
  BOOST_TEST(audit->checkpoint(*db) == last);
  BOOST_TEST(checkpointed().value_or(-1) == 1);
  BOOST_TEST(audit->checkpoint(*db) == last);  // already sealed: no second row
  BOOST_TEST(checkpointed().value_or(-1) == 1);
  auto r = verify();
  BOOST_TEST(r.ok, r.problem);
  BOOST_TEST(r.checkpoints >= 1);
}

BOOST_AUTO_TEST_CASE(checkpoint_on_demand_of_an_empty_log_is_nothing) {
  auto empty = store::Database::open(testsupport::testStoreOptions(dir / "empty.db"));
  BOOST_TEST(audit->checkpoint(*empty) == 0);
  BOOST_TEST(empty->read([](store::Connection& c) {
    return c.queryValue<std::int64_t>("SELECT count(*) FROM audit_checkpoints").value_or(-1);
  }) == 0);
}

BOOST_AUTO_TEST_CASE(search_filters_and_pages_newest_first_with_justifications) {
  const auto before = auditCount();  // the fixture's own entries (the first admin)
  auto at = [&](AuditEvent e) {
    clock.advance(std::chrono::seconds{1});
    audit->record(*db, e);
    return clock.now();
  };
  at(event(1));  // before + 1: provider 10 lists patient 100's readings
  AuditEvent denied = event(2, 200);
  denied.actorId = 11;
  denied.actorRole = "nurse";
  denied.action = "patient.get";
  denied.outcome = AuditOutcome::denied;
  denied.reason = "not_on_care_team";
  const auto deniedAt = at(denied);  // before + 2
  AuditEvent glass = event(3, 200);
  glass.action = "patient.emergency_access";
  glass.reason = "break_glass";
  glass.breakGlass = true;
  glass.justification = "Collapsed in the waiting room";
  const auto glassAt = at(glass);  // before + 3
  at(event(4));                    // before + 4

  auto seqs = [](const AuditPage& p) {
    std::vector<std::int64_t> out;
    for (const auto& e : p.entries) out.push_back(e.entry.seq);
    return out;
  };
  auto all = audit->search(*db, {}, 0, 2);
  BOOST_TEST(all.total == before + 4);
  BOOST_TEST(seqs(all) == (std::vector<std::int64_t>{before + 4, before + 3}),
             boost::test_tools::per_element());
  BOOST_TEST(!all.entries[0].justification);
  BOOST_TEST(all.entries[1].entry.event.breakGlass);
  BOOST_TEST(all.entries[1].justification.value_or("") == "Collapsed in the waiting room");
  BOOST_TEST(all.entries[1].entry.event.objectId == "3");
  BOOST_TEST((all.entries[1].entry.time == glassAt));
  auto second = audit->search(*db, {}, 2, 2);
  BOOST_TEST(second.total == before + 4);
  BOOST_TEST(seqs(second) == (std::vector<std::int64_t>{before + 2, before + 1}),
             boost::test_tools::per_element());

  AuditFilter byActor;
  byActor.actorId = 10;
  auto mine = audit->search(*db, byActor, 0, 50);
  BOOST_TEST(mine.total == 3);
  BOOST_TEST(seqs(mine) == (std::vector<std::int64_t>{before + 4, before + 3, before + 1}),
             boost::test_tools::per_element());

  AuditFilter byPatient;
  byPatient.patientId = 200;
  BOOST_TEST(seqs(audit->search(*db, byPatient, 0, 50)) ==
                 (std::vector<std::int64_t>{before + 3, before + 2}),
             boost::test_tools::per_element());

  AuditFilter byAction;
  byAction.action = "reading.list";
  BOOST_TEST(audit->search(*db, byAction, 0, 50).total == 2);

  AuditFilter byOutcome;
  byOutcome.outcome = AuditOutcome::denied;
  auto refused = audit->search(*db, byOutcome, 0, 50);
  BOOST_REQUIRE(refused.total == 1);
  BOOST_TEST(refused.entries[0].entry.seq == before + 2);
  BOOST_TEST(refused.entries[0].entry.event.actorRole == "nurse");
  BOOST_TEST(refused.entries[0].entry.event.reason == "not_on_care_team");
  BOOST_TEST(refused.entries[0].entry.event.patientId.value_or(0) == 200);

  AuditFilter emergencies;
  emergencies.breakGlassOnly = true;
  auto glassOnly = audit->search(*db, emergencies, 0, 50);
  BOOST_REQUIRE(glassOnly.total == 1);
  BOOST_TEST(glassOnly.entries[0].entry.seq == before + 3);

  AuditFilter window;  // both ends included
  window.from = deniedAt;
  window.to = glassAt;
  BOOST_TEST(seqs(audit->search(*db, window, 0, 50)) ==
                 (std::vector<std::int64_t>{before + 3, before + 2}),
             boost::test_tools::per_element());

  AuditFilter nothing;
  nothing.actorId = 10;
  nothing.outcome = AuditOutcome::failure;
  auto none = audit->search(*db, nothing, 0, 50);
  BOOST_TEST(none.total == 0);
  BOOST_TEST(none.entries.empty());
}

BOOST_AUTO_TEST_CASE(latest_checkpoint_is_the_newest_stored_one) {
  audit = std::make_unique<AuditLog>(*keys, clock, AuditConfig{1000, std::chrono::minutes{60}});
  BOOST_TEST(!AuditLog::latestCheckpoint(*db));
  appendN(3);
  const auto firstAt = clock.now();
  const auto first = audit->checkpoint(*db);
  auto cp = AuditLog::latestCheckpoint(*db);
  BOOST_REQUIRE(cp);
  BOOST_TEST(cp->seq == first);
  BOOST_TEST((cp->time == firstAt));
  BOOST_TEST(cp->index == 1);
  appendN(2);  // not checkpointed yet: the latest is still the first
  BOOST_TEST(AuditLog::latestCheckpoint(*db)->seq == first);
  clock.advance(std::chrono::seconds{5});
  const auto second = audit->checkpoint(*db);
  BOOST_TEST(second == first + 2);
  cp = AuditLog::latestCheckpoint(*db);
  BOOST_REQUIRE(cp);
  BOOST_TEST(cp->seq == second);
  BOOST_TEST((cp->time == clock.now()));
  BOOST_TEST(cp->index == 2);
}

BOOST_AUTO_TEST_CASE(triggers_refuse_update_and_delete) {
  appendN(12);
  BOOST_CHECK_THROW(db->writeSync([](store::Connection& c) {
    c.exec("UPDATE audit_log SET reason = 'x' WHERE seq = 2");
  }),
                    StoreError);
  BOOST_CHECK_THROW(
      db->writeSync([](store::Connection& c) { c.exec("DELETE FROM audit_log WHERE seq = 2"); }),
      StoreError);
  BOOST_CHECK_THROW(
      db->writeSync([](store::Connection& c) { c.exec("DELETE FROM audit_checkpoints"); }),
      StoreError);
  BOOST_TEST(verify().ok);
}

BOOST_AUTO_TEST_CASE(verify_names_an_edited_entry) {
  appendN(25);
  tamper("UPDATE audit_log SET patient_id = 200 WHERE seq = 7");
  auto r = verify();
  BOOST_TEST(!r.ok);
  BOOST_TEST(r.firstBadSeq.value_or(0) == 7);
  BOOST_TEST(r.problem.find("entry 7") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(verify_names_a_deleted_entry) {
  appendN(25);
  tamper("DELETE FROM audit_log WHERE seq = 12");
  auto r = verify();
  BOOST_TEST(!r.ok);
  BOOST_TEST(r.firstBadSeq.value_or(0) == 12);
  BOOST_TEST(r.problem.find("missing") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(verify_names_an_inserted_entry) {
  appendN(5);
  auto last = auditCount();
  // A forged entry linked to the real chain, with a hash that is not the entry's.
  db->writeSync([&](store::Connection& c) {
    dropTriggers(c, {"audit_log_no_update", "audit_log_no_delete"});
    c.execute(
        "INSERT INTO audit_log SELECT seq + 1, at_us + 1, 1, 'admin', 'patient.get', 'patient', "
        "'100', 100, 'success', 'admin', 0, hash, ?2 FROM audit_log WHERE seq = ?1",
        last, store::Blob(32, 0x5a));
  });
  auto r = verify();
  BOOST_TEST(!r.ok);
  BOOST_TEST(r.firstBadSeq.value_or(0) == last + 1);
}

// Rewriting entries needs the chain key: without it (SHA-256 recomputed, as the chain was
// before issue 18) the first rewritten entry is named, also after the last checkpoint.
BOOST_AUTO_TEST_CASE(a_chain_rewritten_without_the_key_is_named_at_the_first_rewritten_entry) {
  appendN(25);  // checkpoints at 10 and 20; 21..25 after the last one
  const auto last = auditCount();
  db->writeSync([&](store::Connection& c) {
    dropTriggers(c, {"audit_log_no_update"});
    c.exec("UPDATE audit_log SET reason = 'forged' WHERE seq = 22");
    auto prev = AuditLog::entryIn(c, 21)->hash;
    for (std::int64_t s = 22; s <= last; ++s) {
      auto e = AuditLog::entryIn(c, s);
      e->prevHash = prev;
      e->hash = computeEntryHash(*e);
      c.execute("UPDATE audit_log SET prev_hash = ?1, hash = ?2 WHERE seq = ?3",
                store::Blob(e->prevHash.begin(), e->prevHash.end()),
                store::Blob(e->hash.begin(), e->hash.end()), s);
      prev = e->hash;
    }
  });
  auto r = verify();
  BOOST_TEST(!r.ok);
  BOOST_TEST(r.firstBadSeq.value_or(0) == 22);
  BOOST_TEST(r.problem.find("entry 22 was changed") != std::string::npos, r.problem);
}

// With the chain key (an insider holding the master key) a rewrite still meets the signed
// checkpoints.
BOOST_AUTO_TEST_CASE(verify_catches_a_rewritten_chain_through_the_signed_checkpoint) {
  appendN(25);
  db->writeSync([&](store::Connection& c) {
    dropTriggers(c, {"audit_log_no_update"});
    c.exec("UPDATE audit_log SET reason = 'forged' WHERE seq = 3");
    crypto::Digest256 prev{};
    auto last = AuditLog::lastSeqIn(c);
    for (std::int64_t s = 1; s <= last; ++s) {
      auto e = AuditLog::entryIn(c, s);
      e->prevHash = prev;
      e->hash = computeKeyedEntryHash(*e, keys->auditChainKey());
      c.execute("UPDATE audit_log SET prev_hash = ?1, hash = ?2 WHERE seq = ?3",
                store::Blob(e->prevHash.begin(), e->prevHash.end()),
                store::Blob(e->hash.begin(), e->hash.end()), s);
      prev = e->hash;
    }
  });
  auto r = verify();
  BOOST_TEST(!r.ok);
  BOOST_TEST(r.firstBadSeq.value_or(0) == 10);  // the first checkpoint after the edit
  BOOST_TEST(r.problem.find("checkpoint") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(verify_catches_truncation_before_a_checkpoint) {
  appendN(25);
  auto last = auditCount();
  auto lastCp = db->read([](store::Connection& c) {
    return c.queryValue<std::int64_t>("SELECT max(seq) FROM audit_checkpoints").value_or(0);
  });
  BOOST_REQUIRE(lastCp > 5);
  tamper("DELETE FROM audit_log WHERE seq >= " + std::to_string(lastCp - 2));
  auto r = verify();
  BOOST_TEST(!r.ok);
  BOOST_TEST(r.firstBadSeq.value_or(0) == lastCp - 2);
  BOOST_TEST(last >= lastCp);
}

BOOST_AUTO_TEST_CASE(verify_refuses_checkpoints_signed_by_another_key) {
  appendN(12);
  auto other = crypto::Ed25519Signer::generate();
  auto r = db->read([&](store::Connection& c) {
    return AuditLog::verifyIn(c, other.publicKey(), keys->auditChainKey());
  });
  BOOST_TEST(!r.ok);
  BOOST_TEST(r.problem.find("not signed by this box") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(verify_reports_progress_to_the_end) {
  appendN(30);
  std::uint64_t lastDone = 0, lastTotal = 0;
  audit->verify(*db, [&](std::uint64_t d, std::uint64_t t) {
    BOOST_TEST(d >= lastDone);
    lastDone = d;
    lastTotal = t;
  });
  BOOST_TEST(lastDone == lastTotal);
  BOOST_TEST(lastTotal == static_cast<std::uint64_t>(auditCount()));
}

BOOST_AUTO_TEST_CASE(phi_write_and_its_audit_entry_commit_together_or_not_at_all) {
  auto before = auditCount();
  // The write fails after the audit entry was appended: both roll back.
  BOOST_CHECK_THROW(db->writeSync([&](store::Connection& c) {
    c.execute("INSERT INTO patients (id, created_at) VALUES (501, 0)");
    audit->append(c, event(1, 501));
    throw ValidationError("later step failed");
  }),
                    ValidationError);
  BOOST_TEST(auditCount() == before);
  BOOST_TEST(db->read([](store::Connection& c) {
    return c.queryValue<std::int64_t>("SELECT count(*) FROM patients WHERE id = 501").value_or(0);
  }) == 0);
  // Both succeed: both are stored.
  db->writeSync([&](store::Connection& c) {
    c.execute("INSERT INTO patients (id, created_at) VALUES (502, 0)");
    audit->append(c, event(1, 502));
  });
  BOOST_TEST(auditCount() == before + 1);
  BOOST_TEST(verify().ok);
}

BOOST_AUTO_TEST_CASE(a_crash_between_phi_write_and_audit_entry_leaves_neither) {
  auto before = auditCount();
  db->close();
  // A separate process does the PHI write and dies (SIGKILL-like _exit, no commit) before the
  // audit append; a second one dies right after the append, before the commit.
  for (int crashPoint = 0; crashPoint < 2; ++crashPoint) {
    pid_t pid = ::fork();
    BOOST_REQUIRE(pid >= 0);
    if (pid == 0) {
      try {
        auto child = store::Database::open(storeOptions);
        testsupport::ManualClock cclock;
        auto ckeys = Keys::open(*child, dir / "keys" / "master.key", cclock);
        AuditLog caudit(*ckeys, cclock);
        child->writeSync([&](store::Connection& c) {
          c.execute("INSERT INTO patients (id, created_at) VALUES (600, 0)");
          if (crashPoint == 0) ::_exit(0);
          caudit.append(c, event(1, 600));
          ::_exit(0);
        });
      } catch (...) {
      }
      ::_exit(1);
    }
    // The forked writer exits at once; one that hangs (a lock held across the fork) is killed
    // and the test says so.
    int status = 0;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (::waitpid(pid, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, &status, 0);  // bounded: SIGKILLed just above
        BOOST_FAIL("the forked writer (crash point " << crashPoint << ") did not exit within 30 s");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    BOOST_TEST(WIFEXITED(status));
  }
  db = store::Database::open(storeOptions);
  BOOST_TEST(auditCount() == before);
  BOOST_TEST(db->read([](store::Connection& c) {
    return c.queryValue<std::int64_t>("SELECT count(*) FROM patients").value_or(0);
  }) == 0);
  BOOST_TEST(verify().ok);
}

BOOST_AUTO_TEST_CASE(export_writes_the_date_range_as_json_lines_with_checkpoints) {
  clock.set(TimePoint{std::chrono::seconds{1'800'000'000}});  // 2027-01-15T08:00:00Z
  appendN(12);
  clock.advance(std::chrono::hours{48});
  appendN(3);
  std::ostringstream out;
  auto n = runAuditExport(*db, *audit, "2027-01-17", "2027-01-17", out, nullptr);
  BOOST_TEST(n == 3u);
  std::string text = out.str();
  BOOST_TEST(std::count(text.begin(), text.end(), '\n') >= 3);
  BOOST_TEST(text.find("\"time\":\"2027-01-17T08:00:") != std::string::npos);
  BOOST_TEST(text.find("2027-01-15") == std::string::npos);
  BOOST_TEST(text.find("\"hash\":\"") != std::string::npos);
  std::ostringstream all;
  BOOST_TEST(runAuditExport(*db, *audit, "2027-01-01", "2027-02-01", all, nullptr) >= 15u);
  BOOST_TEST(all.str().find("{\"checkpoint\":") != std::string::npos);
  BOOST_CHECK_THROW(runAuditExport(*db, *audit, "2027-13-01", "2027-02-01", all, nullptr),
                    ValidationError);
  // The export itself is audited.
  auto e = lastAudit("audit.export");
  BOOST_REQUIRE(e);
  BOOST_TEST(e->event.reason.find("entries=") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(cli_verify_reports_intact_or_the_first_bad_entry) {
  appendN(5);
  std::ostringstream out;
  BOOST_TEST(runAuditVerify(*db, *audit, out, nullptr) == 0);
  BOOST_TEST(out.str().find("audit log intact") != std::string::npos);
  tamper("UPDATE audit_log SET action = 'nothing' WHERE seq = 4");
  std::ostringstream bad;
  BOOST_TEST(runAuditVerify(*db, *audit, bad, nullptr) == 1);
  BOOST_TEST(bad.str().find("BROKEN at entry 4") != std::string::npos);
}

// --- The tail (issue 18): checkpoints chained and numbered, an anchor kept off the box.

namespace {
void dropCheckpointTriggers(store::Connection& c) {
  dropTriggers(c, {"audit_checkpoints_no_update", "audit_checkpoints_no_delete"});
}
}  // namespace

BOOST_AUTO_TEST_CASE(verify_names_a_deleted_checkpoint) {
  appendN(35);  // checkpoints at 10, 20, 30
  db->writeSync([&](store::Connection& c) {
    dropCheckpointTriggers(c);
    c.exec("DELETE FROM audit_checkpoints WHERE seq = 20");
  });
  auto r = verify();
  BOOST_TEST(!r.ok);
  BOOST_TEST(r.firstBadSeq.value_or(0) == 30);
  BOOST_TEST(r.problem.find("checkpoint at entry 30 is number 3 but the 2.") != std::string::npos,
             r.problem);
}

BOOST_AUTO_TEST_CASE(verify_names_a_forged_first_keyed_entry) {
  appendN(12);
  // Moving the keyed start past the tail would let entries be rewritten with SHA-256 alone.
  db->writeSync([&](store::Connection& c) {
    dropTriggers(c, {"audit_chain_no_update"});
    c.exec("UPDATE audit_chain SET keyed_from = 1000");
  });
  auto r = verify();
  BOOST_TEST(!r.ok);
  BOOST_TEST(r.problem.find("signs a different first keyed entry") != std::string::npos, r.problem);
}

BOOST_AUTO_TEST_CASE(a_cut_tail_after_an_older_checkpoint_is_found_against_the_anchor) {
  appendN(35);                             // a checkpoint every 10 entries
  const auto anchor = audit->anchor(*db);  // the latest entry, checkpointed now
  BOOST_TEST(anchor.seq == auditCount());
  BOOST_TEST(anchor.index >= 3);
  BOOST_TEST(verify().ok);
  BOOST_TEST(audit->verify(*db, {}, &anchor).ok);
  // The attacker removes the newest checkpoints and every entry after an older checkpoint:
  // what is left is a shorter log that is consistent in itself.
  const auto older = db->read([&](store::Connection& c) {
    return c.queryValue<std::int64_t>("SELECT seq FROM audit_checkpoints WHERE idx = ?1",
                                      anchor.index - 2);
  });
  BOOST_REQUIRE(older);
  db->writeSync([&](store::Connection& c) {
    dropCheckpointTriggers(c);
    dropTriggers(c, {"audit_log_no_delete"});
    c.execute("DELETE FROM audit_checkpoints WHERE seq > ?1", *older);
    c.execute("DELETE FROM audit_log WHERE seq > ?1", *older);
  });
  BOOST_TEST(verify().ok);  // alone, a cut at a checkpoint cannot be told from a quiet box
  auto r = audit->verify(*db, {}, &anchor);
  BOOST_TEST(!r.ok);
  BOOST_TEST(r.firstBadSeq.value_or(0) == anchor.seq);
  BOOST_TEST(
      r.problem.find("no longer holds the anchored checkpoint " + std::to_string(anchor.index) +
                     " at entry " + std::to_string(anchor.seq)) != std::string::npos,
      r.problem);
}

BOOST_AUTO_TEST_CASE(an_anchor_survives_its_file_and_a_forged_one_is_refused) {
  appendN(12);
  const auto anchor = audit->anchor(*db);
  const auto text = AuditLog::anchorText(anchor);
  auto back = AuditLog::parseAnchor(text);
  BOOST_TEST(audit->verify(*db, {}, &back).ok);
  // The box keeps going; an anchor stays valid as the log grows.
  appendN(15);
  BOOST_TEST(audit->verify(*db, {}, &back).ok);
  // An anchor naming other entries, or not signed by this box, is no evidence.
  auto forged = back;
  forged.seq += 1;
  auto r = audit->verify(*db, {}, &forged);
  BOOST_TEST(!r.ok);
  BOOST_TEST(r.problem.find("not a checkpoint signed by this box") != std::string::npos);
  BOOST_CHECK_THROW(AuditLog::parseAnchor("index 1\n"), ValidationError);
  BOOST_CHECK_THROW(AuditLog::parseAnchor(text.substr(0, text.find("signature"))), ValidationError);
}

BOOST_AUTO_TEST_CASE(a_log_from_before_the_keyed_chain_is_sealed_once_and_verifies) {
  // What migration 0015 finds on an upgraded box: SHA-256 entries and version-1 checkpoints,
  // with the keyed chain starting after them.
  appendN(5);
  db->writeSync([&](store::Connection& c) {
    dropCheckpointTriggers(c);
    dropTriggers(c, {"audit_log_no_update", "audit_chain_no_update"});
    c.exec("DELETE FROM audit_checkpoints");
    crypto::Digest256 prev{};
    for (std::int64_t s = 1; s <= AuditLog::lastSeqIn(c); ++s) {
      auto e = AuditLog::entryIn(c, s);
      e->prevHash = prev;
      e->hash = computeEntryHash(*e);
      c.execute("UPDATE audit_log SET prev_hash = ?1, hash = ?2 WHERE seq = ?3",
                store::Blob(e->prevHash.begin(), e->prevHash.end()),
                store::Blob(e->hash.begin(), e->hash.end()), s);
      prev = e->hash;
    }
    const auto v1 = signCheckpoint(keys->auditSigner(), AuditLog::lastSeqIn(c), prev, clock.now());
    c.execute(
        "INSERT INTO audit_checkpoints (seq, hash, at_us, public_key, signature) VALUES (?1, ?2, "
        "?3, ?4, ?5)",
        v1.seq, store::Blob(v1.hash.begin(), v1.hash.end()), toMicros(v1.time),
        store::Blob(v1.publicKey.begin(), v1.publicKey.end()),
        store::Blob(v1.signature.begin(), v1.signature.end()));
    c.execute("UPDATE audit_chain SET keyed_from = ?1", AuditLog::lastSeqIn(c) + 1);
  });
  const auto before = auditCount();
  BOOST_TEST(verify().ok, verify().problem);
  audit->sealKeyedChain(*db);
  BOOST_TEST(auditCount() == before + 1);  // audit.chain_keyed, checkpointed
  audit->sealKeyedChain(*db);
  BOOST_TEST(auditCount() == before + 1);  // once
  appendN(3);
  auto r = verify();
  BOOST_TEST(r.ok, r.problem);
  BOOST_TEST(r.checkpoints == 2);
}

BOOST_AUTO_TEST_CASE(cli_anchor_then_verify_with_the_anchor_file) {
  appendN(12);
  const auto file = (dir / "anchor.txt").string();
  std::ostringstream out;
  const auto cp = runAuditAnchor(*db, *audit, file, out);
  BOOST_TEST(out.str().find("anchored checkpoint " + std::to_string(cp.index)) !=
             std::string::npos);
  std::ostringstream ok;
  BOOST_TEST(runAuditVerify(*db, *audit, ok, nullptr, file) == 0);
  BOOST_TEST(ok.str().find("reaches the anchored checkpoint") != std::string::npos, ok.str());
  db->writeSync([&](store::Connection& c) {
    dropCheckpointTriggers(c);
    dropTriggers(c, {"audit_log_no_delete"});
    c.exec("DELETE FROM audit_checkpoints WHERE seq > 10");
    c.exec("DELETE FROM audit_log WHERE seq > 10");
  });
  std::ostringstream cut;
  BOOST_TEST(runAuditVerify(*db, *audit, cut, nullptr, file) == 1);
  BOOST_TEST(cut.str().find("no longer holds the anchored checkpoint") != std::string::npos,
             cut.str());
  BOOST_CHECK_THROW(runAuditVerify(*db, *audit, cut, nullptr, file + ".missing"), ValidationError);
}

BOOST_AUTO_TEST_SUITE_END()
