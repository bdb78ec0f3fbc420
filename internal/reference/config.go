package reference

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"

	"github.com/manhattan-analytics/manhattan/rollups"
	"github.com/manhattan-analytics/manhattan/visitor"
)

// Config is a fixture's config.json: the complex goals and rollups its answers assume.
type Config struct {
	ComplexGoals []struct {
		Name    string   `json:"name"`
		Include []string `json:"include"`
		Exclude []string `json:"exclude"`
	} `json:"complex_goals"`
	ComplexFlags []string `json:"complex_flags"`
	Rollups      []struct {
		Key        string `json:"key"`
		Kind       string `json:"kind"`
		Zone       string `json:"zone,omitempty"`
		WeekStarts string `json:"week_starts,omitempty"`
	} `json:"rollups"`
}

// LoadConfig reads a config.json.
func LoadConfig(path string) (*Config, error) {
	var c Config
	if err := readJSON(path, "config", &c); err != nil {
		return nil, err
	}
	return &c, nil
}

// readJSON decodes the JSON file at path into v; what names the file in errors.
func readJSON(path, what string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%s %s: %w", what, path, err)
	}
	return nil
}

// RollupSpecs returns the rollups as specs for rollups.Parse.
func (c *Config) RollupSpecs() ([]string, error) {
	var specs []string
	for _, r := range c.Rollups {
		var kind string
		switch r.Kind {
		case "all", "browser":
			kind = r.Kind
		case "local day", "day":
			kind = "day"
		case "local week", "week":
			kind = "week"
			if r.WeekStarts != "" && r.WeekStarts != "Sunday" {
				return nil, fmt.Errorf("rollup %q: weeks starting on %s are not supported", r.Key, r.WeekStarts)
			}
		case "local month", "month":
			kind = "month"
		default:
			return nil, fmt.Errorf("rollup %q: unknown kind %q", r.Key, r.Kind)
		}
		spec := r.Key + "=" + kind
		if r.Zone != "" {
			spec += ":" + r.Zone
		}
		specs = append(specs, spec)
	}
	return specs, nil
}

// Rules builds the visitor rules: the rollups, and the complex goals parsed from their
// flag syntax, which must agree with their structured form.
func (c *Config) Rules() (*visitor.Rules, error) {
	specs, err := c.RollupSpecs()
	if err != nil {
		return nil, err
	}
	rs, err := rollups.ParseList(specs)
	if err != nil {
		return nil, err
	}
	cs, err := visitor.ParseComplexList(c.ComplexFlags)
	if err != nil {
		return nil, err
	}
	if len(cs) != len(c.ComplexGoals) {
		return nil, fmt.Errorf("config: %d complex goal flags but %d complex goals", len(cs), len(c.ComplexGoals))
	}
	for i, g := range c.ComplexGoals {
		if g.Name != cs[i].Name || !slices.Equal(g.Include, cs[i].Include) || !slices.Equal(g.Exclude, cs[i].Exclude) {
			return nil, fmt.Errorf("config: complex goal %q differs from its flag %q", g.Name, c.ComplexFlags[i])
		}
	}
	return visitor.NewRules(rs, cs)
}
