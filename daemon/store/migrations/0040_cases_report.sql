-- 0040 The case report (issue 30, docs/reports.md "Async cases"; owned by vigil::cases): the
-- cases opened in a period, read by opening time (cases::caseReportIn). cases_by_patient (0030)
-- leads with the patient.
CREATE INDEX cases_by_opened ON cases (opened_at);
