// Package api is Manhattan's HTTP server: a versioned JSON API over the committed state
// in PostgreSQL (the queries of docs/semantics.md and the store's status), /healthz, /metrics,
// and the experiment dashboard mounted at "/". Each endpoint is a query of package
// query, which checks the parameters and answers with the documents it defines; this
// package routes, authenticates, bounds and encodes.
//
// Endpoints (GET or HEAD unless said otherwise; parameters in the query string):
//
//	/api/v1/count         goal, test, population, rollup, bucket, site
//	/api/v1/value         goal, test, population, rollup, bucket, site
//	/api/v1/tests
//	/api/v1/tests/{name}/config  GET; PUT (replace) or PATCH (change) with a JSON body
//	/api/v1/goals
//	/api/v1/results       test, goals (comma-separated, repeatable), site
//	/api/v1/analysis      test, goals, site, breakdown (a rollup, or site) or cohort, from, to
//	/api/v1/series        goal, test, population, rollup, site
//	/api/v1/dead-letters  source, limit
//	/api/v1/status
//	/api/v1/              the list of endpoints
//	/api/v1/openapi.json  the OpenAPI 3.1 description of the endpoints
//	/healthz              pings the database; never needs the token
//	/metrics              Prometheus text format
//
// Invariants kept by the server:
//   - Every answer of /api/ is JSON. Counts are numbers; decimal values are strings
//     holding the exact decimal, so no client-side float rounds them. Errors are
//     {"error": "..."} with 400 (bad parameter), 401 (token), 404 (unknown endpoint, or
//     a test or goal the store has never seen, naming those it has), 405 (method), 413
//     and 415 (a change's body), 414 (URL too long) or 500/503 (the database; details go
//     to the server log, not to the client).
//   - Requests are bounded: the URL (MaxURLLength), each parameter value
//     (messages.MaxFieldLength characters, like log fields), the number of goals
//     (Options.MaxGoals), dead letters per answer (query.MaxDeadLetters); unknown or repeated
//     parameters are rejected rather than ignored, so a typo never silently widens a
//     query.
//   - With Options.Token set, /api/, /metrics and the dashboard need
//     "Authorization: Bearer <token>" (or HTTP basic auth with the token as password, so
//     a browser can open the dashboard); the comparison takes constant time. /healthz
//     stays open for load balancers.
//   - The store is read through query.Store; the only write is a test's configuration
//     (PUT and PATCH, which need the token like every request when one is set). SQL is
//     built by package persistence with bound parameters.
//
// CheckListen holds the listening policy (loopback unless a token or an explicit opt-out
// is given) and Serve runs a server until its context ends, then shuts it down
// gracefully.
package api
