"""The coefficients of R in tensor/src/unary/vector_normal.rs.

R(t) = erfc(z)·e^(z²)/t with t = 1/(1 + z/2), a smooth function of t on (0, 1],
fitted by a polynomial in t on [1/8.1, 1] (z from 0 to 14.2) near-minimax in relative
error: Chebyshev least squares, then Lawson's iterative reweighting. Prints the
maximum relative error in f64 and with f32 coefficients evaluated by f32 Horner steps
(each multiply-add rounded once, as `mul_add`), then the coefficients, highest first.

    python3 tools/fit_normal_tail.py [degree=10]     (needs numpy only)
"""
import math
import sys

import numpy as np

T0 = 1 / (1 + 14.2 / 2)


def r_of_t(t):
    z = 2 * (1 / t - 1)
    return math.erfc(z) * math.exp(z * z) / t


def main():
    degree = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    n = 4000
    nodes = np.cos(np.pi * (np.arange(n) + 0.5) / n)
    ts = T0 + (1 - T0) * (nodes + 1) / 2
    ys = np.array([r_of_t(t) for t in ts])
    basis = np.polynomial.chebyshev.chebvander(nodes, degree)
    weights = np.ones(n)
    for _ in range(60):
        coef, *_ = np.linalg.lstsq(basis * (weights / ys)[:, None], weights, rcond=None)
        error = basis @ coef / ys - 1
        weights = weights * np.abs(error) ** 0.5 + 1e-300
        weights /= weights.sum()
    power = np.polynomial.chebyshev.Chebyshev(coef, domain=[T0, 1]).convert(
        kind=np.polynomial.Polynomial).coef[::-1]
    print(f"degree {degree}: max relative error {np.abs(np.polyval(power, ts) / ys - 1).max():.2e} (f64)")
    c32, t32 = power.astype(np.float32), ts.astype(np.float32)
    acc = np.full_like(t32, c32[0])
    for c in c32[1:]:
        acc = (acc.astype(np.float64) * t32 + c).astype(np.float32)
    print(f"  {np.abs(acc / ys - 1).max():.2e} (f32 coefficients, f32 multiply-adds)")
    for c in c32:
        print(f"    {float(c)!r},")


if __name__ == "__main__":
    main()
