#!/usr/bin/python3
"""The tables of src/dist/trunc_normal.c's vectorised erfinv (issue 23),
printed as C. Run with Debian's /usr/bin/python3 (numpy, mpmath):

  scripts/gen_erfinv_tables.py

- ERF_SERIES: erf(y) / y as a polynomial in t = y^2, the Maclaurin series
  2/sqrt(pi) sum (-1)^n t^n / (n! (2n + 1)), 26 terms (the first left out is
  below 3e-17 at |y| = 1.6), each rounded from 40 digits;
- EXP_SERIES: exp(-t), 16 terms of its series (erf's derivative; it only
  steers the Halley steps, 2e-7 at t = 1.6^2 is plenty);
- ERFINV_START: erfinv(x) / x as a polynomial of degree 8 in s = x^2, least
  squares on 1500 Chebyshev points of x in [0, 0.97] against mpmath's
  erfinv: within 9e-4 relative (printed), the start of the Halley steps.
It also prints the worst relative error of the series evaluated in
float64 by Horner's rule, as the C code does, on |y| <= 1.6.
"""
import mpmath as mp
import numpy as np

mp.mp.dps = 40
XMAX, YMAX = 0.97, 1.6


def table(name, values):
    print("static const double %s[%d] = {" % (name, len(values)))
    for v in values:
        print("    %.17g," % v)
    print("};")


erf_series = [float(2 / mp.sqrt(mp.pi) * (-1) ** n / (mp.factorial(n) * (2 * n + 1)))
              for n in range(26)]
exp_series = [float(mp.mpf(-1) ** n / mp.factorial(n)) for n in range(16)]
k = np.arange(1500)
x = (1 - np.cos(np.pi * (k + 0.5) / 1500)) / 2 * XMAX
start = np.polynomial.polynomial.polyfit(
    x * x, [float(mp.erfinv(mp.mpf(v)) / mp.mpf(v)) for v in x], 8)

table("ERF_SERIES", erf_series)
table("EXP_SERIES", exp_series)
table("ERFINV_START", start)

worst = 0
for y in np.linspace(1e-6, YMAX, 4001):
    s = 0.0
    for a in erf_series[::-1]:
        s = s * (y * y) + a
    e = mp.erf(mp.mpf(y))
    worst = max(worst, abs(mp.mpf(y * s) - e) / e)
xs = np.linspace(1e-4, XMAX, 5000)
est = xs * np.polynomial.polynomial.polyval(xs * xs, start)
tru = np.array([float(mp.erfinv(mp.mpf(v))) for v in xs])
print("/* erf series: worst relative error %.3g; start: %.3g */"
      % (float(worst), np.max(np.abs(est / tru - 1))))
