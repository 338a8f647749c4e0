#pragma once
// A FHIR R4 Bundle of type "collection" (a set of resources kept together, not a search's
// answer), and the patient's record as the download reads it (its resources are the FHIR API's
// $everything, compartment.hpp).

#include <Poco/JSON/Object.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "vigil/core/clock.hpp"
#include "vigil/notes/notes.hpp"
#include "vigil/patients/consent.hpp"
#include "vigil/patients/patient_record.hpp"
#include "vigil/readings/reading_query.hpp"
#include "vigil/video/visit.hpp"

namespace vigil::fhir {

/// One of the patient's video visits with the name of the clinician who ran it.
struct VisitData {
  video::Visit visit;
  std::string providerName;
};

/// One of the patient's signed clinical notes with the names of the clinicians on it. The
/// patient's own copy carries what the portal's visit summaries show (assessment, plan and the
/// addenda); clinicians' copies the whole note.
struct NoteData {
  notes::Note note;
  std::string signerName, cosignerName;
  std::vector<std::string> addendumAuthors;  // by addendum, same order
  bool summaryOnly = false;
};

/// Everything of one patient's record that one reader may see, read in one snapshot.
struct PatientRecordData {
  patients::PatientRecord record;  // clinical lists empty unless record.clinicalIncluded
  bool readingsIncluded = false;
  std::vector<readings::ReceivedReading> readings;  // oldest first
  bool readingsTruncated = false;                   // more than kMaxExportReadings
  bool consentsIncluded = false;
  std::vector<patients::Signature> signatures;                  // newest first
  std::map<std::int64_t, patients::ConsentDocument> documents;  // signed versions by id
  bool visitsIncluded = false;
  std::vector<VisitData> visits;  // by start time
  bool notesIncluded = false;
  std::vector<NoteData> notes;  // signed notes, oldest signature first
};

/// One entry of a Bundle.
struct BundleEntry {
  std::string fullUrl;  // "<base>/<Type>/<id>", or "urn:uuid:<uuid>"
  Poco::JSON::Object::Ptr resource;
};

/// A fresh random (version 4) UUID, lower case.
std::string newUuid();

/// {"resourceType":"Bundle","id":…,"type":"collection","timestamp":…,"entry":[…]}.
Poco::JSON::Object::Ptr collectionBundle(const std::string& id, TimePoint timestamp,
                                         const std::vector<BundleEntry>& entries);

}  // namespace vigil::fhir
