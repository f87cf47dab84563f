#!/usr/bin/env python3
"""How far a model's camera is from a set-up's true camera, in pixels.

The eye's distance along the view direction and the target point are not separately
identifiable from images, so cameras are compared by where they project points, not by their
parameters: a 13 x 13 x 3 grid over the table area at heights 0, 0.5 and 1.

    python3 scripts/projection_error.py --model runs/adapt-cam/model.safetensors \
        --spec scenes/shifts/camera-miscalibrated.json

Standard library only (the model's camera is read from its safetensors header).
"""
import argparse
import json
import math
import struct
import sys


def model_camera(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        if n > 100_000_000:
            sys.exit(f"{path}: not a safetensors file (header length {n})")
        header = json.loads(f.read(n))
    config = json.loads(header["__metadata__"]["config"])
    return dict(eye=config["eye"], target=config["target"], up=config["up"], fov=config["fovY"],
                width=config["width"], height=config["height"])


def spec_camera(path):
    with open(path) as f:
        spec = json.load(f)
    camera = spec.get("camera", {})
    size = spec.get("size", [64, 64])
    return dict(eye=camera.get("eye", [0, -4.5, 7.5]), target=camera.get("target", [0, 0.3, 0]),
                up=camera.get("up", [0, 0, 1]), fov=camera.get("fov_y", 40), width=size[0], height=size[1])


def sub(a, b): return [x - y for x, y in zip(a, b)]
def dot(a, b): return sum(x * y for x, y in zip(a, b))
def cross(a, b): return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]
def unit(a):
    n = math.sqrt(dot(a, a))
    return [x / n for x in a]


def project(camera, p):
    """The spec's pinhole camera: pixel coordinates of point p (x right, y down)."""
    f = unit(sub(camera["target"], camera["eye"]))
    r = unit(cross(f, camera["up"]))
    u = cross(r, f)
    t = math.tan(math.radians(camera["fov"]) / 2)
    w, h = camera["width"], camera["height"]
    q = sub(p, camera["eye"])
    z = dot(q, f)
    x = dot(q, r) / (z * t * w / h)
    y = dot(q, u) / (z * t)
    return ((x + 1) * w / 2, (1 - y) * h / 2)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", required=True, help="model file whose camera is compared")
    ap.add_argument("--spec", required=True, help="batch spec with the true camera")
    ap.add_argument("--half-width", type=float, default=1.5, help="half-width of the table area")
    args = ap.parse_args()
    fitted, true = model_camera(args.model), spec_camera(args.spec)
    g = [-args.half_width + 2 * args.half_width * i / 12 for i in range(13)]
    errors = sorted(math.dist(project(true, p), project(fitted, p))
                    for p in ([x, y, z] for x in g for y in g for z in (0, 0.5, 1)))
    n = len(errors)
    median = (errors[n // 2] + errors[(n - 1) // 2]) / 2
    print(f"projection error (px) over {n} points: median {median:.3f} max {errors[-1]:.3f}")
    print("fitted camera: eye [%.3f, %.3f, %.3f], target [%.3f, %.3f, %.3f], fov_y %.2f"
          % (*fitted["eye"], *fitted["target"], fitted["fov"]))


if __name__ == "__main__":
    main()
