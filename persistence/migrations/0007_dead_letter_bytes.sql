-- The exact bytes of a dead letter's line. raw is text, which cannot hold a NUL byte or
-- invalid UTF-8, so there such bytes are written as \xNN escapes, and a line that held the
-- text "\x00" would read back like one that held a NUL: raw_bytes keeps the line as it
-- was. NULL for dead letters stored before this column existed.
ALTER TABLE dead_letters ADD COLUMN raw_bytes bytea;
