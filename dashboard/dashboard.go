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

	"github.com/manhattan-analytics/manhattan/messages"
	"github.com/manhattan-analytics/manhattan/persistence"
	"github.com/manhattan-analytics/manhattan/query"
	"github.com/manhattan-analytics/manhattan/rollups"
)

// DefaultDayRollup is the key of the rollup the daily chart reads.
const DefaultDayRollup = "pst_day"

// Options configure the dashboard. The zero value is usable.
type Options struct {
	// Title names the dashboard in page headers and titles; default "Manhattan".
	Title string
	// Goals are the goals a test page shows when the request names none, in this
	// order; goals the store does not know are left out. Default (or when none is
	// known): every goal of the store, by name.
	Goals []string
	// DayRollup is the key of the day rollup the daily chart reads; default "pst_day".
	DayRollup string
	// DayZone is the time zone of DayRollup, used to name its days. Default: America/
	// Los_Angeles for "pst_day"; for another rollup, the UTC date twelve hours after
	// the bucket's midnight (right for every zone within twelve hours of UTC).
	DayZone *time.Location
	// Logger receives server errors; default slog.Default().
	Logger *slog.Logger
}

//go:embed templates/*.html
var templateFS embed.FS

//go:embed assets
var assetFS embed.FS

// handler serves the dashboard.
type handler struct {
	src    source
	opts   Options
	pages  map[string]*template.Template
	mux    *http.ServeMux
	log    *slog.Logger
	labels func(string) (string, string)
}

// New returns the dashboard's HTTP handler, meant to be mounted at "/":
//
//	GET /                          the list of tests
//	GET /tests/{name}              a test's results (?site=, ?control=, ?goal=…, ?chart=, ?mode=)
//	GET /tests/{name}/results.csv  the results table as CSV (same parameters)
//	GET /assets/…                  the style sheet and script
//
// Every other path answers 404, other methods 405. It reads committed state from store
// (a *persistence.Store) on every request.
func New(store query.Store, opts Options) (http.Handler, error) {
	if store == nil {
		return nil, errors.New("dashboard: no store")
	}
	return newHandler(store, opts)
}

func newHandler(src source, opts Options) (*handler, error) {
	if opts.Title == "" {
		opts.Title = "Manhattan"
	}
	if opts.DayRollup == "" {
		opts.DayRollup = DefaultDayRollup
	}
	if opts.DayZone == nil && opts.DayRollup == DefaultDayRollup {
		loc, err := time.LoadLocation(rollups.DefaultZone)
		if err != nil {
			return nil, fmt.Errorf("dashboard: %w", err)
		}
		opts.DayZone = loc
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	h := &handler{src: src, opts: opts, log: opts.Logger, labels: dayLabeler(opts.DayZone), pages: map[string]*template.Template{}}
	for _, page := range []string{"index", "test", "error"} {
		t, err := template.New("layout.html").ParseFS(templateFS, "templates/layout.html", "templates/"+page+".html")
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
	h.mux.HandleFunc("GET /tests/{name}", h.test)
	h.mux.HandleFunc("GET /tests/{name}/results.csv", h.csv)
	h.mux.Handle("GET /assets/", http.StripPrefix("/assets/", assetHandler(http.FileServerFS(assets))))
	h.mux.HandleFunc("GET /", h.notFound)
	return h, nil
}

// ServeHTTP sets the security headers of every answer and routes the request.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
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
	Tests []testRow
}

type testRow struct {
	Name, URL           string
	FirstSeen, LastSeen string
	Populations         []string
}

func (h *handler) index(w http.ResponseWriter, r *http.Request) {
	tests, err := h.src.Tests(r.Context())
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	var body indexPage
	for _, t := range tests {
		body.Tests = append(body.Tests, testRow{
			Name: t.Name, URL: testURL(t.Name, nil),
			FirstSeen: formatTime(t.First), LastSeen: formatTime(t.Last),
			Populations: sortedPopulations(t),
		})
	}
	h.render(w, r, http.StatusOK, "index", page{Title: h.opts.Title, Heading: "Split tests", Body: body})
}

// lookup finds the test of the request's path and reads its parameters; it answers
// the request itself (404, 400, 500) and returns ok false when it cannot go on.
func (h *handler) lookup(w http.ResponseWriter, r *http.Request) (persistence.TestInfo, view, bool) {
	name := r.PathValue("name")
	tests, err := h.src.Tests(r.Context())
	if err != nil {
		h.serverError(w, r, err)
		return persistence.TestInfo{}, view{}, false
	}
	i := slices.IndexFunc(tests, func(t persistence.TestInfo) bool { return t.Name == name })
	if i < 0 {
		h.error(w, r, http.StatusNotFound, fmt.Sprintf("There is no split test named %q.", query.Clip(name)))
		return persistence.TestInfo{}, view{}, false
	}
	goals, err := h.src.Goals(r.Context())
	if err != nil {
		h.serverError(w, r, err)
		return persistence.TestInfo{}, view{}, false
	}
	v, err := parseView(r.URL.Query(), tests[i], goals, h.opts.Goals)
	if err != nil {
		h.error(w, r, http.StatusBadRequest, err.Error())
		return persistence.TestInfo{}, view{}, false
	}
	return tests[i], v, true
}

func (h *handler) test(w http.ResponseWriter, r *http.Request) {
	test, v, ok := h.lookup(w, r)
	if !ok {
		return
	}
	rep, err := loadReport(r.Context(), h.src, test, v)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	var days *dayData
	if v.Chart != nil {
		if days, err = loadDays(r.Context(), h.src, rep, v.Chart.Name, h.opts.DayRollup); err != nil {
			h.serverError(w, r, err)
			return
		}
	}
	h.render(w, r, http.StatusOK, "test", page{Title: h.opts.Title, Heading: test.Name, Body: h.testPage(rep, days)})
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

// valueFormat is a goal's value format, for display.
func valueFormat(g persistence.GoalInfo) string {
	if g.ValueFormat == messages.FormatNone {
		return messages.FormatNumeric
	}
	return g.ValueFormat
}
