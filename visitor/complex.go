package visitor

import (
	"fmt"
	"strings"
)

// ComplexGoal is a goal derived from others (docs/semantics.md): a visitor converts on it once
// it has converted on every goal of Include, and the conversion is taken back when the
// visitor then converts on a goal of Exclude.
type ComplexGoal struct {
	Name    string
	Include []string
	Exclude []string
}

// ParseComplex reads the command-line form of a complex goal, kept from the original:
//
//	NAME|INCLUDE[,INCLUDE...]|[EXCLUDE[,EXCLUDE...]]
//
// for example "abandoned cart|add to cart|began checkout". Names are trimmed of
// surrounding spaces; empty list entries are dropped. The name and at least one include
// goal are required; the exclude part may be empty or left out. Goal names containing
// '|' or ',' cannot be written in this form.
func ParseComplex(flag string) (ComplexGoal, error) {
	parts := strings.Split(flag, "|")
	if len(parts) < 2 || len(parts) > 3 {
		return ComplexGoal{}, fmt.Errorf("complex goal %q: want NAME|INCLUDE,...|EXCLUDE,... (3 parts separated by '|'), got %d part(s)", flag, len(parts))
	}
	g := ComplexGoal{Name: strings.TrimSpace(parts[0]), Include: splitList(parts[1])}
	if len(parts) == 3 {
		g.Exclude = splitList(parts[2])
	}
	if err := g.validate(); err != nil {
		return ComplexGoal{}, fmt.Errorf("complex goal %q: %w", flag, err)
	}
	return g, nil
}

// String returns the goal in the form ParseComplex reads.
func (g ComplexGoal) String() string {
	return g.Name + "|" + strings.Join(g.Include, ",") + "|" + strings.Join(g.Exclude, ",")
}

func (g ComplexGoal) validate() error {
	if g.Name == "" {
		return fmt.Errorf("empty name")
	}
	if len(g.Include) == 0 {
		return fmt.Errorf("no include goals")
	}
	for _, n := range g.Include {
		if n == "" {
			return fmt.Errorf("empty include goal name")
		}
	}
	for _, n := range g.Exclude {
		if n == "" {
			return fmt.Errorf("empty exclude goal name")
		}
	}
	return nil
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
