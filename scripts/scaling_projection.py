#!/usr/bin/env python3
"""Projects data-parallel `air train` to many ranks (README, "Training on many processes").

A step of a rank holding b images costs b*t_c + t_0 (t_c: compute per image, t_0: the work
every rank repeats whatever b -- Adam's update and the clipping over every parameter, the
gradient vector's copies) plus the gradient all-reduce, which sends and receives
2(N-1)/N * G bytes per rank (ring, or air's chunked sums) in 2(N-1) messages:

    T_ar(N) = 2 (N-1)/N * G / bandwidth + 2 (N-1) * latency

Efficiency against one rank with the same per-rank batch: (b t_c + t_0) / (b t_c + t_0 + T_ar).
Measure t_c and t_0 with `air bench train --batch-size 8` and `--batch-size 32` (one rank):
t_c = (T32 - T8) / 24, t_0 = T8 - 8 t_c, T = seconds_per_step. Standard library only.

usage: scaling_projection.py T8_SECONDS T32_SECONDS [GRADIENT_FLOATS]
"""
import math
import sys

NETWORKS = [("InfiniBand-class, 10 GB/s, 2 us", 10e9, 2e-6), ("10 GbE, 1.25 GB/s, 30 us", 1.25e9, 30e-6)]
RANKS = [8, 64, 512]


def allreduce(n, gradient_bytes, bandwidth, latency):
    return 2 * (n - 1) / n * gradient_bytes / bandwidth + 2 * (n - 1) * latency


def main(argv):
    if len(argv) not in (2, 3):
        sys.exit(__doc__.strip().splitlines()[-1])
    t8, t32 = float(argv[0]), float(argv[1])
    floats = int(argv[2]) if len(argv) == 3 else 1_609_173
    tc = (t32 - t8) / 24
    t0 = max(0.0, t8 - 8 * tc)
    g = 4 * floats
    print(f"t_c = {tc * 1e3:.2f} ms per image, t_0 = {t0 * 1e3:.2f} ms per step, gradient {g / 1e6:.2f} MB")
    print("| network | N | all-reduce | efficiency at b = 16 | b for >= 80 % | speed-up, global batch 32 |")
    print("|---|---|---|---|---|---|")
    one = 32 * tc + t0
    for name, bw, lat in NETWORKS:
        for n in RANKS:
            t_ar = allreduce(n, g, bw, lat)
            eff16 = (16 * tc + t0) / (16 * tc + t0 + t_ar)
            b80 = max(1, math.ceil((4 * t_ar - t0) / tc))
            # A global batch of 32 over more than 32 ranks leaves ranks idle: speed-up stops at 32.
            share = max(32 / n, 1)
            strong = one / (share * tc + t0 + allreduce(min(n, 32), g, bw, lat))
            print(f"| {name} | {n} | {t_ar * 1e3:.2f} ms | {100 * eff16:.0f} % | {b80} | {strong:.1f}x |")


if __name__ == "__main__":
    main(sys.argv[1:])
