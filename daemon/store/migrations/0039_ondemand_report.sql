-- 0039 The on-demand report (issue 30, docs/reports.md "On-demand care"; owned by
-- vigil::ondemand): the requests made in a period, read by request time
-- (ondemand::onDemandReportIn). ondemand_by_patient (0029) leads with the patient.
CREATE INDEX ondemand_requests_by_time ON ondemand_requests (requested_at);
