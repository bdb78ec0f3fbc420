-- The analysis configuration of split tests, edited by `manhattan test set` and the API.
-- A test without a row is analysed with the defaults. weights maps populations to their
-- expected shares (empty: equal shares); guardrails is a list of
-- {"goal": name, "lower_is_better": bool}.
CREATE TABLE test_configs (
    test            text PRIMARY KEY,
    control         text NOT NULL DEFAULT '',
    primary_goal    text NOT NULL DEFAULT '',
    secondary_goals text[] NOT NULL DEFAULT '{}',
    guardrails      jsonb NOT NULL DEFAULT '[]',
    weights         jsonb NOT NULL DEFAULT '{}',
    correction      text NOT NULL DEFAULT 'none' CHECK (correction IN ('none', 'holm', 'bh')),
    sequential      boolean NOT NULL DEFAULT false,
    status          text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'stopped', 'shipped')),
    notes           text NOT NULL DEFAULT '',
    updated_at      timestamptz NOT NULL DEFAULT now()
);
