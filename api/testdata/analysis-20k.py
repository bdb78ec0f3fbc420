"""Independent figures for the API's analysis of the generated-20k fixture.

Run from the repository root (needs mpmath; Debian: python3-mpmath):

    python3 api/testdata/analysis-20k.py > api/testdata/analysis-20k.json

The counts come from the fixture's own answers (integration/testdata/generated-20k/
expected.json: impressions and variant conversions per population on site 1), not
from Manhattan. The figures are computed at 50 significant digits with mpmath from the
textbook definitions (DESIGN §11):
  - rate p = c/n; difference d = pB - pA, unpooled standard error
    s = sqrt(pA(1-pA)/nA + pB(1-pB)/nB), z = d/s, two-sided p = erfc(|z|/sqrt 2),
    95% interval d -+ z_0.975 s;
  - chance to win P(B > A) for Beta(1+c, 1+n-c) posteriors by Evan Miller's exact
    finite sum; risk of choosing B, E[max(A-B, 0)] = mA P(A+ > B) - mB P(A > B+), and
    of keeping A, E[max(B-A, 0)], with X+ ~ Beta(a+1, b), from the same sum;
  - sample ratio: Pearson's chi-square against equal shares, p from the regularized
    upper incomplete gamma function.
The control is chosen by the default rule: a population named control/false/a/off,
else the first by name.
"""
import json
import mpmath as mp

mp.mp.dps = 50
CONVERSION_GOALS = ["viewed page", "add to cart", "began checkout", "checkout validation failed",
                    "newsletter signup", "payment failed"]
SITE = 1


def greater(aX, bX, aY, bY):
    """P(X > Y), X ~ Beta(aX, bX) with integer aX, Y ~ Beta(aY, bY) (Miller 2015)."""
    return mp.fsum(mp.beta(aY + i, bY + bX) / ((bX + i) * mp.beta(1 + i, bX) * mp.beta(aY, bY)) for i in range(aX))


def compare(cA, nA, cB, nB):
    pA, pB = mp.mpf(cA) / nA, mp.mpf(cB) / nB
    s = mp.sqrt(pA * (1 - pA) / nA + pB * (1 - pB) / nB)
    if s == 0:
        return None  # no variance: the comparison is not defined
    d = pB - pA
    z = d / s
    k = mp.sqrt(2) * mp.erfinv(mp.mpf("0.95"))
    aA, bA, aB, bB = 1 + cA, 1 + nA - cA, 1 + cB, 1 + nB - cB
    mA, mB = mp.mpf(aA) / (aA + bA), mp.mpf(aB) / (aB + bB)
    return {
        "diff": d, "diff_low": d - k * s, "diff_high": d + k * s, "z": z, "p": mp.erfc(abs(z) / mp.sqrt(2)),
        "chance_to_win": greater(aB, bB, aA, bA),
        "risk": mA * greater(aA + 1, bA, aB, bB) - mB * greater(aA, bA, aB + 1, bB),
        "risk_control": mB * greater(aB + 1, bB, aA, bA) - mA * greater(aB, bB, aA + 1, bA),
    }


def control_of(pops):
    for name in ["control", "false", "a", "off"]:
        for p in pops:
            if p.lower() == name:
                return p
    return sorted(pops)[0]


def main():
    e = json.load(open("integration/testdata/generated-20k/expected.json"))
    exposures, conversions = {}, {}
    for a in e["assertions"]:
        args = a["args"]
        if a["query"] != "count" or args.get("site") != SITE or args.get("rollup", "all") != "all" or "test" not in args:
            continue
        key = (args["test"], args["population"])
        if "goal" in args:
            conversions[key + (args["goal"],)] = a["expected"]
        else:
            exposures[key] = a["expected"]
    out = []
    for test, pops in sorted(e["tests"].items()):
        pops = sorted(pops)
        control = control_of(pops)
        n = {p: exposures[(test, p)] for p in pops}
        total = sum(n.values())
        expect = mp.mpf(total) / len(pops)
        chi2 = mp.fsum((n[p] - expect) ** 2 / expect for p in pops)
        goals = []
        for g in CONVERSION_GOALS:
            c = {p: conversions.get((test, p, g), 0) for p in pops}
            comps = {p: compare(c[control], n[control], c[p], n[p]) for p in pops if p != control}
            goals.append({"goal": g, "conversions": c, "comparisons": comps})
        out.append({"test": test, "site": SITE, "control": control, "exposures": n,
                    "srm": {"chi2": chi2, "p": mp.gammainc(mp.mpf(len(pops) - 1) / 2, chi2 / 2, mp.inf, regularized=True)},
                    "goals": goals})
    print(json.dumps({"generated_by": "api/testdata/analysis-20k.py", "tests": out},
                     default=lambda x: mp.nstr(x, 17), indent=1))


main()
