-- Live data (migration 0003): the schema holding the partitions of the history tables, their
-- default partitions (whatever no dated partition takes: nothing is ever refused), and the
-- retention of each partitioned table. Dated partitions are made by assets/live/partitions.py.
CREATE SCHEMA IF NOT EXISTS live_parts;

-- Every message rewrites its asset's live row: leave room in each page so updates stay in place (HOT).
ALTER TABLE live_state SET (fillfactor = 70);

CREATE TABLE live_parts.telemetry_default PARTITION OF telemetry DEFAULT;
CREATE TABLE live_parts.ingest_keys_default PARTITION OF ingest_keys DEFAULT;
CREATE TABLE live_parts.vehicle_positions_default PARTITION OF vehicle_positions DEFAULT;

-- Telemetry: 400 days (a year and a month: year-on-year energy comparisons).
-- Deduplication keys: 30 days (redeliveries come within minutes; later ones are out of scope).
-- Vehicle tracks: 60 days (CNIL guidance on the geolocation of employees' vehicles: two months).
INSERT INTO live_retention (table_name, part_interval, keep_days, premake_days) VALUES
    ('telemetry', 'day', 400, 3),
    ('ingest_keys', 'day', 30, 3),
    ('vehicle_positions', 'day', 60, 3);
