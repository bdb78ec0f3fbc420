package main

import (
	"bytes"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manhattan-analytics/manhattan/messages"
	"github.com/manhattan-analytics/manhattan/tracker"
)

// memLog keeps the lines the tracker writes.
type memLog struct {
	mu    sync.Mutex
	lines bytes.Buffer
}

func (m *memLog) Append(_ time.Time, lines []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.lines.Write(lines)
	return nil
}

func (m *memLog) records(t *testing.T) []messages.Record {
	m.mu.Lock()
	defer m.mu.Unlock()
	var recs []messages.Record
	for _, line := range strings.Split(strings.TrimSuffix(m.lines.String(), "\n"), "\n") {
		rec, err := messages.ParseLine([]byte(line))
		require.NoError(t, err, line)
		recs = append(recs, rec)
	}
	return recs
}

func TestShopVisit(t *testing.T) {
	log := &memLog{}
	tr, err := tracker.New(tracker.Options{Secret: []byte("shop test secret 0123"), Writer: log,
		ErrorLog: func(err error) { t.Error(err) }})
	require.NoError(t, err)
	srv := httptest.NewServer(tr.Middleware(newShop().routes()))
	defer srv.Close()
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	client := &http.Client{Jar: jar}

	get := func(path string) string {
		resp, err := client.Get(srv.URL + path)
		require.NoError(t, err)
		defer resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode, path)
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return string(b)
	}
	assert.Contains(t, get("/"), tr.PixelTag()+"</body>")
	get(tr.PixelPath())
	assert.Contains(t, get("/product/1"), "Stilton")
	resp, err := client.PostForm(srv.URL+"/cart", url.Values{"id": {"1"}}) // redirected to the checkout
	require.NoError(t, err)
	page, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Contains(t, string(page), "12.50")
	resp, err = client.PostForm(srv.URL+"/checkout", nil)
	require.NoError(t, err)
	thanks, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Contains(t, string(thanks), "You paid 12.50")

	var kinds []string
	var colour string
	var revenue messages.Record
	for _, rec := range log.records(t) {
		switch rec.Kind {
		case messages.KindGoal:
			kinds = append(kinds, "goal "+rec.Goal)
			if rec.Goal == goalPurchase {
				revenue = rec
			}
		case messages.KindSplit:
			kinds = append(kinds, "split "+rec.Test)
			colour = rec.Population
		default:
			kinds = append(kinds, rec.Kind.String())
		}
	}
	assert.Equal(t, []string{"page", "pixel", "page", "page", "goal add to cart", "page",
		"split checkout button colour", "goal began checkout", "page", "goal purchase"}, kinds,
		"the impression comes before the checkout goal, so the colour is credited with it")
	assert.Contains(t, string(page), "background:"+colour)
	assert.Equal(t, "12.5", revenue.Value.String())
	assert.Equal(t, messages.ValueSum, revenue.ValueType)
	assert.Equal(t, messages.FormatCurrency, revenue.ValueFormat)
}
