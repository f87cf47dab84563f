#!/usr/bin/env python3
"""The Python renderer's speed against the native one on the same scenes, one thread each:

    python3 scripts/bench_python_render.py [--air .build/release/air] [--count 256] [--seconds 3] [--spec scenes/three-objects.json]

Generates the scenes with `air generate` (three objects each by default, the spec's lights),
times `air.Renderer(threads=1).render(scenes, masks=False)` on the scene dicts (parsing
included) and `render_arrays` on the same scenes as numpy arrays, then `air bench render --scenes FILE` on the very same scenes, and prints both
rates and their ratio as one JSON line."""
import argparse
import json
import os
import subprocess
import tempfile
import time

import numpy as np

import air


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--air", default=".build/release/air")
    ap.add_argument("--count", type=int, default=256)
    ap.add_argument("--seconds", type=float, default=3)
    ap.add_argument("--spec", default="scenes/three-objects.json")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = os.path.join(tmp, "ds")
        subprocess.run([a.air, "generate", "--spec", a.spec, "--count", str(a.count), "--seed", "5", "--out", folder, "--quiet"], check=True)
        data = air.Dataset(folder)
        scenes = [data.scene(i) for i in range(len(data))]
        path = os.path.join(tmp, "scenes.jsonl")
        with open(path, "w") as f:
            f.writelines(json.dumps(s) + "\n" for s in scenes)
        r = air.Renderer(threads=1)
        r.render(scenes, masks=False)
        done, start = 0, time.perf_counter()
        while time.perf_counter() - start < a.seconds:
            r.render(scenes, masks=False)
            done += len(scenes)
        python_rate = done / (time.perf_counter() - start)
        # The array path: the same scenes as numpy arrays, built once.
        from air._render import LIGHT_DTYPE, OBJECT_DTYPE, _light_row, _object_rows
        rows = [_object_rows(s, "") for s in scenes]
        objects = np.array([o for r in rows for o in r], dtype=OBJECT_DTYPE)
        offsets = np.concatenate([[0], np.cumsum([len(r) for r in rows])]).astype(np.int32)
        lights = np.array([_light_row(s, "") for s in scenes], dtype=LIGHT_DTYPE)
        done, start = 0, time.perf_counter()
        while time.perf_counter() - start < a.seconds:
            r.render_arrays(objects, offsets, lights)
            done += len(scenes)
        array_rate = done / (time.perf_counter() - start)
        native = json.loads(subprocess.run([a.air, "bench", "render", "--scenes", path, "--seconds", str(a.seconds)],
                                           check=True, capture_output=True, text=True).stdout)
        print(json.dumps({"bench": "python-render", "scenes": len(scenes), "spec": a.spec, "threads": 1,
                          "python_dicts_scenes_per_second": round(python_rate, 1),
                          "python_arrays_scenes_per_second": round(array_rate, 1),
                          "native_scenes_per_second": native["scenes_per_second"],
                          "dicts_ratio": round(python_rate / native["scenes_per_second"], 3),
                          "arrays_ratio": round(array_rate / native["scenes_per_second"], 3)}))


if __name__ == "__main__":
    main()
