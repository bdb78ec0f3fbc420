package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/manhattan-analytics/manhattan/query"
)

// MaxBodyLength bounds the body of a PUT or PATCH.
const MaxBodyLength = 64 << 10

// configPath returns the test of a path /api/v1/tests/{name}/config (the name
// percent-decoded), and false for any other path.
func configPath(r *http.Request) (string, bool) {
	rest, ok := strings.CutPrefix(r.URL.EscapedPath(), Prefix+"tests/")
	if !ok {
		return "", false
	}
	escaped, ok := strings.CutSuffix(rest, "/config")
	if !ok || escaped == "" || strings.Contains(escaped, "/") {
		return "", false
	}
	name, err := url.PathUnescape(escaped)
	return name, err == nil
}

// config answers GET, PUT (replace) and PATCH (change the given fields) of a test's
// configuration.
func (s *Server) config(w http.ResponseWriter, r *http.Request) {
	test, _ := configPath(r)
	w.Header().Set("Cache-Control", "no-store")
	ctx, cancel := context.WithTimeout(r.Context(), s.opts.QueryTimeout)
	defer cancel()
	var (
		answer query.ConfigAnswer
		err    error
	)
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		if r.URL.RawQuery != "" {
			err = &requestError{status: http.StatusBadRequest, msg: "this endpoint takes no parameters"}
			break
		}
		answer, err = s.queries.TestConfig(ctx, test)
	case http.MethodPut, http.MethodPatch:
		var change query.ConfigChange
		if change, err = readChange(w, r); err == nil {
			answer, err = s.queries.SetTestConfig(ctx, test, change, r.Method == http.MethodPut)
		}
	default:
		w.Header().Set("Allow", "GET, HEAD, PUT, PATCH")
		err = &requestError{status: http.StatusMethodNotAllowed, msg: fmt.Sprintf("method %s not allowed: use GET, PUT or PATCH", r.Method)}
	}
	if err != nil {
		s.writeFailure(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, answer)
}

// readChange decodes the JSON body of a configuration change, refusing unknown fields.
func readChange(w http.ResponseWriter, r *http.Request) (query.ConfigChange, error) {
	var change query.ConfigChange
	bad := func(format string, args ...any) error {
		return &requestError{status: http.StatusBadRequest, msg: fmt.Sprintf(format, args...)}
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return change, &requestError{status: http.StatusUnsupportedMediaType, msg: "send the configuration as Content-Type: application/json"}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyLength))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return change, &requestError{status: http.StatusRequestEntityTooLarge, msg: fmt.Sprintf("body longer than %d bytes", MaxBodyLength)}
		}
		return change, bad("read body: %v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&change); err != nil {
		return change, bad("body: %v", err)
	}
	if dec.More() {
		return change, bad("body: one JSON object expected")
	}
	return change, nil
}
