-- Settings of the schema as a whole. The key 'switched_to' names the schema that serves
-- in this one's place after `manhattan db switch` (a rebuild by `manhattan reprocess`):
-- processes configured with this schema follow it.
CREATE TABLE settings (
    key        text PRIMARY KEY,
    value      text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
