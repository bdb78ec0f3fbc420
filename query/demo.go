package query

import (
	"context"
	"errors"

	"github.com/manhattan-analytics/manhattan/loggen"
)

// ApplySettings stores the settings of generated logs' tests (loggen.Settings) for
// the tests the store knows, replacing their configuration. A setting the store cannot
// take (it names a goal or population a short log never produced) is left out.
func (s *Service) ApplySettings(ctx context.Context, settings []loggen.Setting) error {
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
