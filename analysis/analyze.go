package analysis

import (
	"errors"
	"fmt"
	"math"
)

// Analyze computes the figures of one test: the sample-ratio check, and for every goal
// and population its mean and, against the control, the frequentist, Bayesian and
// power figures, with the configured correction across all defined comparisons. It
// returns an error for input that cannot come from the store (counts of the wrong
// length, negative counts, an unknown control, value type or correction, a level
// outside (0, 1)); comparisons that cannot be made (among them more conversions than
// exposures, which a site filter can give) are marked undefined in the result instead.
func Analyze(in Input) (Result, error) {
	cfg, err := normalize(in.Config)
	if err != nil {
		return Result{}, err
	}
	if len(in.Populations) == 0 {
		return Result{}, errors.New("a test needs at least one population")
	}
	control := -1
	exposures := make([]int64, len(in.Populations))
	for i, p := range in.Populations {
		exposures[i] = p.Exposures
		if p.Name == cfg.Control || (cfg.Control == "" && i == 0) {
			control = i
		}
	}
	if control < 0 {
		return Result{}, fmt.Errorf("control population %q is not one of the test's populations", cfg.Control)
	}
	cfg.Control = in.Populations[control].Name
	res := Result{Control: cfg.Control, Config: cfg}
	if res.SRM, err = SampleRatio(exposures, cfg.Weights); err != nil {
		return Result{}, fmt.Errorf("sample ratio: %w", err)
	}
	for _, g := range in.Goals {
		gr, err := analyzeGoal(in.Populations, control, g, cfg)
		if err != nil {
			return Result{}, err
		}
		res.Goals = append(res.Goals, gr)
	}
	if err := correct(&res); err != nil {
		return Result{}, err
	}
	return res, nil
}

// normalize fills in the defaults of cfg and checks its values.
func normalize(cfg Config) (Config, error) {
	if cfg.Alpha == 0 {
		cfg.Alpha = DefaultAlpha
	}
	if cfg.MDE == 0 {
		cfg.MDE = DefaultMDE
	}
	if cfg.Power == 0 {
		cfg.Power = DefaultPower
	}
	if cfg.SequentialTuning == 0 {
		cfg.SequentialTuning = DefaultSequentialTuning
	}
	if cfg.Correction == "" {
		cfg.Correction = NoCorrection
	}
	switch {
	case !(cfg.Alpha > 0 && cfg.Alpha < 1):
		return cfg, fmt.Errorf("alpha %v is not in (0, 1)", cfg.Alpha)
	case !(cfg.Power > 0 && cfg.Power < 1):
		return cfg, fmt.Errorf("power %v is not in (0, 1)", cfg.Power)
	case !(cfg.MDE > 0) || math.IsInf(cfg.MDE, 1):
		return cfg, fmt.Errorf("minimum detectable effect %v is not a positive number", cfg.MDE)
	case cfg.SequentialTuning < 0:
		return cfg, fmt.Errorf("sequential tuning %d is negative", cfg.SequentialTuning)
	}
	if _, err := Adjust(nil, cfg.Correction); err != nil {
		return cfg, err
	}
	return cfg, nil
}

func analyzeGoal(pops []Population, control int, g Goal, cfg Config) (GoalResult, error) {
	metric, err := metricOf(g.ValueType)
	if err != nil {
		return GoalResult{}, fmt.Errorf("goal %q: %w", g.Name, err)
	}
	if len(g.Counts) != len(pops) {
		return GoalResult{}, fmt.Errorf("goal %q: %d counts for %d populations", g.Name, len(g.Counts), len(pops))
	}
	gr := GoalResult{Goal: g.Name, ValueType: g.ValueType, Metric: metric, LowerIsBetter: g.LowerIsBetter}
	ms := make([]moments, len(pops))
	for i, p := range pops {
		if p.Exposures < 0 {
			return GoalResult{}, fmt.Errorf("population %q: negative exposures %d", p.Name, p.Exposures)
		}
		if err := validateCounts(g.Name, p.Name, p.Exposures, g.Counts[i]); err != nil {
			return GoalResult{}, err
		}
		ms[i] = momentsOf(metric, p.Exposures, g.Counts[i])
	}
	best := bestOfGoal(metric, ms, g.LowerIsBetter)
	for i, p := range pops {
		m := ms[i]
		pr := PopulationResult{
			Population: p.Name, Control: i == control, Exposures: p.Exposures, Counts: g.Counts[i],
			Units: m.units, Mean: m.mean, StdDev: math.Sqrt(m.variance), StdErr: m.stdErr(),
		}
		if best != nil {
			pr.Best = best[i]
		}
		if i != control {
			pr.Comparison = compare(ms[control], m, pops[control].Name, p.Name, metric, g.LowerIsBetter, cfg)
		}
		gr.Populations = append(gr.Populations, pr)
	}
	return gr, nil
}

// compare computes the comparison of the variant's moments b with the control's a.
func compare(a, b moments, nameA, nameB string, metric Metric, lowerIsBetter bool, cfg Config) *Comparison {
	c := &Comparison{P: 1, AdjustedP: 1, Sequential: cfg.Sequential}
	if metric == ConversionRate && a.ok && b.ok {
		c.Bayes = betaBayes(a, b, cfg.Alpha, lowerIsBetter)
		c.SmallSample = min(a.conversions, a.units-a.conversions, b.conversions, b.units-b.conversions) < SmallCount
	} else {
		c.SmallSample = min(a.conversions, b.conversions) < SmallCount
	}
	switch {
	case a.units <= 0:
		c.Reason = fmt.Sprintf("the control %q has no units", nameA)
		return c
	case b.units <= 0:
		c.Reason = fmt.Sprintf("population %q has no units", nameB)
		return c
	case !a.ok:
		c.Reason = fmt.Sprintf("the control %q: %s", nameA, a.reason)
		return c
	case !b.ok:
		c.Reason = fmt.Sprintf("population %q: %s", nameB, b.reason)
		return c
	}
	t := fixedTest(cfg.Alpha)
	if cfg.Sequential {
		t = sequentialTest(cfg.Alpha, a.exposures+b.exposures, 2*cfg.SequentialTuning)
	}
	c.Defined = true
	t.compare(c, a, b)
	if metric == ConversionRate && c.Lift.Defined {
		c.Lift.Low = max(c.Lift.Low, -1)
	} else if metric != ConversionRate {
		c.Bayes = normalBayes(a, b, cfg.Alpha, lowerIsBetter)
	}
	c.Power = power(a, b, metric, cfg.Alpha, cfg.MDE, cfg.Power)
	c.AdjustedP = c.P
	return c
}

// correct adjusts the p-values of all defined comparisons of res with its correction
// and sets their verdicts.
func correct(res *Result) error {
	var cs []*Comparison
	var ps []float64
	for _, g := range res.Goals {
		for _, p := range g.Populations {
			if c := p.Comparison; c != nil && c.Defined {
				cs = append(cs, c)
				ps = append(ps, c.P)
			}
		}
	}
	adj, err := Adjust(ps, res.Config.Correction)
	if err != nil {
		return err
	}
	for i, c := range cs {
		c.AdjustedP = adj[i]
		c.Significant = adj[i] < res.Config.Alpha
	}
	return nil
}
