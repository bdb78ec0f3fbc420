"""Independent reference values for analysis' table tests.

Run: python3 analysis/testdata/reference.py [beta]   (needs mpmath; Debian: python3-mpmath;
the Beta part, with argument beta, takes minutes)

Everything is computed at 50 significant digits with mpmath, from the textbook
definitions, not from the Go code's formulas where a different route exists:
  - normal quantiles and p-values: mpmath erfc / erfinv;
  - Fieller's interval: the roots of its quadratic, solved with mpmath.polyroots;
  - chance to win P(B > A) for Beta posteriors: the exact finite sum of Evan Miller
    (2015), sum_{i<aB} B(aA+i, bA+bB) / ((bB+i) B(1+i, bB) B(aA, bA));
  - risks: E[max(A-B,0)] = mA P(A+ > B) - mB P(A > B+) with both probabilities from the
    same exact sum (the Go code integrates t F(t) - m F+(t) numerically instead);
  - lift quantiles: mpmath.findroot on P(B <= s A) = int f_A(y) I_{sy}(aB, bB) dy
    computed with mpmath.quad;
  - chi-square survival: the regularized upper incomplete gamma function;
  - sequential boundary: the mixture likelihood ratio solved for 1/alpha with
    mpmath.findroot (not the closed form the Go code uses).
"""
import mpmath as mp

mp.mp.dps = 50
Z = lambda p: mp.sqrt(2) * mp.erfinv(2 * p - 1)          # standard normal quantile
Phi = lambda x: mp.erfc(-x / mp.sqrt(2)) / 2


def wald(mA, vA, mB, vB, k):
    """vA, vB: variances of the means."""
    d = mB - mA
    s = mp.sqrt(vA + vB)
    z = d / s
    # Fieller: (mA^2 - k^2 vA) r^2 - 2 mA mB r + (mB^2 - k^2 vB) = 0
    roots = sorted(mp.re(r) for r in mp.polyroots([mA**2 - k**2 * vA, -2 * mA * mB, mB**2 - k**2 * vB], maxsteps=200, extraprec=200))
    return d, d - k * s, d + k * s, z, roots[0] - 1, roots[1] - 1


def rate_case(cA, nA, cB, nB, alpha=mp.mpf('0.05')):
    pA, pB = mp.mpf(cA) / nA, mp.mpf(cB) / nB
    vA, vB = pA * (1 - pA) / nA, pB * (1 - pB) / nB
    k = Z(1 - alpha / 2)
    d, lo, hi, z, llo, lhi = wald(pA, vA, pB, vB, k)
    p = mp.erfc(abs(z) / mp.sqrt(2))
    return dict(diff=d, diff_lo=lo, diff_hi=hi, z=z, p=p, lift=pB / pA - 1, lift_lo=max(llo, -1), lift_hi=lhi)


def value_case(u, s, sq):
    """units, sum, sum of squares -> mean, variance of one unit (sample), var of mean"""
    u, s, sq = mp.mpf(u), mp.mpf(s), mp.mpf(sq)
    mean = s / u
    var = (sq - u * mean**2) / (u - 1)
    return mean, var, var / u


def seq_boundary(alpha, r):
    """c with Lambda(c) = 1/alpha, Lambda(z) = sqrt(r/(1+r)) exp(z^2/(2(1+r)))"""
    f = lambda c: mp.sqrt(r / (1 + r)) * mp.exp(c**2 / (2 * (1 + r))) - 1 / alpha
    return mp.findroot(f, 3)


def mix_ratio(alpha):
    return mp.findroot(lambda x: x - (mp.log(1 / alpha**2) + mp.log(1 + x)), 8)


def prob_greater(aB, bB, aA, bA):
    """P(B > A), B ~ Beta(aB, bB), A ~ Beta(aA, bA), aB integer (Evan Miller)."""
    total = mp.mpf(0)
    lbA = mp.log(mp.beta(aA, bA))
    for i in range(int(aB)):
        total += mp.exp(mp.log(mp.beta(aA + i, bA + bB)) - mp.log(bB + i) - mp.log(mp.beta(1 + i, bB)) - lbA)
    return total


def beta_case(cA, nA, cB, nB, alpha=mp.mpf('0.05'), quantiles=True):
    aA, bA, aB, bB = 1 + cA, 1 + nA - cA, 1 + cB, 1 + nB - cB
    mA, mB = mp.mpf(aA) / (aA + bA), mp.mpf(aB) / (aB + bB)
    win = prob_greater(aB, bB, aA, bA)
    riskB = mA * prob_greater(aA + 1, bA, aB, bB) - mB * prob_greater(aA, bA, aB + 1, bB)
    riskA = mB * prob_greater(aB + 1, bB, aA, bA) - mA * prob_greater(aB, bB, aA + 1, bA)
    out = dict(win=win, risk=riskB, risk_control=riskA)
    if quantiles:
        sdA = mp.sqrt(mA * (1 - mA) / (aA + bA + 1))
        pts = [max(mp.mpf(0), min(mp.mpf(1), mA + k * sdA)) for k in range(-12, 13, 2)]
        pts = sorted(set(pts))
        fA = lambda y: mp.exp((aA - 1) * mp.log(y) + (bA - 1) * mp.log(1 - y) - mp.log(mp.beta(aA, bA)))
        cdf = lambda s: mp.quad(lambda y: fA(y) * mp.betainc(aB, bB, 0, min(s * y, 1), regularized=True), pts)
        guess = mB / mA
        # quadrature to about 25 digits: findroot's secant iteration to 1e-20
        with mp.workdps(30):
            out['lift_lo'] = mp.findroot(lambda s: cdf(s) - alpha / 2, (guess * 0.8, guess * 0.85), tol=1e-20) - 1
            out['lift_hi'] = mp.findroot(lambda s: cdf(s) - (1 - alpha / 2), (guess * 1.2, guess * 1.25), tol=1e-20) - 1
    return out


def chi2_sf(x, df):
    return mp.gammainc(mp.mpf(df) / 2, mp.mpf(x) / 2, mp.inf, regularized=True)


def show(name, d):
    print(name)
    for k, v in d.items():
        print(f"    {k}: {mp.nstr(v, 17)}")


if __name__ == '__main__':
    a = mp.mpf('0.05')
    import sys
    if sys.argv[1:] == ['beta']:
        for cc in [(200, 1000, 250, 1000), (3, 40, 7, 45), (37, 100000, 45, 100000), (20000, 100000, 20300, 100000)]:
            show(f"beta {cc}", beta_case(*cc, quantiles=cc[1] <= 1000))
        sys.exit()
    for c in [(189, 11034, 104, 11037), (200, 1000, 250, 1000), (1200, 10000, 1290, 10000), (2, 2, 1, 2)]:
        show(f"rate {c}", rate_case(*c))
    # value goals: S over exposures, A over conversions
    for name, (nA, sA, qA, nB, sB, qB) in {
        'sum 1000/2000/40000 vs 1000/2600/50000': (1000, 2000, 40000, 1000, 2600, 50000),
        'avg 200/2000/40000 vs 250/2600/50000': (200, 2000, 40000, 250, 2600, 50000),
    }.items():
        mA, varA, vA = value_case(nA, sA, qA)
        mB, varB, vB = value_case(nB, sB, qB)
        d, lo, hi, z, llo, lhi = wald(mA, vA, mB, vB, Z(1 - a / 2))
        s = mp.sqrt(vA + vB)
        show(name, dict(meanA=mA, sdA=mp.sqrt(varA), meanB=mB, sdB=mp.sqrt(varB), diff_lo=lo, diff_hi=hi, z=z,
                        p=mp.erfc(abs(z) / mp.sqrt(2)), lift_lo=llo, lift_hi=lhi,
                        win=Phi(d / s),
                        # E[max(-D,0)], D ~ N(d, s^2), by quadrature of the definition
                        risk=mp.quad(lambda x: max(-x, 0) * mp.npdf(x, d, s), [-mp.inf, d - 10 * s, 0, d + 10 * s, mp.inf]),
                        risk_control=mp.quad(lambda x: max(x, 0) * mp.npdf(x, d, s), [-mp.inf, d - 10 * s, 0, d + 10 * s, mp.inf])))
    # sequential: 200/1000 vs 250/1000, tuned at 10,000 per population
    x = mix_ratio(a)
    r = mp.mpf(20000) / (x * 2000)
    c = seq_boundary(a, r)
    rc = rate_case(200, 1000, 250, 1000)
    s = (rc['diff_hi'] - rc['diff']) / Z(1 - a / 2)
    lam = mp.sqrt(r / (1 + r)) * mp.exp(rc['z']**2 / (2 * (1 + r)))
    show("sequential 200/1000 vs 250/1000, tuning 10000", dict(x=x, r=r, c=c, diff_lo=rc['diff'] - c * s, diff_hi=rc['diff'] + c * s, p=min(1, 1 / lam)))
    for counts in [(5000, 5100), (821588, 815482), (1000, 1100, 1200)]:
        m = len(counts); tot = sum(counts)
        chi = sum((mp.mpf(o) - mp.mpf(tot) / m) ** 2 / (mp.mpf(tot) / m) for o in counts)
        show(f"srm {counts}", dict(chi2=chi, p=chi2_sf(chi, m - 1)))
    chi = (mp.mpf(300) - 250) ** 2 / 250 + (mp.mpf(700) - 750) ** 2 / 750
    show("srm (300, 700) weights 1:3", dict(chi2=chi, p=chi2_sf(chi, 1)))
    # power: rates 0.2 control, 1000 each, mde 5%, power 0.8
    pA = mp.mpf('0.2'); p1 = pA * mp.mpf('1.05'); delta = p1 - pA
    vA, vB = pA * (1 - pA), p1 * (1 - p1)
    s = mp.sqrt(vA / 1000 + vB / 1000); zc = Z(1 - a / 2)
    show("power 200/1000 vs 250/1000, mde 0.05", dict(power=Phi(delta / s - zc) + Phi(-delta / s - zc),
         need=(zc + Z(mp.mpf('0.8')))**2 * (vA + vB) / delta**2))
