-- 0012 Clinical free text encrypted (issue 18): what a person types next to an alert (a
-- resolution or escalation note, a snooze reason, the reason for a limit change) and an on-call
-- cover's note are PHI; they are stored field-encrypted in <column>_enc like every other PHI
-- field (security/encrypted_fields.cpp). The old plaintext columns stay (SQLite keeps its columns)
-- but are written empty; vigild seals any text an older version left in them at start-up
-- (AlertRepository::sealLegacyText) with secure_delete on, so the plaintext is overwritten.
ALTER TABLE alerts ADD COLUMN resolution_note_enc BLOB;
ALTER TABLE alert_events ADD COLUMN note_enc BLOB;
ALTER TABLE alert_suppressions ADD COLUMN reason_enc BLOB;
ALTER TABLE alert_rules ADD COLUMN reason_enc BLOB;
ALTER TABLE oncall_coverage ADD COLUMN note_enc BLOB;

-- Quarantined payloads were sealed under the physical column name (payload_enc) while key
-- rotation re-seals under the listed name (payload), so `vigild keys reencrypt` could not read
-- them. They are refused device input kept for review only: dropped, not converted.
UPDATE quarantine SET payload_enc = NULL WHERE payload_enc IS NOT NULL;
