package tracker

import (
	"bufio"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const page = "<!DOCTYPE html>\n<html><head><title>Shop</title></head>\n<body>\n<h1>Cheese</h1>\n</body>\n</html>\n"

// injected returns page with the tag of f's tracker before its last "</body>".
func (f *fixture) injected(page string) string {
	i := strings.LastIndex(strings.ToLower(page), "</body")
	return page[:i] + f.t.PixelTag() + page[i:]
}

// chunksHandler writes chunks one Write each, flushing after each when flush is set.
func chunksHandler(contentType string, flush bool, chunks ...string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if contentType != "" {
			w.Header().Set("Content-Type", contentType)
		}
		for _, c := range chunks {
			_, _ = io.WriteString(w, c)
			if flush {
				w.(http.Flusher).Flush()
			}
		}
	})
}

func TestInjectBufferedPage(t *testing.T) {
	f := newFixture(t, nil)
	rec := f.do(htmlHandler(page), httptest.NewRequest("GET", "http://shop.example/", nil))
	assert.Equal(t, f.injected(page), rec.Body.String())
	assert.Equal(t, 1, strings.Count(rec.Body.String(), "<img "))
}

func TestInjectEverySplitOfTheBody(t *testing.T) {
	f := newFixture(t, nil)
	want := f.injected(page)
	for i := 0; i <= len(page); i++ {
		for _, flush := range []bool{false, true} {
			rec := f.do(chunksHandler("text/html", flush, page[:i], page[i:]), httptest.NewRequest("GET", "/", nil))
			require.Equal(t, want, rec.Body.String(), "split at %d, flush %v", i, flush)
		}
	}
	// Three pieces around "</body>": every pair of cut points near it.
	at := strings.Index(page, "</body>")
	for i := at - 2; i <= at+8; i++ {
		for j := i; j <= at+9; j++ {
			rec := f.do(chunksHandler("text/html", false, page[:i], page[i:j], page[j:]), httptest.NewRequest("GET", "/", nil))
			require.Equal(t, want, rec.Body.String(), "cuts at %d and %d", i, j)
		}
	}
}

func TestInjectByteByByte(t *testing.T) {
	f := newFixture(t, nil)
	var chunks []string
	for i := range len(page) {
		chunks = append(chunks, page[i:i+1])
	}
	rec := f.do(chunksHandler("text/html; charset=utf-8", true, chunks...), httptest.NewRequest("GET", "/", nil))
	assert.Equal(t, f.injected(page), rec.Body.String())
	assert.True(t, rec.Flushed)
}

func TestInjectBeforeTheLastBody(t *testing.T) {
	f := newFixture(t, nil)
	for _, body := range []string{
		`<body><script>document.write("</body>")</script></body></html>`,
		`<BODY>x</BODY></HTML>`,
		`<body>x</Body >`,
		`<body>a</body><body>b</body>tail`,
		`<body>a</bodyguard></body>`,
	} {
		for _, chunks := range [][]string{{body}, strings.SplitAfter(body, "</b"), strings.Split(body, "")} {
			rec := f.do(chunksHandler("text/html", false, chunks...), httptest.NewRequest("GET", "/", nil))
			assert.Equal(t, f.injected(body), rec.Body.String(), body)
			assert.Equal(t, 1, strings.Count(rec.Body.String(), "<img "), body)
		}
	}
}

func TestNoBodyNoTag(t *testing.T) {
	f := newFixture(t, nil)
	for _, body := range []string{"", "<div>fragment</div>", "</bod", "</body", "<bodybody>", "</bodyx>"} {
		rec := f.do(chunksHandler("text/html", false, body), httptest.NewRequest("GET", "/", nil))
		assert.Equal(t, body, rec.Body.String())
	}
}

func TestNotInjected(t *testing.T) {
	f := newFixture(t, nil)
	body := "<html><body>x</body></html>"
	cases := map[string]http.Handler{
		"plain text": chunksHandler("text/plain", false, body[:9], body[9:]),
		"json":       chunksHandler("application/json", false, body),
		"xhtml":      chunksHandler("application/xhtml+xml", false, body),
		"gzip": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.Header().Set("Content-Encoding", "gzip")
			_, _ = io.WriteString(w, body)
		}),
		"partial": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.Header().Set("Content-Range", "bytes 0-26/100")
			w.WriteHeader(http.StatusPartialContent)
			_, _ = io.WriteString(w, body)
		}),
	}
	for name, h := range cases {
		rec := f.do(h, httptest.NewRequest("GET", "/", nil))
		assert.Equal(t, body, rec.Body.String(), name)
	}
	for _, code := range []int{http.StatusNoContent, http.StatusNotModified} {
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(code)
		})
		rec := f.do(h, httptest.NewRequest("GET", "/", nil))
		assert.Equal(t, code, rec.Code)
		assert.Empty(t, rec.Body.String())
	}
}

func TestNonHTMLIsUnbuffered(t *testing.T) {
	f := newFixture(t, nil)
	var inner *httptest.ResponseRecorder
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.Header().Set("Content-Length", "9")
		_, _ = io.WriteString(w, "data: </b")
		assert.Equal(t, "data: </b", inner.Body.String(), "passed on at once, nothing held")
	})
	inner = httptest.NewRecorder()
	f.t.Middleware(h).ServeHTTP(inner, httptest.NewRequest("GET", "/", nil))
	assert.Equal(t, "9", inner.Header().Get("Content-Length"))
}

func TestContentLength(t *testing.T) {
	f := newFixture(t, nil)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Header().Set("Content-Length", strconv.Itoa(len(page)))
		_, _ = io.WriteString(w, page)
	})
	// Through a real server, so that a wrong Content-Length would break the response.
	srv := httptest.NewServer(f.t.Middleware(h))
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL)
	require.NoError(t, err)
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.Equal(t, f.injected(page), string(got))
	if cl := resp.Header.Get("Content-Length"); cl != "" {
		assert.Equal(t, strconv.Itoa(len(got)), cl, "set by net/http for the body sent")
	}

	// A recorder shows the header is removed for HTML and kept for anything else.
	rec := f.do(h, httptest.NewRequest("GET", "/", nil))
	assert.Empty(t, rec.Header().Get("Content-Length"))
	img := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		w.Header().Set("Content-Length", "4")
		_, _ = io.WriteString(w, "abcd")
	})
	rec = f.do(img, httptest.NewRequest("GET", "/", nil))
	assert.Equal(t, "4", rec.Header().Get("Content-Length"))
}

func TestSniffedHTML(t *testing.T) {
	f := newFixture(t, nil)
	// No Content-Type: sniffed as net/http does, from the first 512 bytes.
	long := "<html><body>" + strings.Repeat("x", 600) + "</body></html>"
	for _, chunks := range [][]string{{page}, {"<html>", "<body>x</body>"}, {long}, strings.SplitAfter(long, "x")} {
		body := strings.Join(chunks, "")
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusNotFound)
			for _, c := range chunks {
				_, _ = io.WriteString(w, c)
			}
		})
		rec := f.do(h, httptest.NewRequest("GET", "/", nil))
		assert.Equal(t, http.StatusNotFound, rec.Code)
		assert.Equal(t, "text/html; charset=utf-8", rec.Header().Get("Content-Type"))
		assert.Equal(t, f.injected(body), rec.Body.String())
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "just text </body>") })
	rec := f.do(h, httptest.NewRequest("GET", "/", nil))
	assert.Equal(t, "text/plain; charset=utf-8", rec.Header().Get("Content-Type"))
	assert.Equal(t, "just text </body>", rec.Body.String())
}

func TestHeadIsNotModified(t *testing.T) {
	f := newFixture(t, nil)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Header().Set("Content-Length", strconv.Itoa(len(page)))
	})
	rec := f.do(h, httptest.NewRequest("HEAD", "/", nil))
	assert.Equal(t, strconv.Itoa(len(page)), rec.Header().Get("Content-Length"))
}

func TestLongTailAfterBodyIsReleased(t *testing.T) {
	f := newFixture(t, nil)
	tail := strings.Repeat("y", maxHold+10)
	var inner *httptest.ResponseRecorder
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = io.WriteString(w, "<body>a</body>")
		_, _ = io.WriteString(w, tail)
		assert.Greater(t, inner.Body.Len(), maxHold, "memory stays bounded")
		_, _ = io.WriteString(w, "</body>end")
	})
	inner = httptest.NewRecorder()
	f.t.Middleware(h).ServeHTTP(inner, httptest.NewRequest("GET", "/", nil))
	want := "<body>a" + f.t.PixelTag() + "</body>" + tail + "</body>end"
	assert.Equal(t, want, inner.Body.String())
	assert.Equal(t, 1, strings.Count(inner.Body.String(), "<img "))
}

func TestStreamedThroughServer(t *testing.T) {
	f := newFixture(t, nil)
	release := make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = io.WriteString(w, "<html><body>\n<p>first</p>\n")
		w.(http.Flusher).Flush()
		<-release
		_, _ = io.WriteString(w, "<p>second</p></bo")
		assert.NoError(t, http.NewResponseController(w).Flush())
		_, _ = io.WriteString(w, "dy></html>")
	})
	srv := httptest.NewServer(f.t.Middleware(h))
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL)
	require.NoError(t, err)
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	line, err := br.ReadString('\n')
	require.NoError(t, err)
	assert.Equal(t, "<html><body>\n", line, "flushed before the handler finished")
	close(release)
	rest, err := io.ReadAll(br)
	require.NoError(t, err)
	assert.Equal(t, "<p>first</p>\n<p>second</p>"+f.t.PixelTag()+"</body></html>", string(rest))
	assert.Equal(t, []string{"chunked"}, resp.TransferEncoding)
}

func TestHijack(t *testing.T) {
	f := newFixture(t, nil)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		conn, brw, err := w.(http.Hijacker).Hijack()
		if !assert.NoError(t, err) {
			return
		}
		defer conn.Close()
		_, _ = brw.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nraw")
		_ = brw.Flush()
	})
	srv := httptest.NewServer(f.t.Middleware(h))
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL)
	require.NoError(t, err)
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	assert.Equal(t, "raw", string(got), "the hijacked connection is the handler's")
}
