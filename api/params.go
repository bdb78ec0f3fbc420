package api

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/manhattan-analytics/manhattan/query"
)

// MaxURLLength is the longest request URI (path and query) accepted; longer ones get
// 414.
const MaxURLLength = 8192

// requestError is an error answered with a status and a message for the client.
type requestError struct {
	status int
	msg    string
}

func (e *requestError) Error() string { return e.msg }

// statusOf is the HTTP status of a query error, 0 for a failure of the server.
func statusOf(err error) int {
	var re *requestError
	switch {
	case errors.As(err, &re):
		return re.status
	case errors.Is(err, query.ErrInvalid):
		return http.StatusBadRequest
	case errors.Is(err, query.ErrNotFound):
		return http.StatusNotFound
	}
	return 0
}

// request parses the query string of r as a query of kind.
func (s *Server) request(kind string, r *http.Request) (query.Request, error) {
	v, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return query.Request{}, &requestError{status: http.StatusBadRequest, msg: "malformed query string: " + err.Error()}
	}
	return s.parser.Parse(kind, v)
}
