-- Undo migration 0003's SQL part (the tables themselves are dropped by the migration).
DROP SCHEMA IF EXISTS live_parts CASCADE;
