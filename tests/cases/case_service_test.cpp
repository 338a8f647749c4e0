// CaseService (issue 23): who may do what (the table below is written by hand from the issue
// and docs/cases.md, not read from the policy), the flow (open, photos, request photos, the
// patient's answer, close with a note), escalation once to the covering provider with an
// injected clock (times by hand: 2026-12-04 is a Friday), EXIF/GPS gone from a stored photo,
// the size limits, and the worklist's counts.
//
// The test photo is tests/patients/data/card.jpg (GStreamer's jpegenc) with an EXIF segment
// spliced in by hand here: a little-endian TIFF header, IFD0 with one GPSInfo pointer, and a
// GPS IFD with latitude 41° 52' N and longitude 87° 37' W as rationals (TIFF 6.0 and Exif 2.3's
// GPS tags 1-4), so a real EXIF reader finds a position in the upload.

#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <optional>

#include "security_fixture.hpp"
#include "vigil/cases/cases.hpp"
#include "vigil/notes/notes.hpp"
#include "vigil/registry/registry.hpp"
#include "vigil/security/access_guard.hpp"

BOOST_TEST_DONT_PRINT_LOG_VALUE(std::optional<std::int64_t>)

using namespace vigil;
using namespace vigil::cases;
using security::Actor;
using security::Role;
using std::chrono::hours;
using std::chrono::minutes;

namespace {

TimePoint at(int y, unsigned mo, unsigned d, int h, int mi) {
  using namespace std::chrono;
  return TimePoint(sys_days(year(y) / month(mo) / day(d)) + hours(h) + minutes(mi));
}

std::string fileBytes(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string testJpeg() {
  return fileBytes(std::filesystem::path(VIGIL_SOURCE_DIR) / "tests/patients/data/card.jpg");
}

std::string le16(unsigned v) {
  return {static_cast<char>(v & 0xFF), static_cast<char>((v >> 8) & 0xFF)};
}
std::string le32(std::uint32_t v) {
  return le16(v & 0xFFFF) + le16(v >> 16);
}
/// One IFD entry: tag, type, count, value or offset (4 bytes).
std::string entry(unsigned tag, unsigned type, std::uint32_t count, const std::string& value4) {
  return le16(tag) + le16(type) + le32(count) + value4;
}

/// The EXIF APP1 payload with a GPS position (offsets from the TIFF header, worked out by hand:
/// IFD0 at 8 (2 + 12 + 4 bytes) ends at 26 where the GPS IFD starts (2 + 4 x 12 + 4 bytes), which
/// ends at 80; the latitude's three rationals at 80, the longitude's at 104).
std::string exifWithGps() {
  std::string tiff = "II" + le16(42) + le32(8);
  tiff += le16(1) + entry(0x8825, 4, 1, le32(26)) + le32(0);
  tiff += le16(4) + entry(0x0001, 2, 2, std::string("N\0\0\0", 4)) + entry(0x0002, 5, 3, le32(80)) +
          entry(0x0003, 2, 2, std::string("W\0\0\0", 4)) + entry(0x0004, 5, 3, le32(104)) + le32(0);
  tiff += le32(41) + le32(1) + le32(52) + le32(1) + le32(0) + le32(1);
  tiff += le32(87) + le32(1) + le32(37) + le32(1) + le32(0) + le32(1);
  return std::string("Exif\0\0", 6) + tiff;
}

std::string be16(std::size_t v) {
  return {static_cast<char>((v >> 8) & 0xFF), static_cast<char>(v & 0xFF)};
}

/// card.jpg with the EXIF segment after its APP0 (JFIF) segment.
std::string jpegWithGps() {
  auto jpeg = testJpeg();
  BOOST_REQUIRE(jpeg.size() > 20 && static_cast<unsigned char>(jpeg[3]) == 0xE0);
  const std::size_t app0End = 4 + std::size_t{static_cast<unsigned char>(jpeg[4])} * 256 +
                              std::size_t{static_cast<unsigned char>(jpeg[5])};
  const auto exif = exifWithGps();
  return jpeg.substr(0, app0End) + "\xFF\xE1" + be16(exif.size() + 2) + exif + jpeg.substr(app0End);
}

/// exiftool's output for the bytes (written to a temporary file), "" without exiftool.
std::string exiftool(const std::string& bytes, const std::filesystem::path& file) {
#ifdef VIGIL_EXIFTOOL
  {
    std::ofstream out(file, std::ios::binary);
    out << bytes;
  }
  const std::string cmd = std::string(VIGIL_EXIFTOOL) + " -a -G1 -s '" + file.string() + "'";
  std::string text;
  if (FILE* p = ::popen(cmd.c_str(), "r")) {
    char buf[4096];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) text.append(buf, n);
    ::pclose(p);
  }
  return text;
#else
  (void)bytes;
  (void)file;
  return "";
#endif
}

struct CaseFixture : security::test::SecurityFixture {
  registry::PatientRepository registry{*db, keys->cipher(), keys->blindIndex(), clock};
  notes::NoteService notes{*db, *audit, keys->cipher(), registry, clock};
  alerts::EscalationSetup setup;
  CaseService cases{*db,   *audit,          keys->cipher(),          notes,
                    clock, BusinessHours{}, [this] { return setup; }};
  std::int64_t patientA = 0, patientB = 0;
  Actor patient{0, Role::patient, std::nullopt};
  Actor otherPatient{0, Role::patient, std::nullopt};
  Actor provider{0, Role::provider, std::nullopt};
  Actor nurse{0, Role::nurse, std::nullopt};
  Actor stranger{0, Role::provider, std::nullopt};  // a provider outside A's care team
  Actor frontDesk{0, Role::front_desk, std::nullopt};

  CaseFixture() {
    clock.set(at(2026, 12, 4, 16, 0));  // a Friday, 16:00 UTC
    patientA = registry.create({0, "MRN-C1", "Ana", "Silva", "1956-03-02", "UTC", "", {}, true});
    patientB = registry.create({0, "MRN-C2", "Ben", "Okoro", "1961-07-19", "UTC", "", {}, true});
    patient = {user(Role::patient, "ana@home.example", "patient passphrase 2026", patientA),
               Role::patient, patientA};
    otherPatient = {user(Role::patient, "ben@home.example", "other passphrase 2026", patientB),
                    Role::patient, patientB};
    nurse.id = user(Role::nurse, "rn@clinic.example", "nurse passphrase 2026");
    provider.id = user(Role::provider, "dr@clinic.example", "provider passphrase 2026");
    stranger.id = user(Role::provider, "dr2@clinic.example", "provider2 passphrase 2026");
    frontDesk.id = user(Role::front_desk, "desk@clinic.example", "desk passphrase 2026");
    db->writeSync([&](store::Connection& c) {
      security::SqliteCareTeam::assignIn(c, nurse.id, patientA, admin.id, clock.now());
      security::SqliteCareTeam::assignIn(c, provider.id, patientA, admin.id, clock.now());
    });
  }

  Case opened() { return cases.open(patient, patientA, "skin", "A rash on my arm since Monday."); }
  std::int64_t rows(const std::string& sql) {
    return db->read(
        [&](store::Connection& c) { return c.queryValue<std::int64_t>(sql).value_or(-1); });
  }
  /// Rows of `sql` (one blob column) whose bytes contain `needle`.
  std::int64_t blobsContaining(const std::string& sql, const std::string& needle) {
    return db->read([&](store::Connection& c) {
      std::int64_t n = 0;
      auto st = c.prepare(sql);
      while (st.step()) {
        const auto b = st.getBlob(0);
        if (std::string(b.begin(), b.end()).find(needle) != std::string::npos) ++n;
      }
      return n;
    });
  }
};

// Who calls: a provider and a nurse on patient A's care team, a provider outside it (without
// and with an emergency-access reason), patient A themself, patient B, an admin, the front desk.
enum Who { careProvider, careNurse, strangerW, strangerGlass, ownPatient, otherPt, adminW, desk };
constexpr int kWho = 8;

// By hand, from the issue and docs/cases.md. A = allowed, D = refused as an access. Every call
// is about a case of patient A (opened by A unless the row opens it).
// clang-format off
const std::map<std::string, std::string> kWhoMay = {
    //                        cp cn sp sG pa pb ad fd
    {"open a case",          "D  D  D  D  A  D  D  D"},
    {"add a photo",          "D  D  D  D  A  D  D  D"},
    {"list the cases",       "A  A  D  A  A  D  D  D"},
    {"read the case",        "A  A  D  A  A  D  D  D"},
    {"see a photo",          "A  A  D  A  A  D  D  D"},
    {"write a message",      "A  A  D  A  A  D  D  D"},
    {"ask for photos",       "A  A  D  A  D  D  D  D"},
    {"ask to book a visit",  "A  A  D  A  D  D  D  D"},
    {"close with a note",    "A  A  D  A  D  D  D  D"},
    {"the case queue",       "A  A  A  A  D  D  D  D"},
    {"the worklist counts",  "A  A  A  A  D  D  D  D"},
};
// clang-format on

struct Call {
  Actor actor;
  std::string glass;
};

Call caller(CaseFixture& f, Who w) {
  switch (w) {
    case careProvider:
      return {f.provider, ""};
    case careNurse:
      return {f.nurse, ""};
    case strangerW:
      return {f.stranger, ""};
    case strangerGlass:
      return {f.stranger, "patient unresponsive on a call"};
    case ownPatient:
      return {f.patient, ""};
    case otherPt:
      return {f.otherPatient, ""};
    case adminW:
      return {f.admin, ""};
    case desk:
      return {f.frontDesk, ""};
  }
  return {f.admin, ""};
}

using Action = std::function<void(CaseFixture&, const Call&)>;

const std::map<std::string, Action>& actions() {
  static const std::map<std::string, Action> a = {
      {"open a case",
       [](CaseFixture& f, const Call& c) {
         f.cases.open(c.actor, f.patientA, "question", "Can I take ibuprofen?");
       }},
      {"add a photo",
       [](CaseFixture& f, const Call& c) { f.cases.addPhoto(c.actor, f.opened().id, testJpeg()); }},
      {"list the cases",
       [](CaseFixture& f, const Call& c) { f.cases.listForPatient(c.actor, f.patientA, c.glass); }},
      {"read the case",
       [](CaseFixture& f, const Call& c) { f.cases.get(c.actor, f.opened().id, c.glass); }},
      {"see a photo",
       [](CaseFixture& f, const Call& c) {
         auto k = f.opened();
         auto p = f.cases.addPhoto(f.patient, k.id, testJpeg());
         f.cases.photo(c.actor, k.id, p.id, c.glass);
       }},
      {"write a message",
       [](CaseFixture& f, const Call& c) {
         f.cases.reply(c.actor, f.opened().id, "More detail.", c.glass);
       }},
      {"ask for photos",
       [](CaseFixture& f, const Call& c) {
         f.cases.requestPhotos(c.actor, f.opened().id, "A closer photo, please.", c.glass);
       }},
      {"ask to book a visit",
       [](CaseFixture& f, const Call& c) {
         f.cases.bookVisit(c.actor, f.opened().id, "Please book a video visit.", c.glass);
       }},
      {"close with a note",
       [](CaseFixture& f, const Call& c) {
         f.cases.close(c.actor, f.opened().id, "Contact dermatitis; hydrocortisone 1 %.", c.glass);
       }},
      {"the case queue", [](CaseFixture& f, const Call& c) { f.cases.queue(c.actor); }},
      {"the worklist counts", [](CaseFixture& f, const Call& c) { f.cases.counts(c.actor); }},
  };
  return a;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(CaseServiceTest)

BOOST_AUTO_TEST_CASE(every_role_may_do_what_the_table_says) {
  BOOST_REQUIRE_EQUAL(kWhoMay.size(), actions().size());
  for (const auto& [name, row] : kWhoMay) {
    std::string letters;
    for (char ch : row)
      if (ch != ' ') letters += ch;
    BOOST_REQUIRE_EQUAL(letters.size(), std::size_t{kWho});
    for (int w = 0; w < kWho; ++w) {
      CaseFixture f;
      const auto call = caller(f, static_cast<Who>(w));
      char got = 'A';
      try {
        actions().at(name)(f, call);
      } catch (const AccessDenied&) {
        got = 'D';
      }
      BOOST_TEST(got == letters[static_cast<std::size_t>(w)],
                 name << " by caller " << w << ": expected " << letters[static_cast<std::size_t>(w)]
                      << ", got " << got);
    }
  }
}

BOOST_AUTO_TEST_CASE(a_case_goes_to_the_care_team_with_its_due_time) {
  CaseFixture f;
  auto k = f.opened();
  BOOST_TEST(toString(k.state) == "open");
  // The first provider of the care team, though the nurse joined it first.
  BOOST_TEST(k.assignee == std::optional<std::int64_t>(f.provider.id));
  // Friday 16:00 with 1 business day (8 h, 09:00-17:00 UTC): Monday 16:00; escalation at 80 %,
  // Monday 14:24 (by hand, as in business_time_test).
  BOOST_TEST(core::formatUtc(k.dueAt) == core::formatUtc(at(2026, 12, 7, 16, 0)));
  BOOST_TEST(core::formatUtc(k.escalateAt) == core::formatUtc(at(2026, 12, 7, 14, 24)));
  BOOST_REQUIRE_EQUAL(k.messages.size(), 1u);
  BOOST_TEST(k.messages[0].text == "A rash on my arm since Monday.");
  BOOST_TEST(f.cases.queue(f.nurse).size() == 1u);
  BOOST_TEST(f.cases.queue(f.stranger).empty());
  // The text is stored encrypted.
  BOOST_TEST(f.blobsContaining("SELECT text_enc FROM case_messages", "rash") == 0);
}

BOOST_AUTO_TEST_CASE(asking_for_photos_waits_for_the_patient_and_closing_writes_a_note) {
  CaseFixture f;
  auto k = f.opened();
  f.clock.advance(minutes(30));
  k = f.cases.requestPhotos(f.nurse, k.id, "A closer photo in daylight, please.");
  BOOST_TEST(toString(k.state) == "awaiting_patient");
  BOOST_TEST(k.firstResponseAt.has_value());
  f.cases.addPhoto(f.patient, k.id, testJpeg());
  k = f.cases.get(f.provider, k.id);
  BOOST_TEST(toString(k.state) == "open");
  BOOST_TEST(k.photos.size() == 1u);
  k = f.cases.bookVisit(f.provider, k.id, "Please book a video visit this week.");
  BOOST_TEST(toString(k.messages.back().kind) == "book_visit");
  k = f.cases.close(f.provider, k.id, "Contact dermatitis; hydrocortisone 1 % twice daily.");
  BOOST_TEST(toString(k.state) == "closed");
  BOOST_REQUIRE(k.noteId.has_value());
  BOOST_TEST(k.closedBy == std::optional<std::int64_t>(f.provider.id));
  auto n = f.notes.get(f.provider, f.patientA, *k.noteId);
  BOOST_TEST(notes::toString(n.encounter.kind) == "async_case");
  BOOST_TEST(n.encounter.ref == std::to_string(k.id));
  BOOST_TEST(n.soap.assessment == "Contact dermatitis; hydrocortisone 1 % twice daily.");
  BOOST_TEST(notes::toString(n.state) == "draft");  // the clinician signs it on the notes page
  // The patient sees the closing text; nothing more can be added.
  auto mine = f.cases.get(f.patient, k.id);
  BOOST_TEST(mine.messages.back().text == "Contact dermatitis; hydrocortisone 1 % twice daily.");
  BOOST_CHECK_THROW(f.cases.reply(f.patient, k.id, "Thanks!"), CaseStateError);
  BOOST_CHECK_THROW(f.cases.addPhoto(f.patient, k.id, testJpeg()), CaseStateError);
  BOOST_CHECK_THROW(f.cases.close(f.provider, k.id, "again"), CaseStateError);
}

BOOST_AUTO_TEST_CASE(escalates_once_to_the_covering_provider_at_eighty_percent) {
  CaseFixture f;
  // Dr. (the assignee) is covered by the stranger from Friday to Tuesday.
  f.setup.coverage.push_back(
      {1, f.provider.id, f.stranger.id, at(2026, 12, 4, 0, 0), at(2026, 12, 8, 0, 0), "", 0, {}});
  auto k = f.opened();
  BOOST_TEST(!f.cases.get(f.provider, k.id).escalatedAt.has_value());
  f.clock.set(at(2026, 12, 7, 14, 23));  // Monday 14:23: a minute early
  BOOST_TEST(f.cases.escalateDue().empty());
  // Before the escalation the stranger may not read it.
  BOOST_CHECK_THROW(f.cases.get(f.stranger, k.id), AccessDenied);
  f.clock.set(at(2026, 12, 7, 14, 24));
  auto done = f.cases.escalateDue();
  BOOST_REQUIRE_EQUAL(done.size(), 1u);
  BOOST_TEST(done[0].escalatedTo == std::optional<std::int64_t>(f.stranger.id));
  f.clock.set(at(2026, 12, 7, 16, 30));  // overdue now, but escalated already: once
  BOOST_TEST(f.cases.escalateDue().empty());
  BOOST_TEST(f.rows("SELECT count(*) FROM audit_log WHERE action = 'case.escalate'") == 1);
  // Visible on the case, and the covering provider works it outside the care team.
  auto seen = f.cases.get(f.stranger, k.id);
  BOOST_TEST(core::formatUtc(*seen.escalatedAt) == core::formatUtc(at(2026, 12, 7, 14, 24)));
  BOOST_TEST(f.cases.queue(f.stranger).size() == 1u);
  BOOST_TEST(f.cases.counts(f.stranger).escalatedToMe == 1);
  f.cases.reply(f.stranger, k.id, "Covering for Dr. today: a photo in daylight, please.");
  // SQL refuses a second escalation time whatever the code.
  BOOST_CHECK_THROW(f.db->writeSync([&](store::Connection& c) {
    c.execute("UPDATE cases SET escalated_at = 1 WHERE id = ?1", k.id);
  }),
                    StoreError);
}

BOOST_AUTO_TEST_CASE(without_a_cover_the_next_clinician_of_the_chain_gets_it) {
  CaseFixture f;
  f.setup.clinicChain = {f.provider.id, f.nurse.id};
  auto k = f.opened();
  f.clock.set(at(2026, 12, 7, 15, 0));
  auto done = f.cases.escalateDue();
  BOOST_REQUIRE_EQUAL(done.size(), 1u);
  BOOST_TEST(done[0].escalatedTo == std::optional<std::int64_t>(f.nurse.id));
  (void)k;
}

BOOST_AUTO_TEST_CASE(an_answered_case_does_not_escalate) {
  CaseFixture f;
  f.setup.clinicChain = {f.provider.id, f.nurse.id};
  auto k = f.opened();
  f.clock.set(at(2026, 12, 7, 10, 0));
  f.cases.reply(f.nurse, k.id, "Looking at it now.");
  f.clock.set(at(2026, 12, 8, 10, 0));
  BOOST_TEST(f.cases.escalateDue().empty());
  auto n = f.cases.counts(f.provider);
  BOOST_TEST(n.open == 1);
  BOOST_TEST(n.waiting == 0);
}

BOOST_AUTO_TEST_CASE(the_worklist_counts_due_soon_and_overdue) {
  CaseFixture f;
  f.opened();  // Friday 16:00: escalates Monday 14:24, due Monday 16:00
  f.clock.set(at(2026, 12, 7, 9, 0));
  f.opened();  // Monday 09:00: escalates Monday 15:24, due Monday 17:00
  f.clock.set(at(2026, 12, 7, 15, 0));
  auto n = f.cases.counts(f.nurse);
  BOOST_TEST(n.open == 2);
  BOOST_TEST(n.waiting == 2);
  BOOST_TEST(n.dueSoon == 1);
  BOOST_TEST(n.overdue == 0);
  f.clock.set(at(2026, 12, 7, 16, 30));
  n = f.cases.counts(f.nurse);
  BOOST_TEST(n.dueSoon == 2);
  BOOST_TEST(n.overdue == 1);
}

BOOST_AUTO_TEST_CASE(a_stored_photo_has_no_exif_or_gps) {
  CaseFixture f;
  const auto upload = jpegWithGps();
#ifdef VIGIL_EXIFTOOL
  // The upload really carries a position a real EXIF reader finds.
  const auto before = exiftool(upload, f.dir / "upload.jpg");
  BOOST_TEST(before.find("GPSLatitude") != std::string::npos, before);
  BOOST_TEST(before.find("GPSLongitude") != std::string::npos, before);
#else
  BOOST_TEST_MESSAGE("exiftool not found at configure time: checked by bytes only");
#endif
  auto k = f.opened();
  auto p = f.cases.addPhoto(f.patient, k.id, upload);
  BOOST_TEST(p.mediaType == "image/jpeg");
  auto stored = f.cases.photo(f.provider, k.id, p.id);
  BOOST_TEST(stored.bytes == testJpeg());  // the encoder's image, byte for byte, no EXIF
  BOOST_TEST(stored.bytes.find("Exif") == std::string::npos);
#ifdef VIGIL_EXIFTOOL
  const auto after = exiftool(stored.bytes, f.dir / "stored.jpg");
  BOOST_TEST(after.find("GPS") == std::string::npos, after);
  BOOST_TEST(after.find("EXIF") == std::string::npos, after);
  BOOST_TEST(after.find("ImageWidth") != std::string::npos, after);  // still a picture
#endif
  // Encrypted at rest: the JFIF header is nowhere in the table.
  BOOST_TEST(f.blobsContaining("SELECT image_enc FROM case_photos", "JFIF") == 0);
}

BOOST_AUTO_TEST_CASE(the_limits_refuse_with_what_was_too_much) {
  CaseFixture f;
  auto k = f.opened();
  try {
    f.cases.addPhoto(f.patient, k.id, std::string(700 * 1024 + 1, 'x'));
    BOOST_FAIL("a photo over 700 KiB was taken");
  } catch (const CaseLimitError& e) {
    BOOST_TEST(e.tooLarge());
  }
  BOOST_CHECK_THROW(f.cases.addPhoto(f.patient, k.id, "not a picture at all"), ValidationError);
  for (int i = 0; i < 5; ++i) f.cases.addPhoto(f.patient, k.id, testJpeg());
  try {
    f.cases.addPhoto(f.patient, k.id, testJpeg());
    BOOST_FAIL("a sixth photo was taken");
  } catch (const CaseLimitError& e) {
    BOOST_TEST(!e.tooLarge());
  }
  BOOST_TEST(f.rows("SELECT count(*) FROM case_photos") == 5);
  BOOST_CHECK_THROW(f.cases.reply(f.patient, k.id, std::string(4001, 'a')), CaseLimitError);
  BOOST_CHECK_NO_THROW(f.cases.reply(f.patient, k.id, std::string(4000, 'a')));
  BOOST_CHECK_THROW(f.cases.reply(f.patient, k.id, "  \n "), CaseLimitError);
  BOOST_CHECK_THROW(f.cases.open(f.patient, f.patientA, "gossip", "Hello"), ValidationError);
}

BOOST_AUTO_TEST_SUITE_END()
