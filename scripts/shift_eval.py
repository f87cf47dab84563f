#!/usr/bin/env python3
"""The README's robustness table: generate every shifted test set of scenes/shifts/ (500 fresh
scenes each, seed 2027 by default), the Pillow-made sets, then `air eval` each amortized and
with --refine, and print one Markdown row per set.

    python3 scripts/shift_eval.py [--model models/default.safetensors] [--count 500] [--seed 2027] [--out sets]

Needs a release build (swift build -c release) and Pillow for the Pillow-made sets.
"""
import argparse, glob, json, os, subprocess, sys

def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{r.stderr}")
    return r.stdout

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="models/default.safetensors")
    ap.add_argument("--count", type=int, default=500)
    ap.add_argument("--seed", type=int, default=2027)
    ap.add_argument("--out", default="sets")
    ap.add_argument("--air", default=".build/release/air")
    ap.add_argument("--no-refine", action="store_true")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    sets = []
    for spec in sorted(glob.glob("scenes/shifts/*.json")):
        name = os.path.splitext(os.path.basename(spec))[0]
        folder = os.path.join(a.out, name)
        if not os.path.exists(os.path.join(folder, "meta.json")):
            run([a.air, "generate", "--spec", spec, "--count", str(a.count), "--seed", str(a.seed), "--out", folder, "--force"])
        sets.append((name, folder))
    try:
        import PIL  # noqa: F401
        for name, flags in [("pil-jpeg-70", ["--jpeg", "70"]), ("pil-contrast-0.7", ["--contrast", "0.7"]),
                            ("pil-bright-1.2", ["--brightness", "1.2"]), ("pil-blur-1", ["--blur", "1.0"])]:
            folder = os.path.join(a.out, name)
            if not os.path.exists(folder):
                run([sys.executable, "scripts/pil_shift.py", os.path.join(a.out, "clean"), folder] + flags)
            sets.append((name, folder))
    except ImportError:
        print("(Pillow not installed: Pillow-made sets skipped)", file=sys.stderr)
    print("| set | mode | count | shape | colour name | position median | yaw median | ECE | images/s |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, folder in sets:
        for refine in ([False] if a.no_refine else [False, True]):
            report = os.path.join(a.out, f"{name}{'-refined' if refine else ''}.json")
            run([a.air, "eval", "--model", a.model, "--data", folder, "--json", report] + (["--refine"] if refine else []))
            r = json.load(open(report)); o = r
            ece = r.get("calibration", {}).get("expected_calibration_error")
            f = lambda v, d=3: "-" if v is None else f"{v:.{d}f}"
            print(f"| {name} | {'refined' if refine else 'amortized'} | {f(o['count_accuracy'])} | {f(o['shape_accuracy'])} | "
                  f"{f(o['color_name_accuracy'])} | {f(o['position_error_median'])} | {f(o['rotation_error_median_deg'], 2)}° | "
                  f"{f(ece, 4)} | {f(r.get('images_per_second'), 0)} |", flush=True)

if __name__ == "__main__":
    main()
