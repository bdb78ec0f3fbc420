package api

import (
	"net/http"
	"slices"
)

// EndpointInfo describes one endpoint in the index served at Prefix.
type EndpointInfo struct {
	Path        string   `json:"path"`
	Methods     []string `json:"methods"`
	Description string   `json:"description"`
	Example     string   `json:"example,omitempty"`
}

// Index is the answer at Prefix (/api/v1/): what the API offers.
type Index struct {
	API       string         `json:"api"`
	Endpoints []EndpointInfo `json:"endpoints"`
}

// endpointDocs describes the JSON endpoints by name (the part after Prefix).
var endpointDocs = map[string]EndpointInfo{
	"tests":        {Description: "split tests, newest first"},
	"goals":        {Description: "goals with value type and format"},
	"count":        {Description: "visitors who converted on a goal, or impressions of a test population", Example: "count?goal=G&test=T&population=P&rollup=all&bucket=0&site=1"},
	"value":        {Description: "the value of a goal (sum, average or per visitor, by its type)", Example: "value?goal=G&rollup=all&bucket=0"},
	"results":      {Description: "a test's results table: visitors and conversions per population and goal", Example: "results?test=T&goals=G1,G2&site=1"},
	"analysis":     {Description: "a test's statistical analysis per goal", Example: "analysis?test=T&goals=G1,G2&breakdown=browser"},
	"series":       {Description: "a goal's conversions per bucket of a rollup", Example: "series?goal=G&rollup=pst_day"},
	"dead-letters": {Description: "malformed log lines, newest first", Example: "dead-letters?source=default&limit=100"},
	"status":       {Description: "schema, pointers, row counts and the live ingest (with log data not read)"},
}

// apiIndex answers with the list of endpoints.
func (s *Server) apiIndex(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		writeError(w, http.StatusMethodNotAllowed, "the index of the API answers GET")
		return
	}
	writeJSON(w, http.StatusOK, s.index())
}

// index lists the endpoints: the JSON index at Prefix and the HTML page at "/" without
// a dashboard both show it.
func (s *Server) index() Index {
	out := Index{API: Prefix}
	names := make([]string, 0, len(s.endpoints))
	for name := range s.endpoints {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		e := endpointDocs[name]
		e.Path, e.Methods = Prefix+name, []string{http.MethodGet}
		if e.Example != "" {
			e.Example = Prefix + e.Example
		}
		out.Endpoints = append(out.Endpoints, e)
	}
	out.Endpoints = append(out.Endpoints, EndpointInfo{
		Path: Prefix + "tests/{test}/config", Methods: []string{http.MethodGet, http.MethodPut, http.MethodPatch},
		Description: "a test's analysis configuration (PUT or PATCH with JSON)",
	}, EndpointInfo{
		Path: Prefix + "openapi.json", Methods: []string{http.MethodGet},
		Description: "the OpenAPI 3.1 description of this API",
	})
	return out
}
