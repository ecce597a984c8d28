-- export.failed version 2 carries a stable code for programs next to the reason for people
-- (events.ExportFailedV2; version 1 events are upcast, their code derived from their reason).
ALTER TABLE exports_v1 ADD COLUMN reason_code text;
CREATE OR REPLACE VIEW exports AS SELECT * FROM exports_v1;
