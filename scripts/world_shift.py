#!/usr/bin/env python3
"""Copy an air dataset into a world its prior does not cover: a tinted light (every pixel's
colour scaled per channel, as a coloured light does to a Lambertian scene), a wood-like table
(the table's albedo given a grain pattern and another base colour; applied to the table pixels of
the dataset's masks, shadows included, since a Lambertian pixel is albedo x shading), and glossy
blocks (white Blinn-Phong highlights on the blocks' pixels, from the dataset's normals, the
scene's light and the eye; the dataset must be made with `air generate --normals`).

    python3 scripts/world_shift.py SRC DST --tint 1.0,0.9,0.75 --wood 0.12
    python3 scripts/world_shift.py SRC DST --gloss 0.6 --shininess 30

By-hand tool for building shifted sets for `air adapt` (pip install pillow numpy); air never
runs it.
"""
import argparse, json, math, os, shutil, sys
import numpy as np
from PIL import Image

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("src"); ap.add_argument("dst")
    ap.add_argument("--tint", help="per-channel light colour, e.g. 1.0,0.9,0.75")
    ap.add_argument("--wood", type=float, help="grain amplitude (0: plain) of a wood-like table")
    ap.add_argument("--table", default="1.10,0.92,0.72", help="the wood's albedo relative to the model's table")
    ap.add_argument("--gloss", type=float, help="strength of the blocks' white highlights (needs normals)")
    ap.add_argument("--shininess", type=float, default=30.0, help="Blinn-Phong exponent of the highlights")
    a = ap.parse_args()
    if os.path.exists(a.dst):
        sys.exit(f"{a.dst} exists; remove it first")
    shutil.copytree(a.src, a.dst)
    tint = np.array([float(v) for v in a.tint.split(",")]) if a.tint else np.ones(3)
    base = np.array([float(v) for v in a.table.split(",")])
    folder = os.path.join(a.dst, "images")
    lines = {}
    if a.gloss:
        meta = json.load(open(os.path.join(a.dst, "meta.json")))
        cam = meta["camera"]
        eye, target, up = (np.array(cam[k], dtype=np.float64) for k in ("eye", "target", "up"))
        f = (target - eye) / np.linalg.norm(target - eye)
        r = np.cross(f, up); r /= np.linalg.norm(r)
        u = np.cross(r, f)
        t = math.tan(math.radians(cam["fov_y"]) / 2)
        w, h = cam["width"], cam["height"]
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
        sx = (2 * (xx + 0.5) / w - 1) * t * w / h
        sy = (1 - 2 * (yy + 0.5) / h) * t
        # Towards the eye from what each pixel centre sees (the spec's pinhole camera).
        view = -(f[None, None, :] + sx[:, :, None] * r[None, None, :] + sy[:, :, None] * u[None, None, :])
        view /= np.linalg.norm(view, axis=2, keepdims=True)
        for line in open(os.path.join(a.dst, "scenes.jsonl")):
            d = json.loads(line)
            lines[os.path.basename(d["image"])] = d
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        x = np.asarray(Image.open(path).convert("RGB"), dtype=np.float64) / 255
        if a.gloss:
            d = lines[name]
            if "normals" not in d:
                sys.exit(f"{a.src}: {name} has no normals (make the dataset with air generate --normals)")
            n = np.load(os.path.join(a.dst, d["normals"]))
            mask = np.asarray(Image.open(os.path.join(a.dst, d["mask"])))
            light = np.array(d.get("light", {}).get("direction", [-0.4, -0.6, 1.0]), dtype=np.float64)
            light /= np.linalg.norm(light)
            half = light[None, None, :] + view
            half /= np.linalg.norm(half, axis=2, keepdims=True)
            lit = (mask > 0) & (np.sum(n * light[None, None, :], axis=2) > 0)
            spec = np.where(lit, np.maximum(0, np.sum(n * half, axis=2)) ** a.shininess, 0)
            x = x + a.gloss * spec[:, :, None]
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
