package dashboard_test

import (
	"github.com/manhattan-analytics/manhattan/loggen"
	"github.com/manhattan-analytics/manhattan/query"
)

// demoSettings are the settings of the generated log's tests (loggen.Settings), as
// the demo stores them.
func demoSettings() []query.Setting {
	out := make([]query.Setting, len(loggen.Settings))
	for i, s := range loggen.Settings {
		out[i] = query.Setting(s)
	}
	return out
}
