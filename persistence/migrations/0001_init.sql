-- Manhattan's tables. Migrate runs this file with search_path set to the store's schema,
-- so every name below lands in that schema.

-- The committed position of each log source, with the number of its last epoch.
CREATE TABLE pointers (
    source     text PRIMARY KEY,
    file       bigint NOT NULL,
    "offset"   bigint NOT NULL,
    epoch      bigint NOT NULL,
    records    bigint NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Visitor histories in their versioned binary encoding.
CREATE TABLE histories (
    vid  text PRIMARY KEY,
    data bytea NOT NULL
);

-- Split tests: first and last impression timestamps and the populations seen.
CREATE TABLE tests (
    name        text PRIMARY KEY,
    first_ts    bigint NOT NULL,
    last_ts     bigint NOT NULL,
    populations text[] NOT NULL
);

-- Goal metadata, fixed by the goal's first conversion record in log order, which stands
-- at (at_file, at_offset).
CREATE TABLE goals (
    name         text PRIMARY KEY,
    value_type   text NOT NULL,
    value_format text NOT NULL,
    at_file      bigint NOT NULL,
    at_offset    bigint NOT NULL
);

CREATE TABLE conversions (
    goal   text NOT NULL,
    rollup text NOT NULL,
    bucket text NOT NULL,
    site   bigint NOT NULL,
    count  bigint NOT NULL,
    value  numeric NOT NULL,
    PRIMARY KEY (goal, rollup, bucket, site)
);

CREATE TABLE impressions (
    test       text NOT NULL,
    population text NOT NULL,
    rollup     text NOT NULL,
    bucket     text NOT NULL,
    site       bigint NOT NULL,
    count      bigint NOT NULL,
    PRIMARY KEY (test, population, rollup, bucket, site)
);

CREATE TABLE variant_conversions (
    goal       text NOT NULL,
    test       text NOT NULL,
    population text NOT NULL,
    rollup     text NOT NULL,
    bucket     text NOT NULL,
    site       bigint NOT NULL,
    count      bigint NOT NULL,
    value      numeric NOT NULL,
    PRIMARY KEY (goal, test, population, rollup, bucket, site)
);

-- Log lines that could not be processed: the raw line, the pointer just past it, why.
CREATE TABLE dead_letters (
    id         bigserial PRIMARY KEY,
    source     text NOT NULL,
    file       bigint NOT NULL,
    "offset"   bigint NOT NULL,
    raw        text NOT NULL,
    reason     text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX dead_letters_source_id ON dead_letters (source, id);
