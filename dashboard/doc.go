// Package dashboard is Manhattan's experiment dashboard: server-rendered HTML pages
// over the committed results of the PostgreSQL store — the list of split tests, and
// per test the visitors per population, conversions, conversion rates, lifts against a
// control population with confidence intervals and p-values (package analysis), goal
// values, a sample-ratio-mismatch warning, a daily chart as inline SVG, and a CSV
// export of the results table.
//
// Invariants:
//   - Pages read the store only; the dashboard never writes.
//   - Templates and assets are embedded; a page loads nothing from other hosts (the
//     Content-Security-Policy allows only the dashboard's own style sheet and script,
//     and the pages work without the script).
//   - Every value from the store or the request reaches the page through html/template,
//     which escapes it for its context; CSV text cells are guarded against formulas.
//   - A request parameter that does not fit the test or the store (an unknown
//     population, goal or mode, a site that is not an integer) is answered with 400 and
//     a message; an unknown test or path with 404; a store failure with 500, logged.
package dashboard
