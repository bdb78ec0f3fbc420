package api

import (
	"io"
	"net/http"
)

// index is the page at "/" when the server has no dashboard: it lists the API.
func index(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = io.WriteString(w, indexPage)
}

const indexPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Manhattan</title></head>
<body>
<h1>Manhattan</h1>
<p>JSON API, version 1 (parameters in the query string, decimal values as strings):</p>
<ul>
<li><a href="api/v1/tests">/api/v1/tests</a> — split tests, newest first</li>
<li>/api/v1/tests/T/config — a test's analysis configuration (GET; PUT or PATCH with JSON)</li>
<li><a href="api/v1/goals">/api/v1/goals</a> — goals with value type and format</li>
<li>/api/v1/count?goal=G&amp;test=T&amp;population=P&amp;rollup=all&amp;bucket=0&amp;site=1</li>
<li>/api/v1/value?goal=G&amp;test=T&amp;population=P&amp;rollup=all&amp;bucket=0&amp;site=1</li>
<li>/api/v1/results?test=T&amp;goals=G1,G2&amp;site=1</li>
<li>/api/v1/analysis?test=T&amp;goals=G1,G2&amp;site=1&amp;breakdown=browser (or cohort=first_day_UTC&amp;from=2013-03-01&amp;to=2013-03-07)</li>
<li>/api/v1/series?goal=G&amp;rollup=pst_day</li>
<li><a href="api/v1/dead-letters">/api/v1/dead-letters</a>?source=default&amp;limit=100</li>
<li><a href="api/v1/status">/api/v1/status</a></li>
<li><a href="metrics">/metrics</a> (Prometheus), <a href="healthz">/healthz</a></li>
</ul>
</body></html>
`
