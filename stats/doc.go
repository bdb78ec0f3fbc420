// Package stats holds the statistics of the experiment dashboard: the two-proportion
// z-test with a confidence interval for the relative lift, the chi-square test for a
// sample-ratio mismatch, and the normal and chi-square distribution functions they
// rest on.
//
// Invariants:
//   - Every function is pure and total: any input, including empty groups, zero or
//     negative counts, conversions above visitors and rates of 0 or 1, gives finite,
//     documented values. No function panics or returns NaN.
//   - A result that cannot be computed is marked as such (Comparison.Valid,
//     Comparison.LiftDefined) and carries neutral numbers (0, and a p-value of 1), so
//     it can never be shown as significant.
//   - Confidence intervals are two-sided at Confidence (95%).
package stats
