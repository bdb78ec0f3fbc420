package visitor

import (
	"fmt"
	"strings"

	"github.com/manhattan-analytics/manhattan/rollups"
)

// ParseComplexList parses complex goal flags (see ParseComplex), skipping blank ones. An
// error names the flag it is about.
func ParseComplexList(flags []string) ([]ComplexGoal, error) {
	var cs []ComplexGoal
	for _, f := range flags {
		if strings.TrimSpace(f) == "" {
			continue
		}
		c, err := ParseComplex(f)
		if err != nil {
			return nil, fmt.Errorf("complex goal %q: %w", f, err)
		}
		cs = append(cs, c)
	}
	return cs, nil
}

// ParseRules builds the rules of rollup specs (see rollups.Parse) and complex goal flags
// (see ParseComplexList): what the flags of an ingest give.
func ParseRules(rollupSpecs, complexFlags []string) (*Rules, error) {
	rs, err := rollups.ParseList(rollupSpecs)
	if err != nil {
		return nil, fmt.Errorf("rollups: %w", err)
	}
	cs, err := ParseComplexList(complexFlags)
	if err != nil {
		return nil, err
	}
	return NewRules(rs, cs)
}
