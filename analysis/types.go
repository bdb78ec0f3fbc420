package analysis

import "github.com/shopspring/decimal"

// ValueType says how a goal's values add up (docs/log-format.md, §3) and so which mean is
// analysed.
type ValueType string

// The value types of a goal.
const (
	NoValue    ValueType = ""  // a conversion goal: the rate of exposed visitors who convert
	Sum        ValueType = "S" // total value: the mean is per exposed visitor
	Average    ValueType = "A" // the mean is per converting visitor
	PerVisitor ValueType = "I" // the mean is per visitor who viewed a page
	Rate       ValueType = "R" // analysed like PerVisitor
)

// Correction is the multiple-comparison correction applied across the goals and
// populations of a test.
type Correction string

// The corrections.
const (
	NoCorrection      Correction = "none"
	Holm              Correction = "holm" // family-wise error rate (Holm 1979)
	BenjaminiHochberg Correction = "bh"   // false discovery rate (Benjamini & Hochberg 1995)
)

// Corrections lists every correction, NoCorrection (the default) first: the one list
// the API, the command line and the dashboard offer.
var Corrections = []Correction{NoCorrection, Holm, BenjaminiHochberg}

// CorrectionNames returns the names of Corrections, in order.
func CorrectionNames() []string {
	out := make([]string, len(Corrections))
	for i, c := range Corrections {
		out[i] = string(c)
	}
	return out
}

// Defaults of a Config's zero fields.
const (
	DefaultAlpha            = 0.05
	DefaultPower            = 0.8
	DefaultMDE              = 0.05 // relative: a 5% lift
	DefaultSequentialTuning = 10000
)

// The sample-ratio-mismatch rule: warn when the chi-square test rejects the expected
// split at SRMAlpha, once at least SRMMinTotal visitors have been assigned.
const (
	SRMAlpha    = 0.001
	SRMMinTotal = 100
)

// SmallCount is the least number of conversions and of non-conversions (or, for a
// value goal, of units) per population for which the normal approximation behind the
// frequentist figures is considered adequate; below it Comparison.SmallSample is set.
const SmallCount = 5

// Config is the per-test configuration of the analysis. The zero value is usable:
// the first population is the control, equal weights, no correction, fixed-horizon
// tests at 5%, power for a 5% lift at 80%.
type Config struct {
	// Control names the control population; "" means the first population.
	Control string `json:"control"`
	// Weights are the expected shares of the populations (in the order of
	// Input.Populations, any positive scale); nil means equal shares.
	Weights []float64 `json:"weights,omitempty"`
	// Correction across all comparisons of the test (goals × non-control
	// populations); "" means NoCorrection.
	Correction Correction `json:"correction"`
	// Sequential replaces the fixed-horizon interval and p-value by an always-valid
	// confidence sequence and p-value (safe to look at after every day).
	Sequential bool `json:"sequential"`
	// SequentialTuning is the number of exposed visitors per population at which the
	// confidence sequence is tightest (the mixing parameter, see the package doc);
	// 0 means DefaultSequentialTuning.
	SequentialTuning int64 `json:"sequential_tuning"`
	// Alpha is the significance level (two-sided); 0 means DefaultAlpha. Intervals are
	// at level 1 − Alpha.
	Alpha float64 `json:"alpha"`
	// MDE is the minimum detectable effect for the power figures, relative to the
	// control's mean (0.05 is a 5% lift); 0 means DefaultMDE.
	MDE float64 `json:"mde"`
	// Power is the power wanted for the visitors-needed figure; 0 means DefaultPower.
	Power float64 `json:"power"`
}

// Input is everything the analysis of one test needs: plain counts, no database.
type Input struct {
	// Populations of the test, each with its exposures (visitors with an impression).
	Populations []Population `json:"populations"`
	// Goals to analyse; each carries one Counts per population, in the same order.
	Goals  []Goal `json:"goals"`
	Config Config `json:"config"`
}

// Population is one population (variant) of a test.
type Population struct {
	Name      string `json:"name"`
	Exposures int64  `json:"exposures"`
}

// Goal is one goal with its counts per population.
type Goal struct {
	Name      string    `json:"name"`
	ValueType ValueType `json:"value_type"`
	// LowerIsBetter turns the chance to win and the risks around (a guardrail such as
	// errors or refunds): the chance to win is then P(variant < control).
	LowerIsBetter bool `json:"lower_is_better,omitempty"`
	// Counts per population, in the order of Input.Populations.
	Counts []Counts `json:"counts"`
}

// Counts are the committed counts of one goal in one population (docs/semantics.md): exact
// decimals as the store gives them.
type Counts struct {
	// Conversions is the number of exposed visitors who converted after their
	// impression (variant_conversions).
	Conversions int64 `json:"conversions"`
	// Sum is the sum of the values credited to the population (variant_values).
	Sum decimal.Decimal `json:"sum"`
	// SumSquares is Σ over visitors of x², x being a visitor's total of the values
	// credited to the population (variant_value_squares). Needed for value goals.
	SumSquares decimal.Decimal `json:"sum_squares"`
	// Viewers is the number of the population's visitors who viewed a page, the
	// denominator of PerVisitor and Rate goals; 0 means the population's exposures.
	Viewers int64 `json:"viewers,omitempty"`
}

// Result is the analysis of one test.
type Result struct {
	// Control is the name of the control population.
	Control string `json:"control"`
	// Config is the configuration used, with its defaults filled in.
	Config Config `json:"config"`
	// SRM is the sample-ratio-mismatch check of the exposures against Config.Weights.
	SRM   SRM          `json:"srm"`
	Goals []GoalResult `json:"goals"`
}

// SRM is the outcome of a sample-ratio-mismatch check: Pearson's chi-square goodness
// of fit of the exposures to the expected shares.
type SRM struct {
	Chi2     float64   `json:"chi2"`     // Σ (o − e)² / e
	DF       int       `json:"df"`       // populations − 1; 0 when there is nothing to test
	P        float64   `json:"p"`        // P(χ²(DF) ≥ Chi2); 1 when there is nothing to test
	Total    int64     `json:"total"`    // exposures over all populations
	Expected []float64 `json:"expected"` // expected exposures per population
	Warn     bool      `json:"warn"`     // P < SRMAlpha and Total ≥ SRMMinTotal
}

// Metric says which mean a goal's figures are about.
type Metric string

// The metrics.
const (
	ConversionRate     Metric = "conversion_rate"      // conversions ÷ exposures
	MeanPerExposed     Metric = "mean_per_exposed"     // Sum goals: sum ÷ exposures
	MeanPerConverter   Metric = "mean_per_converter"   // Average goals: sum ÷ conversions
	MeanPerPageVisitor Metric = "mean_per_page_viewer" // PerVisitor and Rate goals: sum ÷ viewers
)

// GoalResult is the analysis of one goal.
type GoalResult struct {
	Goal          string             `json:"goal"`
	ValueType     ValueType          `json:"value_type"`
	Metric        Metric             `json:"metric"`
	LowerIsBetter bool               `json:"lower_is_better,omitempty"`
	Populations   []PopulationResult `json:"populations"` // in the order of Input.Populations
}

// PopulationResult holds one population's figures on one goal.
type PopulationResult struct {
	Population string `json:"population"`
	Control    bool   `json:"control"`
	Exposures  int64  `json:"exposures"`
	// Counts are the exact inputs.
	Counts Counts `json:"counts"`
	// Units is the denominator of the mean: exposures, conversions or viewers.
	Units int64 `json:"units"`
	// Mean is the rate (conversion goals) or the mean value per unit; 0 without units.
	Mean float64 `json:"mean"`
	// StdDev is the standard deviation of one unit's value (√(p(1−p)) for a rate, the
	// sample standard deviation from the value squares for a value goal).
	StdDev float64 `json:"std_dev"`
	// StdErr is the standard error of Mean: StdDev/√Units.
	StdErr float64 `json:"std_err"`
	// Comparison with the control; nil for the control itself.
	Comparison *Comparison `json:"comparison,omitempty"`
	// Best compares the population with all the others at once (the same posteriors
	// as Bayes).
	Best Best `json:"best"`
}

// Best holds the Bayesian figures of a population against all populations of its
// test at once. With two populations they equal the pairwise Bayes figures.
type Best struct {
	// Defined is false when a population of the goal has no posterior.
	Defined bool `json:"defined"`
	// ChanceToBeBest is the probability that this population's mean is the highest
	// (the lowest when lower is better) of all.
	ChanceToBeBest float64 `json:"chance_to_be_best"`
	// Risk is the expected loss of choosing this population: E[max of all − this]
	// (E[this − min of all] when lower is better).
	Risk float64 `json:"risk"`
}

// Interval is an estimate with an interval around it. HasEstimate is false when there
// is no estimate (a lift over a control mean of 0); Defined is false when no interval
// can be given. Missing figures are 0 and flagged, never a silent zero.
type Interval struct {
	Estimate    float64 `json:"estimate"`
	HasEstimate bool    `json:"has_estimate"`
	Low         float64 `json:"low"`
	High        float64 `json:"high"`
	Defined     bool    `json:"defined"`
}

// Excludes reports whether the interval is defined and does not contain v.
func (i Interval) Excludes(v float64) bool { return i.Defined && (v < i.Low || v > i.High) }

// Comparison compares one population (the variant, B) with the control (A) on a goal.
type Comparison struct {
	// Defined is false when the test cannot be made (a population without units, a
	// value goal without value squares, no variance in either population …); Reason
	// says why, the intervals are not Defined, Z is 0 and P and AdjustedP are 1. The
	// estimates of Diff and Lift are still given when the means exist.
	Defined bool   `json:"defined"`
	Reason  string `json:"reason,omitempty"`

	// Diff is mean_B − mean_A with its interval at level 1 − Alpha.
	Diff Interval `json:"diff"`
	// Lift is mean_B/mean_A − 1 with its interval (Fieller's, from the same test as
	// Diff: it excludes 0 exactly when Diff does). For a conversion rate the interval
	// is cut at −100%, below which no lift can fall.
	Lift Interval `json:"lift"`
	// Z is the unpooled Wald statistic Diff/SE.
	Z float64 `json:"z"`
	// P is the two-sided p-value of the same test (always valid when Sequential).
	P float64 `json:"p"`
	// AdjustedP is P after the test's Correction; never below P.
	AdjustedP float64 `json:"adjusted_p"`
	// Significant reports AdjustedP < Alpha. Without a correction it holds exactly
	// when the Diff interval excludes 0.
	Significant bool `json:"significant"`
	// Sequential reports that Diff, Lift and P are the always-valid ones.
	Sequential bool `json:"sequential"`
	// SmallSample reports that the normal approximation is rough (see SmallCount).
	SmallSample bool `json:"small_sample"`

	Bayes Bayes `json:"bayes"`
	Power Power `json:"power"`
}

// Bayes holds the Bayesian figures of a comparison: Beta(1 + c, 1 + n − c) posteriors
// for conversion rates, normal posteriors (flat prior) for value means.
type Bayes struct {
	// Defined is false when the posteriors are degenerate; the figures are then 0.
	Defined bool `json:"defined"`
	// ChanceToWin is P(B better than A): P(mean_B > mean_A), or P(mean_B < mean_A) for
	// a goal where lower is better.
	ChanceToWin float64 `json:"chance_to_win"`
	// Risk is the expected loss of choosing the variant, E[max(A − B, 0)] (the other
	// way round when lower is better), in the unit of the mean.
	Risk float64 `json:"risk"`
	// RiskControl is the expected loss of keeping the control, E[max(B − A, 0)].
	RiskControl float64 `json:"risk_control"`
	// Lift is the posterior median of mean_B/mean_A − 1 with its central credible
	// interval at level 1 − Alpha.
	Lift Interval `json:"lift"`
}

// Power holds the power figures of a comparison for the test's MDE.
type Power struct {
	// Defined is false when the control's mean or spread is 0 (no effect size).
	Defined bool `json:"defined"`
	// MDE is the relative minimum detectable effect used.
	MDE float64 `json:"mde"`
	// Power is the probability that the fixed-horizon test at Alpha detects a true
	// lift of MDE with the current exposures.
	Power float64 `json:"power"`
	// NeededControl and NeededVariant are the exposures each population needs for
	// Config.Power at the current allocation ratio.
	NeededControl int64 `json:"needed_control"`
	NeededVariant int64 `json:"needed_variant"`
	// Remaining is the exposures still missing over both populations (0 when there
	// are enough).
	Remaining int64 `json:"remaining"`
}
