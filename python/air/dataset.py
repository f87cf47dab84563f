"""Reading datasets written by `air generate`, for PyTorch's DataLoader or anything that
indexes: no torch dependency."""
import json
import os

import numpy as np
from PIL import Image


class Dataset:
    """dataset[i] is a dict: `image` float32 H×W×3 in [0, 1] (v / 255 of the PNG), `mask`
    uint8 H×W (0 table, k + 1 object k; None when the dataset has no masks), `objects` (the
    line's objects: shape, color, position, rotation, bbox, visible_pixels, ...), `light` and
    `table` (the line's, else meta.json's, else None for the spec's defaults), `index`.
    Paths must stay inside the folder, as air itself requires."""

    def __init__(self, folder):
        self.folder = os.path.abspath(folder)
        with open(os.path.join(self.folder, "meta.json")) as f:
            self.meta = json.load(f)
        if self.meta.get("format") != "air-scenes":
            raise ValueError(f"{folder}/meta.json: not an air dataset (format {self.meta.get('format')!r})")
        with open(os.path.join(self.folder, "scenes.jsonl")) as f:
            self.lines = [json.loads(l) for l in f if l.strip()]
        if len(self.lines) != self.meta.get("count"):
            raise ValueError(f"{folder}/scenes.jsonl: {len(self.lines)} scenes, but meta.json says count {self.meta.get('count')}")

    def __len__(self):
        return len(self.lines)

    def _path(self, rel, i, field):
        p = os.path.realpath(os.path.join(self.folder, rel))
        if os.path.isabs(rel) or not p.startswith(os.path.realpath(self.folder) + os.sep):
            raise ValueError(f"{self.folder}/scenes.jsonl line {i + 1}: {field} {rel!r} is outside the dataset folder")
        return p

    def __getitem__(self, i):
        if not -len(self) <= i < len(self):
            raise IndexError(i)
        i %= len(self)
        line = self.lines[i]
        image = np.asarray(Image.open(self._path(line["image"], i, "image")).convert("RGB"), np.float32) / np.float32(255)
        mask = None
        if "mask" in line:
            mask = np.asarray(Image.open(self._path(line["mask"], i, "mask")), np.uint8)
        return {"index": line.get("index", i), "image": image, "mask": mask, "objects": line["objects"],
                "light": line.get("light", self.meta.get("light")), "table": line.get("table", self.meta.get("table"))}

    def scene(self, i):
        """Scene i as scene JSON (camera, light, table, objects): what `air.render` takes."""
        line = self.lines[i]
        keep = ("shape", "color", "position", "rotation")
        s = {"camera": line.get("camera", self.meta.get("camera", {})),
             "objects": [{k: o[k] for k in keep if k in o} for o in line["objects"]]}
        for k in ("light", "table"):
            v = line.get(k, self.meta.get(k))
            if v is not None:
                s[k] = v
        return s
