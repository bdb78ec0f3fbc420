package api_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manhattan-analytics/manhattan/api"
	"github.com/manhattan-analytics/manhattan/internal/fixtures"
	"github.com/manhattan-analytics/manhattan/query"
)

var updateOpenAPI = flag.Bool("update-openapi", false, "rewrite api/openapi.json from the answer types")

// The description's schemas are generated from the Go answer types (so they match them
// field for field); the paths and parameters are listed here. TestOpenAPIIsUpToDate
// fails when api/openapi.json differs from what they give (go test ./api
// -run TestOpenAPIIsUpToDate -update-openapi rewrites it).

type obj = map[string]any

// schemas collects the component schemas of Go types.
type schemas struct{ defs obj }

var (
	timeType    = reflect.TypeFor[time.Time]()
	decimalType = reflect.TypeFor[decimal.Decimal]()
)

// name is the component name of a struct type: the analysis package's types are
// prefixed with Stats.
func (s *schemas) name(t reflect.Type) string {
	if strings.HasSuffix(t.PkgPath(), "/analysis") {
		return "Stats" + t.Name()
	}
	return t.Name()
}

// of returns the schema of values of t, adding the structs it uses to the components.
func (s *schemas) of(t reflect.Type) obj {
	switch {
	case t == timeType:
		return obj{"type": "string", "format": "date-time"}
	case t == decimalType:
		return obj{"type": "string", "description": "an exact decimal", "pattern": `^-?[0-9]+(\.[0-9]+)?$`}
	}
	switch t.Kind() {
	case reflect.Pointer:
		return nullable(s.of(t.Elem()))
	case reflect.Slice:
		return obj{"type": "array", "items": s.of(t.Elem())}
	case reflect.Map:
		return obj{"type": "object", "additionalProperties": s.of(t.Elem())}
	case reflect.String:
		return obj{"type": "string"}
	case reflect.Bool:
		return obj{"type": "boolean"}
	case reflect.Int, reflect.Int64, reflect.Int32:
		return obj{"type": "integer"}
	case reflect.Float64:
		return obj{"type": "number"}
	case reflect.Struct:
		name := s.name(t)
		if _, ok := s.defs[name]; !ok {
			s.defs[name] = obj{} // a placeholder against recursion
			props, required := obj{}, []string{}
			s.fields(t, props, &required)
			slices.Sort(required)
			s.defs[name] = obj{"type": "object", "properties": props, "required": required, "additionalProperties": false}
		}
		return obj{"$ref": "#/components/schemas/" + name}
	}
	panic(fmt.Sprintf("openapi: no schema for %v", t))
}

// fields adds the JSON fields of struct t (embedded structs' included).
func (s *schemas) fields(t reflect.Type, props obj, required *[]string) {
	for f := range t.Fields() {
		tag := f.Tag.Get("json")
		if f.Anonymous && tag == "" {
			s.fields(f.Type, props, required)
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		sch := s.of(f.Type)
		if opts == "omitempty" {
			if f.Type.Kind() == reflect.Pointer {
				sch = s.of(f.Type.Elem()) // absent rather than null
			}
		} else {
			*required = append(*required, name)
		}
		props[name] = sch
	}
}

// nullable is sch or null.
func nullable(sch obj) obj {
	if typ, ok := sch["type"].(string); ok && len(sch) == 1 || ok && sch["format"] != nil {
		out := obj{}
		for k, v := range sch {
			out[k] = v
		}
		out["type"] = []string{typ, "null"}
		return out
	}
	return obj{"oneOf": []obj{sch, {"type": "null"}}}
}

// paramDocs describe the query parameters.
var paramDocs = map[string]string{
	"goal":       "a goal name",
	"test":       "a split test's name",
	"population": "a population (variant) of the test",
	"rollup":     "a rollup (default all); for an analysis, see breakdown and cohort",
	"bucket":     "a bucket of the rollup (default 0)",
	"site":       "an integer site id, or all (the default: summed over all sites)",
	"goals":      "goal names, comma-separated; the parameter may be repeated",
	"breakdown":  "a rollup: one analysis per bucket; or site: one analysis per site (with cohort, of the range)",
	"cohort":     "a cohort rollup: the analysis of the visitors of its buckets from..to",
	"from":       "first cohort bucket: Unix seconds or a date YYYY-MM-DD",
	"to":         "last cohort bucket: Unix seconds or a date YYYY-MM-DD",
	"source":     "a log source (default: every source)",
	"limit":      fmt.Sprintf("the most dead letters answered, 1 to %d (default %d)", query.MaxDeadLetters, query.DefaultDeadLetters),
}

func errorResponses(statuses ...int) obj {
	out := obj{}
	for _, st := range statuses {
		out[fmt.Sprint(st)] = obj{"$ref": "#/components/responses/Error"}
	}
	return out
}

func jsonResponse(desc string, sch obj) obj {
	return obj{"description": desc, "content": obj{"application/json": obj{"schema": sch}}}
}

// operation describes a GET of a JSON endpoint of kind answering type answer.
func operation(s *schemas, kind, summary string, answer any) obj {
	params := []obj{}
	for _, p := range query.ParamsOf(kind) {
		sch := obj{"type": "string"}
		if p == "goals" {
			sch = obj{"type": "array", "items": obj{"type": "string"}}
		}
		param := obj{"name": p, "in": "query", "description": paramDocs[p], "schema": sch}
		if p == "test" && (kind == query.KindResults || kind == query.KindAnalysis) {
			param["required"] = true
		}
		params = append(params, param)
	}
	resp := errorResponses(400, 401, 404, 405, 414, 500, 503)
	resp["200"] = jsonResponse(summary, s.of(reflect.TypeOf(answer)))
	return obj{"summary": summary, "operationId": strings.ReplaceAll(kind, "-", "_"), "parameters": params, "responses": resp}
}

// openAPIDocument builds the description.
func openAPIDocument() obj {
	s := &schemas{defs: obj{}}
	paths := obj{}
	for _, e := range []struct {
		kind, summary string
		answer        any
	}{
		{query.KindCount, "visitors who converted on a goal, or impressions of a test population", query.CountAnswer{}},
		{query.KindValue, "the value of a goal by its value type", query.ValueAnswer{}},
		{query.KindTests, "split tests, newest first", query.TestsAnswer{}},
		{query.KindGoals, "goals with value type and format", query.GoalsAnswer{}},
		{query.KindResults, "a test's results table and its analysis", query.ResultsAnswer{}},
		{query.KindAnalysis, "a test's statistical analysis per goal", query.AnalysisAnswer{}},
		{query.KindSeries, "a goal's conversions per bucket of a rollup", query.SeriesAnswer{}},
		{query.KindDeadLetters, "malformed log lines, newest first", query.DeadLettersAnswer{}},
		{query.KindStatus, "schema, pointers, row counts and the live ingest", query.StatusAnswer{}},
	} {
		paths[api.Prefix+e.kind] = obj{"get": operation(s, e.kind, e.summary, e.answer)}
	}
	config := s.of(reflect.TypeFor[query.ConfigAnswer]())
	change := obj{"required": true, "content": obj{"application/json": obj{"schema": s.of(reflect.TypeFor[query.ConfigChange]())}}}
	write := func(id, summary string) obj {
		resp := errorResponses(400, 401, 404, 405, 413, 415, 500, 503)
		resp["200"] = jsonResponse("the configuration after the change", config)
		return obj{"summary": summary, "operationId": id, "requestBody": change, "responses": resp}
	}
	getConfig := errorResponses(400, 401, 404, 405, 500, 503)
	getConfig["200"] = jsonResponse("the configuration, defaults filled in", config)
	paths[api.Prefix+"tests/{name}/config"] = obj{
		"parameters": []obj{{"name": "name", "in": "path", "required": true, "description": "the test's name", "schema": obj{"type": "string"}}},
		"get":        obj{"summary": "a test's analysis configuration", "operationId": "get_test_config", "responses": getConfig},
		"put":        write("replace_test_config", "replace the configuration (absent fields take their defaults)"),
		"patch":      write("patch_test_config", "change the given fields of the configuration"),
	}
	index := errorResponses(401, 405)
	index["200"] = jsonResponse("the endpoints", s.of(reflect.TypeFor[api.Index]()))
	paths[api.Prefix] = obj{"get": obj{"summary": "the index of the API", "operationId": "index", "responses": index}}
	self := errorResponses(401, 405)
	self["200"] = jsonResponse("this description", obj{"type": "object"})
	paths[api.Prefix+"openapi.json"] = obj{"get": obj{"summary": "this OpenAPI description", "operationId": "openapi", "responses": self}}
	health := obj{"type": "object", "required": []string{"status"}, "additionalProperties": false, "properties": obj{
		"status": obj{"type": "string", "enum": []string{"ok", "unavailable"}}, "error": obj{"type": "string"},
		"ingest": obj{"type": "string"}, "ingest_waiting_since": obj{"type": "string", "format": "date-time"},
		"ingest_gives_up_at": obj{"type": "string", "description": "a date-time, or never"},
	}}
	paths["/healthz"] = obj{"get": obj{"summary": "the database answers a ping (never needs the token)", "operationId": "healthz", "security": []obj{},
		"responses": obj{"200": jsonResponse("healthy", health), "503": jsonResponse("the database does not answer", health)}}}
	text := func(desc, mt string) obj {
		return obj{"description": desc, "content": obj{mt: obj{"schema": obj{"type": "string"}}}}
	}
	paths["/metrics"] = obj{"get": obj{"summary": "Prometheus metrics", "operationId": "metrics",
		"responses": obj{"200": text("the metrics in the Prometheus text format", "text/plain"), "401": obj{"$ref": "#/components/responses/Error"}}}}
	paths["/"] = obj{"get": obj{"summary": "the experiment dashboard (HTML)", "operationId": "dashboard",
		"responses": obj{"200": text("the dashboard (HTML, scripts, styles)", "*/*"), "401": text("the token is missing (basic auth: the token is the password)", "text/plain")}}}
	errSchema := s.of(reflect.TypeFor[query.ErrorAnswer]())
	return obj{
		"openapi": "3.1.0",
		"info": obj{"title": "Manhattan HTTP API", "version": "1", "license": obj{"name": "MIT", "identifier": "MIT"},
			"description": "Server-side web analytics and split tests. Counts are JSON numbers; decimal values are strings holding the exact decimal. " +
				"Unknown or repeated parameters are refused (400). With a token configured every path but /healthz needs Authorization: Bearer <token>."},
		"servers":  []obj{{"url": "http://127.0.0.1:8080"}},
		"security": []obj{{}, {"bearer": []string{}}},
		"paths":    paths,
		"components": obj{
			"schemas":         s.defs,
			"securitySchemes": obj{"bearer": obj{"type": "http", "scheme": "bearer", "description": "the server's --token"}},
			"responses":       obj{"Error": jsonResponse("an error: its message for the client", errSchema)},
		},
	}
}

func encodeOpenAPI(t testing.TB) []byte {
	b, err := json.MarshalIndent(openAPIDocument(), "", "  ")
	require.NoError(t, err)
	return append(b, '\n')
}

func TestOpenAPIIsUpToDate(t *testing.T) {
	want := encodeOpenAPI(t)
	if *updateOpenAPI {
		require.NoError(t, os.WriteFile("openapi.json", want, 0o644))
	}
	assert.Equal(t, string(want), string(api.OpenAPI), "api/openapi.json differs from the answer types: go test ./api -run TestOpenAPIIsUpToDate -update-openapi")
}

var (
	openAPIOnce      sync.Once
	openAPIValidator validator.Validator
	openAPIErrs      []error
)

func responseValidator(t testing.TB) validator.Validator {
	t.Helper()
	openAPIOnce.Do(func() {
		doc, err := libopenapi.NewDocument(api.OpenAPI)
		if err != nil {
			openAPIErrs = []error{err}
			return
		}
		openAPIValidator, openAPIErrs = validator.NewValidator(doc)
	})
	require.Empty(t, openAPIErrs)
	return openAPIValidator
}

func TestOpenAPIDocumentIsValid(t *testing.T) {
	ok, errs := responseValidator(t).ValidateDocument()
	for _, e := range errs {
		t.Errorf("%s: %s", e.Message, e.Reason)
	}
	assert.True(t, ok)
}

// validating wraps h so that every answer it gives to a documented path is validated
// against the description; a mismatch fails t.
func validating(t testing.TB, h http.Handler) http.Handler {
	v := responseValidator(t)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		for k, vs := range rec.Header() {
			w.Header()[k] = vs
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
		if !documented(r.Method, r.URL.Path) {
			return
		}
		req := r.Clone(r.Context())
		req.Body = io.NopCloser(bytes.NewReader(body))
		if ok, errs := v.ValidateHttpResponse(req, rec.Result()); !ok {
			for _, e := range errs {
				t.Errorf("openapi: %s %s answered %d: %s: %s %v", r.Method, r.URL.RequestURI(), rec.Code, e.Message, e.Reason, e.SchemaValidationErrors)
			}
		}
	})
}

// documented reports whether the description has method on path (and so must
// describe its answers); other paths answer 404 and other methods 405, with the error
// document.
func documented(method, path string) bool {
	config := strings.HasPrefix(path, api.Prefix+"tests/") && strings.HasSuffix(path, "/config")
	if method != http.MethodGet && !(config && (method == http.MethodPut || method == http.MethodPatch)) {
		return false
	}
	switch path {
	case "/", "/healthz", "/metrics", api.Prefix, api.Prefix + "openapi.json":
		return true
	}
	if rest, ok := strings.CutPrefix(path, api.Prefix); ok {
		if query.ParamsOf(rest) != nil {
			return true
		}
		if strings.HasPrefix(rest, "tests/") && strings.HasSuffix(rest, "/config") && strings.Count(rest, "/") == 2 {
			return true
		}
	}
	return false
}

func TestEveryRouteIsDocumentedAndAnswers(t *testing.T) {
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	require.NoError(t, json.Unmarshal(api.OpenAPI, &doc))
	c := newClient(t, api.New(memoryStore(t, fixtures.Clickstream), api.Options{}))
	var index api.Index
	require.NoError(t, c.getJSON(api.Prefix, nil, &index))
	routes := []string{"/", "/healthz", "/metrics", api.Prefix}
	for _, e := range index.Endpoints {
		routes = append(routes, strings.ReplaceAll(e.Path, "{test}", "{name}"))
		for _, m := range e.Methods {
			assert.Contains(t, doc.Paths[strings.ReplaceAll(e.Path, "{test}", "{name}")], strings.ToLower(m), "%s %s", m, e.Path)
		}
	}
	for _, r := range routes {
		assert.Contains(t, doc.Paths, r, "route %s is not in the description", r)
	}
	for path := range doc.Paths {
		assert.Contains(t, routes, path, "documented path %s is not a route", path)
		target := strings.ReplaceAll(path, "{name}", "red%20checkout%20form")
		status, _, body := c.do(http.MethodGet, target, nil)
		assert.NotEqual(t, http.StatusNotFound, status, "GET %s: %s", target, body)
	}
}

// failures records what the validating wrapper reports, instead of failing the test.
type failures struct {
	testing.TB
	mu   sync.Mutex
	errs []string
}

func (f *failures) Errorf(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.errs = append(f.errs, fmt.Sprintf(format, args...))
}

func (f *failures) reported() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.errs)
}

// The wrapper that checks every answer of these tests does reject answers that the
// description does not allow: a count as a string, a missing field, a field it does not
// name, an error document without its message, an undocumented status.
func TestValidatingRejectsAnswersOffTheDescription(t *testing.T) {
	for _, tc := range []struct {
		name, path string
		status     int
		body       string
		ok         bool
	}{
		{"the real shape", "/api/v1/count", 200, `{"goal":"g","test":"","population":"","rollup":"all","bucket":"0","site":null,"count":3}`, true},
		{"count as a string", "/api/v1/count", 200, `{"goal":"g","test":"","population":"","rollup":"all","bucket":"0","site":null,"count":"3"}`, false},
		{"count missing", "/api/v1/count", 200, `{"goal":"g","test":"","population":"","rollup":"all","bucket":"0","site":null}`, false},
		{"a field not described", "/api/v1/count", 200, `{"goal":"g","test":"","population":"","rollup":"all","bucket":"0","site":null,"count":3,"extra":1}`, false},
		{"a decimal value", "/api/v1/value", 200, `{"goal":"g","test":"","population":"","rollup":"all","bucket":"0","site":null,"value":"1.5"}`, true},
		{"a value that is not a decimal string", "/api/v1/value", 200, `{"goal":"g","test":"","population":"","rollup":"all","bucket":"0","site":null,"value":1.5}`, false},
		{"an error without its message", "/api/v1/count", 400, `{"message":"bad"}`, false},
		{"a status not described", "/api/v1/count", 418, `{"error":"teapot"}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := &failures{TB: t}
			h := validating(rec, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tc.status)
				_, _ = io.WriteString(w, tc.body)
			}))
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, tc.path+"?goal=g", nil))
			assert.Equal(t, tc.status, w.Code)
			if tc.ok {
				assert.Empty(t, rec.reported())
			} else {
				assert.NotEmpty(t, rec.reported(), "the wrapper let %s through", tc.body)
			}
		})
	}
}

// The HTML page at "/" (without a dashboard) lists every endpoint of the JSON index at
// Prefix, the OpenAPI description among them.
func TestIndexPageListsEveryEndpoint(t *testing.T) {
	c := newClient(t, api.New(memoryStore(t, fixtures.Clickstream), api.Options{}))
	var index api.Index
	require.NoError(t, c.getJSON(api.Prefix, nil, &index))
	status, h, body := c.do(http.MethodGet, "/", nil)
	require.Equal(t, http.StatusOK, status)
	assert.Contains(t, h.Get("Content-Type"), "text/html")
	page := string(body)
	assert.Contains(t, page, `<a href="api/v1/openapi.json">/api/v1/openapi.json</a>`)
	assert.Contains(t, page, `<a href="api/v1/">/api/v1/</a>`)
	for _, e := range index.Endpoints {
		assert.Contains(t, page, e.Path, "the page at / does not list %s", e.Path)
	}
}
