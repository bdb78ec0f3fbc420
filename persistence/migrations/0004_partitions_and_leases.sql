-- Pointers per (source, partition), with their ownership (DESIGN §5, §10).
--
-- A log is split into partitions (the hourly files are the one partition 0); each
-- partition of a source has its own pointer row. The row also says which process owns
-- the partition: owner (a process name, '' when none), token (the fencing token of the
-- current grant: it grows every time the partition is granted to another owner) and
-- lease_until (when the owner's lease ends unless renewed). A commit is refused unless it
-- carries the current owner and token; it checks them under the row lock it takes anyway.
--
-- Existing pointers become partition 0 of their source, unowned, with token 0: nothing
-- of them is lost and the next ingest claims them.
ALTER TABLE pointers ADD COLUMN partition integer NOT NULL DEFAULT 0;
ALTER TABLE pointers DROP CONSTRAINT pointers_pkey;
ALTER TABLE pointers ADD PRIMARY KEY (source, partition);
ALTER TABLE pointers ADD COLUMN owner text NOT NULL DEFAULT '';
ALTER TABLE pointers ADD COLUMN token bigint NOT NULL DEFAULT 0;
ALTER TABLE pointers ADD COLUMN lease_until timestamptz NOT NULL DEFAULT 'epoch';

-- Dead letters say which partition their pointer belongs to.
ALTER TABLE dead_letters ADD COLUMN partition integer NOT NULL DEFAULT 0;
