package api_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manhattan-analytics/manhattan/api"
	"github.com/manhattan-analytics/manhattan/internal/fixtures"
	"github.com/manhattan-analytics/manhattan/query"
)

// send sends a request with a JSON body.
func (c *client) send(method, target, body string) (int, http.Header, []byte) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+target, strings.NewReader(body))
	require.NoError(c.t, err)
	req.Header.Set("Content-Type", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(c.t, err)
	defer resp.Body.Close()
	var b []byte
	b, err = readAll(resp)
	require.NoError(c.t, err)
	return resp.StatusCode, resp.Header, b
}

const configPath = "/api/v1/tests/red%20checkout%20form/config"

func TestTestConfigDefaultsAndChanges(t *testing.T) {
	c := newClient(t, api.New(memoryStore(t, fixtures.Clickstream), api.Options{}))

	var cfg query.ConfigAnswer
	require.NoError(t, c.getJSON(configPath, nil, &cfg))
	assert.Equal(t, query.ConfigAnswer{
		Test: "red checkout form", Control: "False", ControlRule: `named like a control ("false")`,
		Secondary: []string{}, Guardrails: []query.Guardrail{}, Weights: map[string]float64{},
		Correction: "none", Status: "running",
	}, cfg)

	// PATCH changes the fields it names.
	status, _, body := c.send(http.MethodPatch, configPath, `{"primary_goal": "completed checkout", "guardrail_goals": [{"goal": "abandoned cart", "lower_is_better": true}], "correction": "holm"}`)
	require.Equal(t, http.StatusOK, status, "%s", body)
	require.NoError(t, json.Unmarshal(body, &cfg))
	assert.True(t, cfg.Configured)
	assert.NotNil(t, cfg.UpdatedAt)
	assert.Equal(t, "completed checkout", cfg.Primary)
	assert.Equal(t, []query.Guardrail{{Goal: "abandoned cart", LowerIsBetter: true}}, cfg.Guardrails)
	assert.Equal(t, "holm", cfg.Correction)

	status, _, body = c.send(http.MethodPatch, configPath, `{"control": "True", "weights": {"False": 1, "True": 3}, "sequential": true, "status": "stopped", "notes": "red loses?"}`)
	require.Equal(t, http.StatusOK, status, "%s", body)
	var got query.ConfigAnswer
	require.NoError(t, c.getJSON(configPath, nil, &got))
	assert.Equal(t, "True", got.Control)
	assert.Equal(t, "configured", got.ControlRule)
	assert.Equal(t, "completed checkout", got.Primary, "a patch keeps the fields it does not name")
	assert.Equal(t, map[string]float64{"False": 1, "True": 3}, got.Weights)
	assert.True(t, got.Sequential)
	assert.Equal(t, "stopped", got.Status)
	assert.Equal(t, "red loses?", got.Notes)

	// PUT replaces the whole configuration.
	status, _, body = c.send(http.MethodPut, configPath, `{"secondary_goals": ["add to cart"]}`)
	require.Equal(t, http.StatusOK, status, "%s", body)
	require.NoError(t, c.getJSON(configPath, nil, &got))
	assert.Equal(t, []string{"add to cart"}, got.Secondary)
	assert.Empty(t, got.Primary)
	assert.Equal(t, "False", got.Control)
	assert.Equal(t, "none", got.Correction)
	assert.Equal(t, "running", got.Status)
}

func TestTestConfigBadRequests(t *testing.T) {
	c := newClient(t, api.New(memoryStore(t, fixtures.Clickstream), api.Options{}))
	for _, tc := range []struct {
		method, path, body string
		status             int
		msg                string
	}{
		{"PATCH", configPath, `{"control": "Maybe"}`, 400, `control: "Maybe" is not a population of test "red checkout form" (populations: False, True)`},
		{"PATCH", configPath, `{"primary_goal": "nope"}`, 404, `primary goal: no goal named "nope" (goals: `},
		{"PATCH", configPath, `{"primary_goal": "viewed page", "secondary_goals": ["viewed page"]}`, 400, `secondary goal: goal "viewed page" is already the test's primary goal (a goal has one role)`},
		{"PATCH", configPath, `{"secondary_goals": ["viewed page"], "guardrail_goals": [{"goal": "viewed page"}]}`, 400, `guardrail goal: goal "viewed page" is already the test's secondary goal`},
		{"PATCH", configPath, `{"correction": "bonferroni"}`, 400, `correction must be one of none, holm, bh, not "bonferroni"`},
		{"PATCH", configPath, `{"status": "paused"}`, 400, "status must be one of running, stopped, shipped"},
		{"PATCH", configPath, `{"weights": {"False": 1}}`, 400, "give a share for every population"},
		{"PATCH", configPath, `{"weights": {"False": 0, "True": 1}}`, 400, "must be a positive number"},
		{"PATCH", configPath, `{"colour": "red"}`, 400, `unknown field "colour"`},
		{"PATCH", configPath, `{"notes": "` + strings.Repeat("n", query.MaxNotesLength+1) + `"}`, 400, "notes must be valid UTF-8 of at most 4096"},
		{"PATCH", configPath, `[]`, 400, "body: json: cannot unmarshal array"},
		{"PATCH", "/api/v1/tests/no%20such%20test/config", `{}`, 404, `no test named "no such test" (tests: `},
		{"GET", "/api/v1/tests/no%20such%20test/config", ``, 404, `no test named "no such test"`},
		{"DELETE", configPath, ``, 405, "method DELETE not allowed"},
		{"GET", configPath + "?x=1", ``, 400, "takes no parameters"},
	} {
		status, _, body := c.send(tc.method, tc.path, tc.body)
		assert.Equal(t, tc.status, status, "%s %s %s: %s", tc.method, tc.path, clipName(tc.body), body)
		var e query.ErrorAnswer
		require.NoError(t, json.Unmarshal(body, &e), "%s", body)
		assert.Contains(t, e.Error, tc.msg, "%s %s", tc.method, clipName(tc.body))
	}
	// Nothing was stored by the failures.
	var cfg query.ConfigAnswer
	require.NoError(t, c.getJSON(configPath, nil, &cfg))
	assert.False(t, cfg.Configured)

	req, err := http.NewRequest(http.MethodPatch, c.base+configPath, strings.NewReader(`{}`))
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnsupportedMediaType, resp.StatusCode, "a change needs a JSON content type")
}

func TestTestConfigNeedsTheToken(t *testing.T) {
	c := newClient(t, api.New(memoryStore(t, fixtures.Clickstream), api.Options{Token: "s3cret"}))
	for _, method := range []string{"GET", "PUT", "PATCH"} {
		status, _, _ := c.send(method, configPath, `{"status": "stopped"}`)
		assert.Equal(t, http.StatusUnauthorized, status, method)
	}
	c.token = "s3cret"
	status, _, body := c.send("PATCH", configPath, `{"status": "stopped"}`)
	assert.Equal(t, http.StatusOK, status, "%s", body)
}

func readAll(resp *http.Response) ([]byte, error) { return io.ReadAll(resp.Body) }
