#!/usr/bin/env python3
"""Where a crowded model's over-counts come from: for every scene of at least MIN objects read
with too many, follow the readings in the order the network made them (each explains the
nearest unexplained true object within 0.3 units), and report the step of the first reading
that explains nothing, whether such readings are copies (within 0.3 of an explained object) or
in gaps (farther than 0.3 from every object), and how visible the missed objects are.

    air infer --model models/crowded.safetensors DATASET/images --json readings.jsonl [--recentring 0]
    python3 scripts/crowded_errors.py DATASET readings.jsonl [--min 7]
"""
import argparse, json, math, os, statistics
from collections import Counter

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dataset")
    ap.add_argument("readings")
    ap.add_argument("--min", type=int, default=7)
    a = ap.parse_args()
    truth = [json.loads(l) for l in open(os.path.join(a.dataset, "scenes.jsonl"))]
    readings = {os.path.basename(json.loads(l)["image"]): json.loads(l) for l in open(a.readings)}
    first, kinds, missed, found = Counter(), Counter(), [], []
    scenes = 0
    for t in truth:
        p = readings[os.path.basename(t["image"])]
        T, P = t["objects"], p["objects"]
        if len(T) < a.min or len(P) <= len(T):
            continue
        scenes += 1
        left, bad = list(range(len(T))), None
        for i, o in enumerate(P):
            d = [(math.dist(o["position"], T[j]["position"]), j) for j in left]
            if d and min(d)[0] <= 0.3:
                left.remove(min(d)[1])
                continue
            bad = i if bad is None else bad
            nearest = min(math.dist(o["position"], x["position"]) for x in T)
            kinds["copy" if nearest <= 0.3 else "gap"] += 1
        first[bad] += 1
        missed += [T[j]["visible_pixels"] for j in left]
        found += [T[j]["visible_pixels"] for j in range(len(T)) if j not in left]
    print(f"scenes of >= {a.min} objects read with too many: {scenes}")
    print("step of the first reading that explains nothing:", dict(sorted(first.items())))
    print("readings that explain nothing:", dict(kinds))
    if missed:
        print(f"objects missed: {len(missed)}, visible pixels median {statistics.median(missed)}; "
              f"objects found: {len(found)}, median {statistics.median(found)}")

if __name__ == "__main__":
    main()
