-- The processes that share the partitions of a source (DESIGN §10): each live process
-- renews its row's lease while it runs, so that every process can count the live ones
-- and claim its fair share of the partitions, even before it owns any.
CREATE TABLE source_members (
    source      text NOT NULL,
    owner       text NOT NULL,
    lease_until timestamptz NOT NULL,
    PRIMARY KEY (source, owner)
);
