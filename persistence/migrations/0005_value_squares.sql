-- Per-visitor value squares (DESIGN §3): the sum over visitors of the square of each
-- visitor's running total of the counter's values, kept for the counters of per-visitor
-- rollups (all time, cohorts). NULL means not known: the counters of other rollups, and
-- every counter that existed before this column did (its visitors' totals were not kept).
-- A sum with NULL stays NULL, so such a counter never pretends to know its squares.
ALTER TABLE conversions ADD COLUMN value_squares numeric;
ALTER TABLE variant_conversions ADD COLUMN value_squares numeric;
