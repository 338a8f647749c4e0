-- 0039 Indexes for the practice reports (issue 30, docs/reports.md): each report reads the
-- rows of a period through an index on the time that puts a row in the period, not a scan of
-- a year of a 5,000-patient practice.
--   alerts (vigil::alerts, alertReportIn and the alert-response page): alerts raised in a period.
CREATE INDEX alerts_by_raised ON alerts (raised_at);
--   claim_lines (vigil::billing, billingReportIn): lines by their date of service.
CREATE INDEX claim_lines_by_service_date ON claim_lines (service_date);
--   remittance_claims (vigil::billing, billingReportIn): payments and denials by posting time.
CREATE INDEX remittance_claims_by_posted ON remittance_claims (posted_at);
