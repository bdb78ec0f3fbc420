package loggen

// Setting is the analysis configuration that suits one of the Tests: its control, its
// goals by role (a guardrail "GOAL:lower-is-better" is good when it goes down), its
// correction and status. The demo stores them, so its pages have verdicts.
type Setting struct {
	Test, Control, Primary string
	Secondary, Guardrails  []string
	Correction, Status     string
}

// Settings are the settings of the Tests, in the same order.
var Settings = []Setting{
	{Test: "homepage hero", Control: "none", Primary: "add to cart",
		Secondary: []string{"newsletter signup", "time on site"}, Guardrails: []string{"payment failed:lower-is-better"},
		Correction: "holm", Status: "running"},
	{Test: "red checkout form", Control: "false", Primary: "completed checkout",
		Secondary: []string{"began checkout", "order size"}, Guardrails: []string{"checkout validation failed:lower-is-better", "payment failed:lower-is-better"},
		Correction: "none", Status: "running"},
	{Test: "free shipping threshold", Control: "50", Primary: "completed checkout",
		Secondary: []string{"add to cart"}, Guardrails: []string{"order size"},
		Correction: "bh", Status: "stopped"},
}
