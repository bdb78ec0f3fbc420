package dashboard

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/manhattan-analytics/manhattan/persistence"
	"github.com/manhattan-analytics/manhattan/query"
)

// Options configure the dashboard. The zero value is usable.
type Options struct {
	// Title names the dashboard in page headers and titles; default "Manhattan".
	Title string
	// Goals are the goals a test page shows when the test has no configured goals and
	// the request names none, in this order; goals the store does not know are left
	// out. Default (or when none is known): every goal of the store that is not complex.
	Goals []string
	// ComplexGoals names the complex goals of the counting rules (see query.New).
	ComplexGoals []string
	// Currency is the symbol shown before the values of currency goals (value format
	// C; the log does not say which currency); default "$".
	Currency string
	// Logger receives server errors; default slog.Default().
	Logger *slog.Logger
}

//go:embed templates/*.html
var templateFS embed.FS

//go:embed assets
var assetFS embed.FS

// handler serves the dashboard.
type handler struct {
	store query.Store
	svc   *query.Service
	opts  Options
	pages map[string]*template.Template
	mux   *http.ServeMux
	log   *slog.Logger
}

// New returns the dashboard's HTTP handler, meant to be mounted at "/":
//
//	GET /                          the list of tests with their status and verdict
//	GET /tests/{name}              a test's page (?site=, ?goal=…, ?chart=, ?stats=bayesian,
//	                               ?breakdown=ROLLUP, ?from=, ?to= dates of arrival)
//	GET /tests/{name}/results.csv  the results table as CSV (same parameters)
//	GET /assets/…                  the style sheet and script
//
// Every other path answers 404, other methods 405. It reads committed state from store
// (a *persistence.Store) on every request; the settings form of a test page writes
// through the API's config endpoint, not through this handler.
func New(store query.Store, opts Options) (http.Handler, error) {
	if store == nil {
		return nil, errors.New("dashboard: no store")
	}
	return newHandler(store, opts)
}

func newHandler(store query.Store, opts Options) (*handler, error) {
	if opts.Title == "" {
		opts.Title = "Manhattan"
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Currency == "" {
		opts.Currency = defaultCurrency
	}
	h := &handler{store: store, svc: query.NewCached(store, query.CacheOptions{}, opts.ComplexGoals...), opts: opts, log: opts.Logger, pages: map[string]*template.Template{}}
	for _, page := range []string{"index", "test", "error"} {
		t, err := template.New("layout.html").Funcs(template.FuncMap{"tableOf": tableOf}).ParseFS(templateFS, "templates/layout.html", "templates/"+page+".html")
		if err != nil {
			return nil, fmt.Errorf("dashboard: parse templates of %s: %w", page, err)
		}
		h.pages[page] = t
	}
	assets, err := fs.Sub(assetFS, "assets")
	if err != nil {
		return nil, fmt.Errorf("dashboard: %w", err)
	}
	h.mux = http.NewServeMux()
	h.mux.HandleFunc("GET /{$}", h.index)
	h.mux.HandleFunc("GET /tests/{name}", h.memo(h.test))
	h.mux.HandleFunc("GET /tests/{name}/results.csv", h.memo(h.csv))
	h.mux.Handle("GET /assets/", http.StripPrefix("/assets/", assetHandler(http.FileServerFS(assets))))
	h.mux.HandleFunc("GET /", h.notFound)
	return h, nil
}

// ServeHTTP sets the security headers of every answer and routes the request.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; form-action 'self'; connect-src 'self'; base-uri 'none'; frame-ancestors 'none'")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	h.mux.ServeHTTP(w, r)
}

func assetHandler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		next.ServeHTTP(w, r)
	})
}

// page is the data every template gets.
type page struct {
	Title   string // of the dashboard
	Heading string // of the page
	Body    any
}

type indexPage struct {
	Tests     []testRow
	Freshness string // time of the last committed epoch
	Zone      string
}

type testRow struct {
	Name, URL           string
	Status, StatusCSS   string
	FirstSeen, LastSeen string
	Populations         []string
	Visitors            string
	Verdict, VerdictCSS string
}

func (h *handler) index(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	tests, err := h.store.Tests(ctx)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	st, err := h.store.Status(ctx)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	cat, err := h.store.Catalog(ctx, persistence.Query{})
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	_, zone := cohortRollup(cat.Rollups)
	body := indexPage{Freshness: "nothing committed yet", Zone: zone.String()}
	var last time.Time
	for _, p := range st.Pointers {
		if p.UpdatedAt.After(last) {
			last = p.UpdatedAt
		}
	}
	if !last.IsZero() {
		body.Freshness = last.In(zone).Format("2006-01-02 15:04:05 MST")
	}
	for _, t := range tests {
		row := testRow{
			Name: t.Name, URL: testURL(t.Name, nil),
			FirstSeen: formatTimeIn(t.First, zone), LastSeen: formatTimeIn(t.Last, zone),
			Populations: sortedPopulations(t),
		}
		a, err := h.svc.Analysis(ctx, query.Request{Kind: query.KindAnalysis, Query: persistence.Query{Test: t.Name}})
		if err != nil && !isQueryErr(err) {
			h.serverError(w, r, err)
			return
		}
		row.Status, row.StatusCSS = a.Config.Status, "status-"+a.Config.Status
		if len(a.Segments) > 0 && a.Segments[0].Analysis != nil {
			res := a.Segments[0].Analysis
			row.Visitors = formatCount(res.SRM.Total)
			vd := verdictOf(res, a.Goals, a.Config, false)
			row.Verdict, row.VerdictCSS = vd.Headline, vd.HeadlineCSS
		}
		body.Tests = append(body.Tests, row)
	}
	h.render(w, r, http.StatusOK, "index", page{Title: h.opts.Title, Heading: "Split tests", Body: body})
}

// lookup finds the test of the request's path and reads its parameters; it answers
// the request itself (404, 400, 500) and returns ok false when it cannot go on.
func (h *handler) lookup(w http.ResponseWriter, r *http.Request) (*report, bool) {
	name := r.PathValue("name")
	tests, err := h.store.Tests(r.Context())
	if err != nil {
		h.serverError(w, r, err)
		return nil, false
	}
	i := slices.IndexFunc(tests, func(t persistence.TestInfo) bool { return t.Name == name })
	if i < 0 {
		h.error(w, r, http.StatusNotFound, fmt.Sprintf("There is no split test named %q.", query.Clip(name)))
		return nil, false
	}
	goals, err := h.store.Goals(r.Context())
	if err != nil {
		h.serverError(w, r, err)
		return nil, false
	}
	v, err := parseView(r.URL.Query(), goals, h.opts.Goals, h.opts.ComplexGoals)
	if err != nil {
		h.error(w, r, http.StatusBadRequest, err.Error())
		return nil, false
	}
	rep, err := loadReport(r.Context(), h.svc, h.store, tests[i], v)
	var pe *paramError
	switch {
	case errors.As(err, &pe), isQueryErr(err):
		h.error(w, r, http.StatusBadRequest, err.Error())
		return nil, false
	case err != nil:
		h.serverError(w, r, err)
		return nil, false
	}
	return rep, true
}

func (h *handler) test(w http.ResponseWriter, r *http.Request) {
	rep, ok := h.lookup(w, r)
	if !ok {
		return
	}
	h.render(w, r, http.StatusOK, "test", page{Title: h.opts.Title, Heading: rep.Test.Name, Body: h.testPage(rep)})
}

func (h *handler) notFound(w http.ResponseWriter, r *http.Request) {
	h.error(w, r, http.StatusNotFound, "There is no page at "+query.Clip(r.URL.Path)+".")
}

type errorPage struct {
	Status  int
	Text    string
	Message string
}

// error answers with an error page.
func (h *handler) error(w http.ResponseWriter, r *http.Request, status int, msg string) {
	h.render(w, r, status, "error", page{Title: h.opts.Title, Heading: http.StatusText(status),
		Body: errorPage{Status: status, Text: http.StatusText(status), Message: msg}})
}

// serverError logs err and answers 500 without its details (unless the request was
// cancelled, which needs no answer).
func (h *handler) serverError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		return
	}
	h.log.Error("dashboard: request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	h.error(w, r, http.StatusInternalServerError, "The results could not be read; the server log has the details.")
}

// render executes a page into a buffer first, so a template error never leaves half a
// page behind.
func (h *handler) render(w http.ResponseWriter, r *http.Request, status int, name string, data page) {
	var buf bytes.Buffer
	if err := h.pages[name].Execute(&buf, data); err != nil {
		h.log.Error("dashboard: render page", "page", name, "path", r.URL.Path, "err", err)
		http.Error(w, "internal error: the page could not be rendered", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// testURL returns the path of a test's page (or, with suffix, of a page below it) with
// query q.
func testURL(name string, q url.Values, suffix ...string) string {
	u := "/tests/" + url.PathEscape(name) + strings.Join(suffix, "")
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u
}

// pathEscape escapes a test name for a URL path.
func pathEscape(name string) string { return url.PathEscape(name) }

// formatTimeIn shows a Unix timestamp in zone.
func formatTimeIn(ts int64, zone *time.Location) string {
	return time.Unix(ts, 0).In(zone).Format("2006-01-02 15:04 MST")
}

// tableData is the data of the results table template.
type tableData struct {
	Groups    []groupView
	Bayesian  bool
	Corrected bool
}

func tableOf(groups []groupView, bayesian bool, correction string) tableData {
	return tableData{Groups: groups, Bayesian: bayesian, Corrected: correction != "" && correction != "none"}
}

// errUncached marks an answer that is not kept: not a 200.
var errUncached = errors.New("dashboard: answer not kept")

// memoAnswer is a rendered answer kept by the service's cache.
type memoAnswer struct {
	header http.Header
	body   []byte
}

// memo serves next's answers through the service's cache: a page is rendered once per
// URL and commit mark of the store (a committed epoch or a settings change renders it
// again). Answers other than 200 are not kept.
func (h *handler) memo(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v, err := h.svc.Memo(r.Context(), "dashboard", r.URL.RequestURI(), func(context.Context) (any, error) {
			buf := newAnswerBuffer()
			next(buf, r)
			if buf.status != http.StatusOK {
				return nil, errUncached
			}
			return memoAnswer{header: buf.sent, body: buf.body.Bytes()}, nil
		})
		a, ok := v.(memoAnswer)
		if err != nil || !ok {
			next(w, r)
			return
		}
		for k, vs := range a.header {
			w.Header()[k] = vs
		}
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(a.body)
	}
}

// answerBuffer is an http.ResponseWriter that keeps the answer (header, status, body)
// in memory, to be kept and served again.
type answerBuffer struct {
	header http.Header
	sent   http.Header // header as it was when the status was written
	status int         // 0 until the status is written
	body   bytes.Buffer
}

func newAnswerBuffer() *answerBuffer { return &answerBuffer{header: http.Header{}} }

func (b *answerBuffer) Header() http.Header { return b.header }

// WriteHeader keeps the first status, as a server does.
func (b *answerBuffer) WriteHeader(status int) {
	if b.status == 0 {
		b.status, b.sent = status, b.header.Clone()
	}
}

func (b *answerBuffer) Write(p []byte) (int, error) {
	b.WriteHeader(http.StatusOK)
	return b.body.Write(p)
}
