-- 0038 The visit report (issue 30, docs/reports.md "Visits and utilisation"; owned by
-- vigil::scheduling): the practice's appointments starting in a period, whatever their provider,
-- read by start time (scheduling::visitReportIn). A provider's or a clinic group's report reads
-- appointments_by_provider (0025) instead.
CREATE INDEX appointments_by_start ON appointments (starts_at);
