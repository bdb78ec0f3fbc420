package stats

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Reference values computed independently in Python from the formulas documented on
// Comparison (pooled z, erfc for the p-value, Wald interval of the difference, delta
// method for the lift, z = statistics.NormalDist().inv_cdf(0.975)). The first case is
// the Physicians' Health Study (aspirin: 104 heart attacks in 11,037; placebo: 189 in
// 11,034), whose z ≈ −5.00 is a textbook example.
func TestTwoProportion(t *testing.T) {
	for _, tc := range []struct {
		name                    string
		convA, nA, convB, nB    int64
		pa, pb                  float64
		diff, diffLow, diffHigh float64
		lift, liftLow, liftHigh float64
		z, p                    float64
		significant             bool
	}{
		{"aspirin", 189, 11034, 104, 11037,
			0.017128874388254486, 0.009422850412249705,
			-0.0077060239760047815, -0.010724297276960124, -0.004687750675049439,
			-0.4498850187896125, -0.5807223040689766, -0.3190477335102484,
			-5.001388204008378, 5.691896973740857e-07, true},
		{"20% vs 25%", 200, 1000, 250, 1000,
			0.2, 0.25,
			0.05, 0.013463621687539847, 0.08653637831246014,
			0.25, 0.04502206008611079, 0.45497793991388924,
			2.677397763008329, 0.007419649261025693, true},
		{"equal", 50, 500, 50, 500,
			0.1, 0.1,
			0, -0.037187701938273685, 0.037187701938273685,
			0, -0.3718770193827369, 0.3718770193827369,
			0, 1, false},
		{"tiny samples", 1, 2, 2, 2,
			0.5, 1,
			0.5, -0.19295191217483876, 1.1929519121748386,
			1, -1, 3.771807648699355, // the interval's −177% is cut at −100%
			1.1547005383792517, 0.24821307898992362, false},
		{"10% vs 12%", 10, 100, 12, 100,
			0.1, 0.12,
			0.02, -0.06668271715444613, 0.1066827171544461,
			0.2, -0.7505320166239839, 1.1505320166239839,
			0.45198461470556844, 0.6512800661041753, false},
		{"just not significant", 1200, 10000, 1290, 10000,
			0.12, 0.129,
			0.009, -0.00015030339988608872, 0.018150303399886103,
			0.075, -0.004074993297456142, 0.1540749932974565,
			1.927590426492286, 0.053906090602009675, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := TwoProportion(tc.convA, tc.nA, tc.convB, tc.nB)
			require.True(t, c.Valid)
			require.True(t, c.LiftDefined)
			require.True(t, c.IntervalDefined)
			const eps = 1e-12
			assert.InDelta(t, tc.pa, c.RateA, eps)
			assert.InDelta(t, tc.pb, c.RateB, eps)
			assert.InDelta(t, tc.diff, c.Diff, eps)
			assert.InDelta(t, tc.diffLow, c.DiffLow, eps)
			assert.InDelta(t, tc.diffHigh, c.DiffHigh, eps)
			assert.InDelta(t, tc.lift, c.Lift, eps)
			assert.InDelta(t, tc.liftLow, c.LiftLow, eps)
			assert.InDelta(t, tc.liftHigh, c.LiftHigh, eps)
			assert.InDelta(t, tc.z, c.Z, 1e-10)
			assert.InEpsilon(t, tc.p, c.P, 1e-9)
			assert.Equal(t, tc.significant, c.Significant)
			assert.Equal(t, tc.name == "tiny samples", c.SmallSample)
		})
	}
}

func TestTwoProportionSwapNegatesZ(t *testing.T) {
	ab := TwoProportion(200, 1000, 250, 1000)
	ba := TwoProportion(250, 1000, 200, 1000)
	assert.InDelta(t, -ab.Z, ba.Z, 1e-12)
	assert.InDelta(t, ab.P, ba.P, 1e-15)
	assert.InDelta(t, -0.2, ba.Lift, 1e-12)
}

func TestTwoProportionDegenerate(t *testing.T) {
	for _, tc := range []struct {
		name                 string
		convA, nA, convB, nB int64
		want                 Comparison
	}{
		{"no visitors at all", 0, 0, 0, 0, Comparison{Valid: true, P: 1, SmallSample: true}},
		{"control without visitors", 0, 0, 5, 10,
			Comparison{Valid: true, RateB: 0.5, Diff: 0.5, P: 1, SmallSample: true}},
		{"variant without visitors", 5, 10, 0, 0,
			Comparison{Valid: true, RateA: 0.5, Diff: -0.5, P: 1, SmallSample: true}},
		{"nobody converts", 0, 100, 0, 100, Comparison{Valid: true, P: 1, SmallSample: true}},
		{"everybody converts", 100, 100, 80, 80,
			Comparison{Valid: true, RateA: 1, RateB: 1, LiftDefined: true, P: 1, SmallSample: true}},
		{"negative count", -1, 10, 2, 10, Comparison{P: 1}},
		{"more conversions than visitors", 11, 10, 2, 10, Comparison{P: 1}},
		{"negative visitors", 0, -10, 2, 10, Comparison{P: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, TwoProportion(tc.convA, tc.nA, tc.convB, tc.nB))
		})
	}
}

func TestTwoProportionControlRateZero(t *testing.T) {
	// The test is defined (pooled rate 1/20) but the lift is not (division by 0).
	c := TwoProportion(0, 10, 1, 10)
	assert.True(t, c.Valid)
	assert.False(t, c.LiftDefined)
	assert.Zero(t, c.Lift)
	assert.Zero(t, c.LiftLow)
	assert.Zero(t, c.LiftHigh)
	// z = 0.1 / √(0.05 · 0.95 · 0.2), computed by hand.
	assert.InDelta(t, 1.025978352085154, c.Z, 1e-12)
	assert.False(t, c.Significant)
	// A variant that never converts has a lift of exactly −100%, but the delta method
	// gives no interval (its standard error is 0).
	c = TwoProportion(10, 100, 0, 100)
	assert.True(t, c.LiftDefined)
	assert.InDelta(t, -1.0, c.Lift, 1e-15)
	assert.False(t, c.IntervalDefined)
	assert.Zero(t, c.LiftLow)
	assert.Zero(t, c.LiftHigh)
	// z = −0.1/√(0.05 · 0.95 · 0.02), by hand: significant.
	assert.InDelta(t, -3.244428422615251, c.Z, 1e-12)
	assert.True(t, c.Significant)
}

func TestTwoProportionSmallSample(t *testing.T) {
	// 5 conversions and 5 non-conversions in each group are enough.
	assert.False(t, TwoProportion(5, 10, 5, 10).SmallSample)
	assert.True(t, TwoProportion(4, 10, 5, 10).SmallSample)
	assert.True(t, TwoProportion(5, 10, 6, 10).SmallSample, "4 non-conversions")
	assert.False(t, TwoProportion(500, 10000, 700, 10000).SmallSample)
}
