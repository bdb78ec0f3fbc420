// Package analysis computes the statistics of a split test from its committed counts:
// for every goal and population, the mean (a conversion rate or a mean value), and
// against the control the difference and lift with intervals and a p-value from one
// test, the Bayesian chance to win, risks and credible interval of the lift, the power
// and visitors still needed, with a sample-ratio check of the exposures and a
// multiple-comparison correction across the test. It is plain data in, plain data out:
// no database, no HTTP, no formatting. The API, the command line and the dashboard
// all show its figures.
//
// # Methods
//
// Means. A conversion goal's mean is the rate p = c/n of exposed visitors who
// converted, with per-visitor variance p(1 − p). A value goal's mean is Σx/u over
// units: exposed visitors (S goals: revenue per exposed visitor), converting visitors
// (A goals) or visitors who viewed a page (I and R goals); its per-unit variance is
// the sample variance (u·Σx² − (Σx)²)/(u(u − 1)) from the sum of the per-visitor value
// squares Σx² (docs/semantics.md), the numerator computed exactly in decimals.
//
// Frequentist test. With standard errors se_A, se_B of the two means and
// s = √(se_A² + se_B²), the difference d = m_B − m_A has the unpooled Wald statistic
// z = d/s, the two-sided p-value 2Φ(−|z|) and the interval d ± z_{1−α/2}·s. The lift
// m_B/m_A − 1 gets Fieller's interval (Fieller 1954): the ratios ρ for which the same
// Wald test does not reject m_B − ρ·m_A = 0, that is the roots of
// (m_A² − k²se_A²)ρ² − 2m_A·m_B·ρ + (m_B² − k²se_B²) = 0. At ρ = 1 that is the test of
// the difference itself, so both intervals exclude 0 exactly when p < α (to first
// order Fieller's interval is the delta-method interval, which lacks that property).
// When the control mean is not itself distinguishable from 0 (m_A² ≤ k²se_A²) the set
// is unbounded and the lift interval is not defined.
//
// Sequential test (Config.Sequential). The estimate d ~ N(θ, s²) is mixed over
// θ ~ N(0, τ²): Λ = √(s²/(s²+τ²))·exp(d²τ²/(2s²(s²+τ²))) is a nonnegative martingale
// under θ = 0, so by Ville's inequality P(Λ ever reaches 1/α) ≤ α (the normal-mixture
// boundary of Robbins 1970; Howard, Ramdas, McAuliffe & Sekhon 2021, "Time-uniform,
// nonparametric, nonasymptotic confidence sequences", §3.5; the mSPRT of Johari,
// Koomen, Pekelis & Walsh 2022, "Always valid inference"). The always-valid p-value is
// min(1, 1/Λ) and the confidence sequence is d ± c·s with
// c² = (1 + r)(log(1/α²) + log(1 + 1/r)), r = s²/τ². The mixing parameter τ² is set
// so that the boundary is tightest when the two populations have 2·SequentialTuning
// exposures: τ² = x·s*², with s*² the variance extrapolated to that size
// (s*² = s²·n/n*, n the current exposures of both) and x the root of
// x = log(1/α²) + log(1 + x) (x ≈ 8.2 at α = 0.05; Howard et al.'s optimal ρ = m/x).
// So r = n*/(x·n) depends on the exposures only, the same c serves the difference and
// Fieller's ratio, and since 2·log(1/α) ≥ z²_{1−α/2} (the Gaussian tail bound
// P(|Z| > z) ≤ e^{−z²/2}), c > z_{1−α/2}: the sequence always contains the
// fixed-horizon interval. The variances are estimated, so validity is asymptotic, as
// for every z test here.
//
// Bayesian figures. Conversion rates have independent Beta(1 + c, 1 + n − c)
// posteriors. The chance to win P(B > A) = ∫ f_A(t)·P(B > t) dt, the expected losses
// E[max(A − B, 0)] = ∫ f_A(t)·(t·F_B(t) − m_B·F_{B⁺}(t)) dt (B⁺ = Beta(α_B + 1, β_B),
// whose distribution function follows from B's by DLMF 8.17.20; Stucchio 2015) and the
// distribution function of B/A are one-dimensional integrals of a Beta density times
// a Beta distribution function. They are integrated by Gauss–Legendre quadrature on
// pieces of the narrower density's bulk out to 40 standard deviations, the wider one's
// distribution function at the nodes coming from one incomplete beta value and
// Gauss–Legendre on the gaps between nodes (integrate.go): accurate to 1e-10 against
// 50-digit values, at a cost that does not grow with the counts, where the exact
// finite sum (Miller 2015) needs as many terms as there are conversions. The credible
// interval of the lift is made of the α/2 and 1 − α/2 quantiles of B/A − 1, found by
// Newton's method on that distribution function. Value goals use normal posteriors
// m ~ N(m̂, se²) (flat prior): chance to win Φ(d/s), losses s·φ(d/s) ∓ d·Φ(∓d/s), and
// since B − r·A is normal the credible interval of the ratio is Fieller's interval at
// z_{1−α/2}. A goal where lower is better (Goal.LowerIsBetter) swaps the direction of
// the chance to win and the risks. PopulationResult.Best compares each population with
// all others at once from the same posteriors: P(j best) = ∫ f_j·Π_{k≠j} F_k and the
// loss E[max_k m_k] − m_j (best.go).
//
// Corrections (Config.Correction) adjust the p-values of all defined comparisons of a
// test (goals × non-control populations) by Holm's step-down method (family-wise
// error) or Benjamini–Hochberg's step-up method (false discovery rate); adjusted
// p-values are never below the raw ones, and Significant uses them. The intervals stay
// at level 1 − α per comparison, so under a correction they match the raw P, not
// AdjustedP.
//
// Sample ratio: Pearson's χ² of the exposures against Config.Weights (equal by
// default), its p-value from χ²(populations − 1); SRM.Warn when p < 0.001 with at least
// 100 exposures. Power: the fixed-horizon z test's power for a lift of Config.MDE and
// the exposures needed for Config.Power at the current allocation (see power.go).
//
// Distributions are gonum's (stat/distuv, integrate/quad); the package has no
// special functions of its own.
//
// # Invariants
//
//   - Analyze is pure and deterministic; bad input is an error, never a panic.
//   - A comparison that cannot be made is Defined = false with a Reason and neutral
//     figures (P = AdjustedP = 1): it is never shown as significant.
//   - Without a correction, Significant ⇔ the Diff interval excludes 0 ⇔ the defined
//     Lift interval excludes 0.
//   - AdjustedP ≥ P; the sequential interval contains the fixed-horizon one.
//   - Exact inputs are echoed in the result (PopulationResult.Counts).
package analysis
