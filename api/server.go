package api

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/manhattan-analytics/manhattan/ingest"
	"github.com/manhattan-analytics/manhattan/logsource"
	"github.com/manhattan-analytics/manhattan/metrics"
	"github.com/manhattan-analytics/manhattan/query"
)

// Prefix is the path prefix of the current API version.
const Prefix = "/api/v1/"

// Options configure a Server. Zero fields take defaults.
type Options struct {
	// Token, when not empty, is required as "Authorization: Bearer <token>" (or as the
	// basic-auth password) by /api/, /metrics and the dashboard.
	Token string
	// Dashboard is served at "/" and below (behind the token). Nil serves a small index
	// page that lists the API.
	Dashboard http.Handler
	// Metrics receives the query metrics and is served at /metrics; nil makes a new one.
	Metrics *metrics.Metrics
	// Ingest, when set, reports the live pipeline of this process in /api/v1/status.
	Ingest func() ingest.Stats
	// IngestSource names the pointer rows that pipeline commits, and IngestLog is the log
	// it reads: /api/v1/status measures, with IngestLog.Lag, how far each committed
	// pointer of IngestSource stands behind the end of its partition. Without them the
	// status shows no lag (a server that reads no log cannot know it).
	IngestSource string
	IngestLog    logsource.Log
	// Logger receives server-side errors; nil discards them.
	Logger *slog.Logger
	// MaxGoals bounds the goals of a results request; default query.DefaultMaxGoals.
	MaxGoals int
	// ComplexGoals names the complex goals of the counting rules, so that one nobody has
	// converted on yet is a known goal (answering 0), not an unknown one (404).
	ComplexGoals []string
	// QueryTimeout bounds the database work of one request; default 30s.
	QueryTimeout time.Duration
	// Cache configures the cache of answers per committed epoch (query.NewCached); the
	// zero value keeps query.DefaultCacheEntries answers and trusts the store's commit
	// mark until PostgreSQL announces a change (LISTEN/NOTIFY), reading it for every
	// request while the listening connection is down: no answer is older than the last
	// commit by more than the announcement's delivery.
	Cache query.CacheOptions
	// NoCache reads the store for every request.
	NoCache bool
}

// Server answers the HTTP API. It is an http.Handler; use Serve to run it.
type Server struct {
	queries   *query.Service
	parser    query.Parser
	opts      Options
	tokenHash [sha256.Size]byte
	endpoints map[string]http.Handler // by name under Prefix, instrumented
	health    http.Handler
	configH   http.Handler
	indexH    http.Handler
	openAPIH  http.Handler
	metricsH  http.Handler
	dashboard http.Handler
	notFound  http.Handler
}

// New returns a server answering from store (a *persistence.Store, or a fake in tests).
func New(store query.Store, opts Options) *Server {
	if opts.Metrics == nil {
		opts.Metrics = metrics.New()
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.QueryTimeout <= 0 {
		opts.QueryTimeout = 30 * time.Second
	}
	queries := query.NewCached(store, opts.Cache, opts.ComplexGoals...)
	if opts.NoCache {
		queries = query.New(store, opts.ComplexGoals...)
	}
	s := &Server{
		queries: queries, parser: query.Parser{Naming: query.Params, MaxGoals: opts.MaxGoals},
		opts: opts, tokenHash: sha256.Sum256([]byte(opts.Token)),
	}
	m := opts.Metrics
	s.endpoints = map[string]http.Handler{}
	for name, h := range s.handlers() {
		s.endpoints[name] = m.Instrument(name, s.jsonEndpoint(name, h))
	}
	s.health = m.Instrument("healthz", http.HandlerFunc(s.healthz))
	s.configH = m.Instrument("test-config", http.HandlerFunc(s.config))
	s.indexH = m.Instrument("index", http.HandlerFunc(s.apiIndex))
	s.openAPIH = m.Instrument("openapi", http.HandlerFunc(openAPI))
	s.metricsH = m.Instrument("metrics", m.Handler())
	dash := opts.Dashboard
	if dash == nil {
		dash = http.HandlerFunc(s.htmlIndex)
	}
	s.dashboard = m.Instrument("dashboard", dash)
	s.notFound = m.Instrument("not_found", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no endpoint %s; the API is under %s (see %sstatus)", query.Clip(r.URL.Path), Prefix, Prefix))
	}))
	return s
}

// Metrics returns the server's metrics.
func (s *Server) Metrics() *metrics.Metrics { return s.opts.Metrics }

// ServeHTTP routes a request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if len(r.RequestURI) > MaxURLLength || len(r.URL.RawQuery) > MaxURLLength {
		writeError(w, http.StatusRequestURITooLong, fmt.Sprintf("request URL longer than %d bytes", MaxURLLength))
		return
	}
	path := r.URL.Path
	switch {
	case path == "/healthz":
		s.health.ServeHTTP(w, r)
	case path == "/metrics":
		if s.authorized(w, r, false) {
			s.metricsH.ServeHTTP(w, r)
		}
	case path == "/api" || strings.HasPrefix(path, "/api/"):
		if !s.authorized(w, r, false) {
			return
		}
		if _, ok := configPath(r); ok {
			s.configH.ServeHTTP(w, r)
			return
		}
		if path == Prefix || path+"/" == Prefix || path == "/api" || path == "/api/" {
			s.indexH.ServeHTTP(w, r)
			return
		}
		if path == Prefix+"openapi.json" {
			s.openAPIH.ServeHTTP(w, r)
			return
		}
		h, ok := s.endpoints[strings.TrimPrefix(path, Prefix)]
		if !ok || !strings.HasPrefix(path, Prefix) {
			s.notFound.ServeHTTP(w, r)
			return
		}
		h.ServeHTTP(w, r)
	default:
		if s.authorized(w, r, true) {
			s.dashboard.ServeHTTP(w, r)
		}
	}
}

// authorized checks the token, answering 401 when it is missing or wrong. browser asks
// for basic-auth challenges (so a browser prompts for the token).
func (s *Server) authorized(w http.ResponseWriter, r *http.Request, browser bool) bool {
	if s.opts.Token == "" {
		return true
	}
	var given string
	auth := r.Header.Get("Authorization")
	if scheme, rest, ok := strings.Cut(auth, " "); ok && strings.EqualFold(scheme, "Bearer") {
		given = strings.TrimSpace(rest)
	} else if _, pass, ok := r.BasicAuth(); ok {
		given = pass
	}
	h := sha256.Sum256([]byte(given))
	if given != "" && subtle.ConstantTimeCompare(h[:], s.tokenHash[:]) == 1 {
		return true
	}
	if browser {
		w.Header().Set("WWW-Authenticate", `Basic realm="manhattan", charset="UTF-8"`)
		http.Error(w, "401 unauthorized: this server needs its token (user name: any, password: the token)", http.StatusUnauthorized)
		return false
	}
	w.Header().Set("WWW-Authenticate", `Bearer realm="manhattan"`)
	msg := "missing token: send Authorization: Bearer <token>"
	if auth != "" {
		msg = "wrong token"
	}
	writeError(w, http.StatusUnauthorized, msg)
	return false
}

// handlerFunc answers one parsed API request with a JSON document or an error.
type handlerFunc func(ctx context.Context, req query.Request) (any, error)

// jsonEndpoint adapts h, the endpoint of the query kind: it allows only GET and HEAD,
// parses the query string, bounds the request's time and writes the answer or the error
// as JSON.
func (s *Server) jsonEndpoint(kind string, h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			writeError(w, http.StatusMethodNotAllowed, fmt.Sprintf("method %s not allowed: use GET", r.Method))
			return
		}
		req, err := s.request(kind, r)
		if err != nil {
			s.writeFailure(w, r, err)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), s.opts.QueryTimeout)
		defer cancel()
		if kind == query.KindStatus { // live: never cached
			answer, err := h(ctx, req)
			if err != nil {
				s.writeFailure(w, r, err)
				return
			}
			writeJSON(w, http.StatusOK, answer)
			return
		}
		// The encoded answer is kept with the answers, per commit mark.
		encoded, err := s.queries.Memo(ctx, "api "+kind, req, func(ctx context.Context) (any, error) {
			answer, err := h(ctx, req)
			if err != nil {
				return nil, err
			}
			b, err := json.Marshal(answer)
			return append(b, '\n'), err
		})
		if err != nil {
			s.writeFailure(w, r, err)
			return
		}
		b, _ := encoded.([]byte)
		writeEncoded(w, http.StatusOK, b)
	})
}

// writeFailure answers err: a request error with its own status and message, anything
// else (the database) with 500 or 503 and a generic message, logging the details.
func (s *Server) writeFailure(w http.ResponseWriter, r *http.Request, err error) {
	if status := statusOf(err); status != 0 {
		writeError(w, status, err.Error())
		return
	}
	if r.Context().Err() != nil {
		return // the client is gone
	}
	status, msg := http.StatusInternalServerError, "internal error answering the query; see the server log"
	if errors.Is(err, context.DeadlineExceeded) {
		status, msg = http.StatusServiceUnavailable, "the query took too long"
	}
	s.opts.Logger.Error("api request failed", slog.String("path", r.URL.Path), slog.String("query", query.Clip(r.URL.RawQuery)), slog.Any("error", err))
	writeError(w, status, msg)
}

// healthz answers 200 when the database answers a ping, 503 otherwise.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	answer := map[string]string{"status": "ok"}
	if s.opts.Ingest != nil {
		// The ingest of this process waiting for its database: since when, until when.
		if st := s.opts.Ingest(); !st.StoreDownSince.IsZero() {
			answer["ingest"] = "waiting for the database"
			answer["ingest_waiting_since"] = st.StoreDownSince.UTC().Format(time.RFC3339)
			answer["ingest_gives_up_at"] = "never"
			if !st.StoreGivesUpAt.IsZero() {
				answer["ingest_gives_up_at"] = st.StoreGivesUpAt.UTC().Format(time.RFC3339)
			}
		}
	}
	if err := s.queries.Ping(ctx); err != nil {
		s.opts.Logger.Warn("health check: database unreachable", slog.Any("error", err))
		answer["status"], answer["error"] = "unavailable", "database unreachable"
		writeJSON(w, http.StatusServiceUnavailable, answer)
		return
	}
	writeJSON(w, http.StatusOK, answer)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b, _ = json.Marshal(query.ErrorAnswer{Error: "encode answer: " + err.Error()})
	}
	writeEncoded(w, status, append(b, '\n'))
}

// writeEncoded writes an answer encoded as JSON with its final newline (b is not
// modified: it may be shared), in one write with its length, so that a large answer is
// neither chunked nor split.
func writeEncoded(w http.ResponseWriter, status int, b []byte) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, query.ErrorAnswer{Error: msg})
}
