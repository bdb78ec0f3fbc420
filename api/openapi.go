package api

import (
	_ "embed"
	"net/http"
)

// OpenAPI is the OpenAPI 3.1 description of the HTTP API, served at
// Prefix+"openapi.json". A test of this package checks it against the answer types and
// validates every answer of the package's tests against it.
//
//go:embed openapi.json
var OpenAPI []byte

// openAPI answers the description.
func openAPI(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		writeError(w, http.StatusMethodNotAllowed, "the OpenAPI description answers GET")
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_, _ = w.Write(OpenAPI)
}
