package query

import (
	"context"
	"errors"
)

// Setting is the configuration of one test as a generated demo log suggests it: its
// control, its goals by role (a guardrail "GOAL:lower-is-better" is good when it goes
// down), its correction and status. (Package loggen has the same fields, so its
// settings convert: query.Setting(s).)
type Setting struct {
	Test, Control, Primary string
	Secondary, Guardrails  []string
	Correction, Status     string
}

// ApplySettings stores settings for the tests the store knows, replacing their
// configuration. A setting the store cannot take (it names a goal or population a
// short log never produced) is left out.
func (s *Service) ApplySettings(ctx context.Context, settings []Setting) error {
	tests, err := s.store.Tests(ctx)
	if err != nil {
		return err
	}
	for _, st := range settings {
		known := false
		for _, t := range tests {
			known = known || t.Name == st.Test
		}
		if !known {
			continue
		}
		guards := make([]Guardrail, len(st.Guardrails))
		for i, g := range st.Guardrails {
			guards[i] = ParseGuardrail(g)
		}
		change := ConfigChange{Control: &st.Control, Primary: &st.Primary, Secondary: &st.Secondary, Guardrails: &guards,
			Correction: &st.Correction, Status: &st.Status}
		if _, err := s.SetTestConfig(ctx, st.Test, change, true); err != nil && !errors.Is(err, ErrInvalid) {
			return err
		}
	}
	return nil
}
