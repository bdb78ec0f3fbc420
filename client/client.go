package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DefaultTimeout bounds one request of a Client made without WithTimeout.
const DefaultTimeout = 30 * time.Second

// maxAnswer bounds the body of one answer read by the client.
const maxAnswer = 64 << 20

// Client calls one Manhattan server. It is safe for concurrent use.
type Client struct {
	base    *url.URL // scheme and host, path ending in "/"
	token   string
	http    *http.Client
	timeout time.Duration
}

// Option configures a Client.
type Option func(*Client)

// WithToken sends token as "Authorization: Bearer <token>" (the server's --token).
func WithToken(token string) Option { return func(c *Client) { c.token = token } }

// WithTimeout bounds each request (default DefaultTimeout; 0 or less: only the
// context bounds it).
func WithTimeout(d time.Duration) Option { return func(c *Client) { c.timeout = d } }

// WithHTTPClient sends the requests with h instead of http.DefaultClient.
func WithHTTPClient(h *http.Client) Option { return func(c *Client) { c.http = h } }

// New returns a client of the server at baseURL ("http://127.0.0.1:8080", optionally
// with a path prefix under which a proxy serves it).
func New(baseURL string, opts ...Option) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil {
		return nil, fmt.Errorf("client: base URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("client: base URL %q: want http://HOST[:PORT] or https://…", baseURL)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("client: base URL %q: no query or fragment", baseURL)
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
		u.RawPath = ""
	}
	c := &Client{base: u, http: http.DefaultClient, timeout: DefaultTimeout}
	for _, o := range opts {
		o(c)
	}
	return c, nil
}

// The kinds of Error, for errors.Is.
var (
	// ErrBadRequest: the server refused a parameter or body (400, 413, 414, 415).
	ErrBadRequest = errors.New("bad request")
	// ErrUnauthorized: the token is missing or wrong (401).
	ErrUnauthorized = errors.New("unauthorized")
	// ErrNotFound: no such test, goal or endpoint (404).
	ErrNotFound = errors.New("not found")
	// ErrUnavailable: the server or its database failed or took too long (5xx).
	ErrUnavailable = errors.New("server unavailable")
)

// Error is an answer of the server other than 200: its status and its message (the
// "error" of the API's error document, or the start of the body when there is none).
type Error struct {
	Method     string
	Path       string // the path and query string asked for
	StatusCode int
	Message    string
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s %s: %d %s: %s", e.Method, e.Path, e.StatusCode, http.StatusText(e.StatusCode), e.Message)
}

// Is reports whether the error is of kind target (ErrNotFound, ErrBadRequest,
// ErrUnauthorized or ErrUnavailable).
func (e *Error) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound
	case ErrUnauthorized:
		return e.StatusCode == http.StatusUnauthorized
	case ErrBadRequest:
		switch e.StatusCode {
		case http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusRequestURITooLong, http.StatusUnsupportedMediaType:
			return true
		}
	case ErrUnavailable:
		return e.StatusCode >= 500
	}
	return false
}

// do sends a request to path (below the base URL, unescaped segments already escaped)
// with the query params and, when body is not nil, body as JSON; it decodes a 200
// answer into out. okStatus lists other statuses whose JSON body is an answer.
func (c *Client) do(ctx context.Context, method, path string, params url.Values, body, out any, okStatus ...int) error {
	target := path
	if len(params) > 0 {
		target += "?" + params.Encode()
	}
	u, err := c.base.Parse(target)
	if err != nil {
		return fmt.Errorf("client: %s %s: %w", method, target, err)
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("client: encode body: %w", err)
		}
		rd = bytes.NewReader(b)
	}
	if c.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return fmt.Errorf("client: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("client: %w", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return fmt.Errorf("client: %s %s: read answer: %w", method, target, err)
	}
	ok := resp.StatusCode == http.StatusOK
	for _, s := range okStatus {
		ok = ok || resp.StatusCode == s
	}
	if !ok {
		return newError(method, u.RequestURI(), resp.StatusCode, data)
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("client: %s %s: decode answer: %w", method, target, err)
	}
	return nil
}

// newError reads the server's error document.
func newError(method, path string, status int, body []byte) *Error {
	e := &Error{Method: method, Path: path, StatusCode: status}
	var doc struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(body, &doc) == nil && doc.Error != "" {
		e.Message = doc.Error
	} else {
		e.Message = strings.TrimSpace(string(body[:min(len(body), 512)]))
	}
	return e
}
