"""`air generate --depth --normals --amodal-masks` read back with numpy and Pillow."""
import json
import subprocess

import numpy as np
from PIL import Image


def test_depth_normals_and_amodal_masks(air, tmp_path):
    out = tmp_path / "ds"
    subprocess.run([air, "generate", "--count", "8", "--seed", "21", "--out", str(out), "--depth", "--normals",
                    "--amodal-masks", "--quiet"], check=True)
    meta = json.loads((out / "meta.json").read_text())
    assert meta["depth"] and meta["normals"] and meta["amodal_masks"] and meta["depth_png_unit"] == 0.001
    for line in map(json.loads, (out / "scenes.jsonl").read_text().splitlines()):
        depth = np.load(out / line["depth_npy"])
        png = np.array(Image.open(out / line["depth"]))
        assert png.dtype == np.uint16 and png.shape == depth.shape
        assert np.abs(png * 0.001 - depth).max() <= 0.0005 + 1e-6
        normals = np.load(out / line["normals"])
        assert np.allclose(np.linalg.norm(normals, axis=2), 1, atol=1e-5)
        visible = np.array(Image.open(out / line["mask"]))
        table = visible == 0
        assert np.allclose(normals[table], [0, 0, 1])
        # Objects stand on the table: nearer than the table would be behind them.
        assert len(line["amodal_masks"]) == len(line["objects"])
        for k, path in enumerate(line["amodal_masks"]):
            full = np.array(Image.open(out / path)) > 0
            mine = visible == k + 1
            assert (full | ~mine).all(), "the visible mask lies inside the amodal one"
            assert full.sum() >= mine.sum() == line["objects"][k]["visible_pixels"]
