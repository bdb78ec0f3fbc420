package query

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/manhattan-analytics/manhattan/analysis"
	"github.com/manhattan-analytics/manhattan/persistence"
)

// The values of a test's correction (those of package analysis, the default first) and
// status.
var (
	Corrections = analysis.CorrectionNames()
	Statuses    = []string{"running", "stopped", "shipped"}
)

// MaxNotesLength bounds a test's notes, in characters.
const MaxNotesLength = 4096

// controlNames are the population names taken for the control when none is configured,
// in order of preference (compared without case).
var controlNames = []string{"control", "false", "a", "off"}

// Guardrail is a goal that must not get worse, with the direction that is good.
type Guardrail struct {
	Goal          string `json:"goal"`
	LowerIsBetter bool   `json:"lower_is_better"`
}

// ConfigAnswer is the analysis configuration of a test (GET, PUT and PATCH of
// /api/v1/tests/{name}/config, `manhattan test show`), with the defaults filled in.
type ConfigAnswer struct {
	Test string `json:"test"`
	// Configured is false when nothing is stored for the test: every field is a default.
	Configured bool   `json:"configured"`
	Control    string `json:"control"`
	// ControlRule says which rule chose the control.
	ControlRule string      `json:"control_rule"`
	Primary     string      `json:"primary_goal"` // "" when none is set
	Secondary   []string    `json:"secondary_goals"`
	Guardrails  []Guardrail `json:"guardrail_goals"`
	// Weights are the expected shares of the populations; empty means equal shares.
	Weights    map[string]float64 `json:"weights"`
	Correction string             `json:"correction"` // none, holm or bh
	Sequential bool               `json:"sequential"`
	Status     string             `json:"status"` // running, stopped or shipped
	Notes      string             `json:"notes"`
	UpdatedAt  *time.Time         `json:"updated_at"` // null when not configured
}

// ConfigChange is a change of a test's configuration: the body of PUT and PATCH. A nil
// field is left as it is by a patch and set to its default by a replacement.
type ConfigChange struct {
	Control    *string             `json:"control"`
	Primary    *string             `json:"primary_goal"`
	Secondary  *[]string           `json:"secondary_goals"`
	Guardrails *[]Guardrail        `json:"guardrail_goals"`
	Weights    *map[string]float64 `json:"weights"`
	Correction *string             `json:"correction"`
	Sequential *bool               `json:"sequential"`
	Status     *string             `json:"status"`
	Notes      *string             `json:"notes"`
}

// ParseGuardrail reads "GOAL", "GOAL:higher-is-better" or "GOAL:lower-is-better".
func ParseGuardrail(s string) Guardrail {
	if goal, dir, ok := cutLast(s, ":"); ok {
		switch dir {
		case "lower-is-better":
			return Guardrail{Goal: goal, LowerIsBetter: true}
		case "higher-is-better":
			return Guardrail{Goal: goal}
		}
	}
	return Guardrail{Goal: s}
}

// ParseWeights reads "POP=W,POP=W…"; "" means equal shares.
func ParseWeights(s string) (map[string]float64, error) {
	out := map[string]float64{}
	for part := range strings.SplitSeq(s, ",") {
		if strings.TrimSpace(part) == "" {
			continue
		}
		pop, w, ok := cutLast(part, "=")
		if !ok {
			return nil, invalid("weight %q: write POPULATION=SHARE", Clip(part))
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(w), 64)
		if err != nil {
			return nil, invalid("weight of %q: %q is not a number", Clip(pop), Clip(w))
		}
		out[strings.TrimSpace(pop)] = f
	}
	return out, nil
}

func cutLast(s, sep string) (before, after string, ok bool) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+len(sep):], true
}

// TestConfig answers the configuration of test; an unknown test is ErrNotFound.
func (s *Service) TestConfig(ctx context.Context, test string) (ConfigAnswer, error) {
	return cached(ctx, s, "testConfig", test, func(ctx context.Context) (ConfigAnswer, error) { return s.testConfig(ctx, test) })
}

// testConfig is TestConfig without the cache.
func (s *Service) testConfig(ctx context.Context, test string) (ConfigAnswer, error) {
	info, err := s.findTest(ctx, test)
	if err != nil {
		return ConfigAnswer{}, err
	}
	c, ok, err := s.store.TestConfig(ctx, test)
	if err != nil {
		return ConfigAnswer{}, err
	}
	return configAnswer(info, c, ok), nil
}

// SetTestConfig applies change to the configuration of test: as a patch, or with
// replace as the whole new configuration. Every field is checked against the test and
// the goals the store knows (ErrInvalid); an unknown test is ErrNotFound.
func (s *Service) SetTestConfig(ctx context.Context, test string, change ConfigChange, replace bool) (ConfigAnswer, error) {
	info, err := s.findTest(ctx, test)
	if err != nil {
		return ConfigAnswer{}, err
	}
	goals, err := s.store.Goals(ctx)
	if err != nil {
		return ConfigAnswer{}, err
	}
	goals = s.withComplex(goals)
	c, err := s.store.UpdateTestConfig(ctx, test, func(c *persistence.TestConfig, _ bool) error {
		if replace {
			*c = persistence.TestConfig{Test: test}
		}
		applyChange(c, change)
		return checkConfig(c, info, goals)
	})
	if s.cache != nil {
		s.cache.invalidate()
	}
	if err != nil {
		return ConfigAnswer{}, err
	}
	return configAnswer(info, c, true), nil
}

func applyChange(c *persistence.TestConfig, ch ConfigChange) {
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = strings.TrimSpace(*src)
		}
	}
	set(&c.Control, ch.Control)
	set(&c.Primary, ch.Primary)
	set(&c.Correction, ch.Correction)
	set(&c.Status, ch.Status)
	if ch.Notes != nil {
		c.Notes = *ch.Notes
	}
	if ch.Secondary != nil {
		c.Secondary = slices.Clone(*ch.Secondary)
	}
	if ch.Guardrails != nil {
		c.Guardrails = c.Guardrails[:0:0]
		for _, g := range *ch.Guardrails {
			c.Guardrails = append(c.Guardrails, persistence.Guardrail(g))
		}
	}
	if ch.Weights != nil {
		c.Weights = *ch.Weights
	}
	if ch.Sequential != nil {
		c.Sequential = *ch.Sequential
	}
	if c.Correction == "" {
		c.Correction = Corrections[0]
	}
	if c.Status == "" {
		c.Status = Statuses[0]
	}
}

// checkConfig checks c against the test and the known goals.
func checkConfig(c *persistence.TestConfig, test persistence.TestInfo, goals []persistence.GoalInfo) error {
	known := func(field, g string) error {
		if !slices.ContainsFunc(goals, func(x persistence.GoalInfo) bool { return x.Name == g }) {
			return notFound("%s: no goal named %q (goals: %s)", field, Clip(g), goalNames(goals))
		}
		return nil
	}
	pops := test.Populations
	if c.Control != "" && !slices.Contains(pops, c.Control) {
		return invalid("control: %q is not a population of test %q (populations: %s)", Clip(c.Control), Clip(test.Name), strings.Join(pops, ", "))
	}
	// Each goal has one role: the page and the verdict judge a goal by its role.
	role := map[string]string{}
	check := func(field, g string) error {
		if err := known(field, g); err != nil {
			return err
		}
		if was, ok := role[g]; ok {
			return invalid("%s: goal %q is already the test's %s (a goal has one role)", field, Clip(g), was)
		}
		role[g] = field
		return nil
	}
	if c.Primary != "" {
		if err := check("primary goal", c.Primary); err != nil {
			return err
		}
	}
	for _, g := range c.Secondary {
		if err := check("secondary goal", g); err != nil {
			return err
		}
	}
	for _, g := range c.Guardrails {
		if err := check("guardrail goal", g.Goal); err != nil {
			return err
		}
	}
	for pop, w := range c.Weights {
		if !slices.Contains(pops, pop) {
			return invalid("weights: %q is not a population of test %q (populations: %s)", Clip(pop), Clip(test.Name), strings.Join(pops, ", "))
		}
		if !(w > 0) || math.IsInf(w, 0) {
			return invalid("weights: the share of %q must be a positive number, not %v", Clip(pop), w)
		}
	}
	if len(c.Weights) > 0 && len(c.Weights) != len(pops) {
		return invalid("weights: give a share for every population of test %q (%s), or none for equal shares", Clip(test.Name), strings.Join(pops, ", "))
	}
	if !slices.Contains(Corrections, c.Correction) {
		return invalid("correction must be one of %s, not %q", strings.Join(Corrections, ", "), Clip(c.Correction))
	}
	if !slices.Contains(Statuses, c.Status) {
		return invalid("status must be one of %s, not %q", strings.Join(Statuses, ", "), Clip(c.Status))
	}
	if utf8.RuneCountInString(c.Notes) > MaxNotesLength || !utf8.ValidString(c.Notes) {
		return invalid("notes must be valid UTF-8 of at most %d characters", MaxNotesLength)
	}
	return nil
}

func goalNames(goals []persistence.GoalInfo) string {
	names := make([]string, 0, len(goals))
	for _, g := range goals {
		names = append(names, fmt.Sprintf("%q", Clip(g.Name)))
	}
	return strings.Join(names, ", ")
}

// configAnswer is the document of a stored configuration c of test (stored false: none).
func configAnswer(test persistence.TestInfo, c persistence.TestConfig, stored bool) ConfigAnswer {
	a := ConfigAnswer{
		Test: test.Name, Configured: stored, Primary: c.Primary, Secondary: c.Secondary,
		Guardrails: []Guardrail{}, Weights: c.Weights, Correction: c.Correction, Sequential: c.Sequential,
		Status: c.Status, Notes: c.Notes,
	}
	a.Control, a.ControlRule = chooseControl(test.Populations, c.Control)
	if a.Secondary == nil {
		a.Secondary = []string{}
	}
	for _, g := range c.Guardrails {
		a.Guardrails = append(a.Guardrails, Guardrail(g))
	}
	if a.Weights == nil {
		a.Weights = map[string]float64{}
	}
	if a.Correction == "" {
		a.Correction = Corrections[0]
	}
	if a.Status == "" {
		a.Status = Statuses[0]
	}
	if stored {
		t := c.UpdatedAt.UTC()
		a.UpdatedAt = &t
	}
	return a
}

// chooseControl returns the control population and the rule that chose it: the
// configured one, else the first population named like a control, else the first
// population by name.
func chooseControl(pops []string, configured string) (string, string) {
	if configured != "" {
		return configured, "configured"
	}
	for _, name := range controlNames {
		for _, p := range pops {
			if strings.EqualFold(p, name) {
				return p, fmt.Sprintf("named like a control (%q)", name)
			}
		}
	}
	if len(pops) == 0 {
		return "", "the test has no populations"
	}
	sorted := slices.Clone(pops)
	slices.Sort(sorted)
	return sorted[0], "first population by name (none is named control, false, a or off)"
}

// findTest returns the test named name, or ErrNotFound naming the tests there are.
func (s *Service) findTest(ctx context.Context, name string) (persistence.TestInfo, error) {
	tests, err := s.store.Tests(ctx)
	if err != nil {
		return persistence.TestInfo{}, err
	}
	for _, t := range tests {
		if t.Name == name {
			return t, nil
		}
	}
	return persistence.TestInfo{}, unknownTestError(name, tests)
}
