#!/usr/bin/env python3
"""Copy an air dataset with its images passed through Pillow (an independent implementation
of the camera effects air trains on): a real JPEG codec, Pillow's contrast, brightness and blur.

    python3 scripts/pil_shift.py SRC DST --jpeg 70
    python3 scripts/pil_shift.py SRC DST --contrast 0.7 --brightness 1.2 --blur 1.0

By-hand tool for building shifted test sets (pip install pillow); air never runs it.
"""
import argparse, io, os, shutil, sys
from PIL import Image, ImageEnhance, ImageFilter

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("src"); ap.add_argument("dst")
    ap.add_argument("--jpeg", type=int, help="JPEG quality (Pillow's codec, 4:2:0)")
    ap.add_argument("--contrast", type=float); ap.add_argument("--brightness", type=float)
    ap.add_argument("--blur", type=float, help="Gaussian blur radius (sigma) in pixels")
    a = ap.parse_args()
    if os.path.exists(a.dst):
        sys.exit(f"{a.dst} exists; remove it first")
    shutil.copytree(a.src, a.dst)
    folder = os.path.join(a.dst, "images")
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        im = Image.open(path).convert("RGB")
        if a.brightness is not None: im = ImageEnhance.Brightness(im).enhance(a.brightness)
        if a.blur is not None: im = im.filter(ImageFilter.GaussianBlur(a.blur))
        if a.contrast is not None: im = ImageEnhance.Contrast(im).enhance(a.contrast)
        if a.jpeg is not None:
            buf = io.BytesIO(); im.save(buf, "JPEG", quality=a.jpeg); buf.seek(0)
            im = Image.open(buf).convert("RGB")
        im.save(path)

if __name__ == "__main__":
    main()
