-- The check of a pointer: a checksum of the log line just before its offset, so that a
-- log file truncated and written again is told from the one the pointer was taken on.
-- 0 means not known (pointers committed before this column existed).
ALTER TABLE pointers ADD COLUMN line_check bigint NOT NULL DEFAULT 0;
