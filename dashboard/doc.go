// Package dashboard is Manhattan's experiment dashboard: server-rendered HTML pages
// over the committed results of the PostgreSQL store (docs/dashboard.md explains every
// figure). The list of tests gives each test's status, visitors, verdict on its
// primary goal and the time of the last committed epoch. A test's page gives a verdict
// in plain words (the winner on the primary goal, the guardrails, the sample ratio,
// whether enough visitors were seen), the results grouped primary / secondary /
// guardrail with their good direction (frequentist or Bayesian, package analysis
// through package query), the cumulative mean and lift by day of arrival as inline
// SVG, breakdowns by site or by a rollup with the same statistics per slice, a date
// range of arrival, the test's settings (saved through the API), and a CSV export.
//
// Invariants:
//   - Pages read the store only; the dashboard never writes (the settings form writes
//     through the API's config endpoint).
//   - Every figure comes from query.Service's analysis; the page only formats it (a
//     rate as a percentage, a value mean in its goal's format: money, percent, number).
//   - One time zone throughout: the cohort rollup's (UTC without one), named on the page.
//   - A page is rendered once per URL and commit mark of the store (query.Service.Memo).
//   - Templates and assets are embedded; a page loads nothing from other hosts (the
//     Content-Security-Policy allows only the dashboard's own style sheet and script,
//     and the pages work without the script, saving the settings aside).
//   - Every value from the store or the request reaches the page through html/template,
//     which escapes it for its context; CSV text cells are guarded against formulas.
//   - A request parameter that does not fit the test or the store (an unknown
//     population, goal or mode, a site that is not an integer) is answered with 400 and
//     a message; an unknown test or path with 404; a store failure with 500, logged.
package dashboard
