#!/usr/bin/env python3
"""Projects data-parallel `air train` to many ranks (README, "Training on many processes").

A step of a rank holding b images costs b*t_c + t_0 - t_u + t_u/N + T_ar(N): t_c the compute
per image, t_0 the work a single process does whatever b, of which the ranks share t_u (Adam's
update and the clipping, sharded), and the exchange of the gradient's sum and the updated
parameters, which sends and receives 2(N-1)/N * G bytes per rank (as a ring all-reduce) in
2(N-1) messages:

    T_ar(N) = 2 (N-1)/N * G / bandwidth + 2 (N-1) * latency

Efficiency against one process with the same per-rank batch: T_1(b) / T_N(b).
Measure t_c and t_0 with `air bench train --batch-size 8` and `--batch-size 32` (one rank):
t_c = (T32 - T8) / 24, t_0 = T8 - 8 t_c, T = seconds_per_step; t_u from a profile (Adam.step and
clipGradientNorm; 5.6 ms on 2026-12-01). Standard library only.

usage: scaling_projection.py T8_SECONDS T32_SECONDS [T_U_SECONDS [GRADIENT_FLOATS]]
"""
import sys

NETWORKS = [("InfiniBand-class, 10 GB/s, 2 us", 10e9, 2e-6), ("10 GbE, 1.25 GB/s, 30 us", 1.25e9, 30e-6)]
RANKS = [8, 64, 512]


def allreduce(n, gradient_bytes, bandwidth, latency):
    return 2 * (n - 1) / n * gradient_bytes / bandwidth + 2 * (n - 1) * latency


def main(argv):
    if len(argv) not in (2, 3, 4):
        sys.exit(__doc__.strip().splitlines()[-1])
    t8, t32 = float(argv[0]), float(argv[1])
    tu = float(argv[2]) if len(argv) >= 3 else 0.0056
    floats = int(argv[3]) if len(argv) == 4 else 1_609_173
    tc = (t32 - t8) / 24
    t0 = max(0.0, t8 - 8 * tc)
    tu = min(tu, t0)
    g = 4 * floats

    def step(b, n, bw, lat):
        return b * tc + t0 - tu + (tu / n + allreduce(n, g, bw, lat) if n > 1 else tu)

    print(f"t_c = {tc * 1e3:.2f} ms per image, t_0 = {t0 * 1e3:.2f} ms per step (t_u {tu * 1e3:.1f} shared), "
          f"gradient {g / 1e6:.2f} MB")
    print("| network | N | T_ar | efficiency at b = 16 | b for >= 80 % | speed-up, global batch 32 |")
    print("|---|---|---|---|---|---|")
    for name, bw, lat in NETWORKS:
        for n in [2] + RANKS:
            eff16 = step(16, 1, bw, lat) / step(16, n, bw, lat)
            b80 = next((b for b in range(1, 1 << 16) if step(b, 1, bw, lat) / step(b, n, bw, lat) >= 0.8), None)
            # A global batch of 32 over more than 32 ranks leaves ranks idle: speed-up stops at 32.
            busy = min(n, 32)
            strong = step(32, 1, bw, lat) / step(32 / busy, busy, bw, lat)
            print(f"| {name} | {n} | {allreduce(n, g, bw, lat) * 1e3:.2f} ms | {100 * eff16:.0f} % | {b80} | {strong:.1f}x |")


if __name__ == "__main__":
    main(sys.argv[1:])
