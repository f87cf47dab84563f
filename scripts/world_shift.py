#!/usr/bin/env python3
"""Copy an air dataset into a world its prior does not cover: a tinted light (every pixel's
colour scaled per channel, as a coloured light does to a Lambertian scene) and a wood-like table
(the table's albedo given a grain pattern and another base colour; applied to the table pixels of
the dataset's masks, shadows included, since a Lambertian pixel is albedo x shading).

    python3 scripts/world_shift.py SRC DST --tint 1.0,0.9,0.75 --wood 0.12

By-hand tool for building shifted sets for `air adapt` (pip install pillow numpy); air never
runs it.
"""
import argparse, math, os, shutil, sys
import numpy as np
from PIL import Image

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("src"); ap.add_argument("dst")
    ap.add_argument("--tint", help="per-channel light colour, e.g. 1.0,0.9,0.75")
    ap.add_argument("--wood", type=float, help="grain amplitude (0: plain) of a wood-like table")
    ap.add_argument("--table", default="1.10,0.92,0.72", help="the wood's albedo relative to the model's table")
    a = ap.parse_args()
    if os.path.exists(a.dst):
        sys.exit(f"{a.dst} exists; remove it first")
    shutil.copytree(a.src, a.dst)
    tint = np.array([float(v) for v in a.tint.split(",")]) if a.tint else np.ones(3)
    base = np.array([float(v) for v in a.table.split(",")])
    folder = os.path.join(a.dst, "images")
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        x = np.asarray(Image.open(path).convert("RGB"), dtype=np.float64) / 255
        if a.wood is not None:
            mask = np.asarray(Image.open(os.path.join(a.dst, "masks", name)))
            h, w = mask.shape
            yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
            grain = np.sin(2 * math.pi * (xx * 0.11 + 0.9 * np.sin(yy * 0.07) + 0.15 * np.sin(xx * 0.5 + yy * 0.3)))
            factor = base[None, None, :] * (1 + a.wood * grain)[:, :, None]
            table = (mask == 0)[:, :, None]
            x = np.where(table, x * factor, x)
        x = np.clip(x * tint[None, None, :], 0, 1)
        Image.fromarray((x * 255 + 0.5).astype(np.uint8)).save(path)

if __name__ == "__main__":
    main()
