"""`air export --format bop` read as the BOP toolkit reads it: the cameras and poses project
each object's centre onto our labels' pixel coordinates, the masks and depth agree with the
dataset and the renderer's, and the models and their symmetries are well formed."""
import json
import subprocess

import numpy as np
from PIL import Image

HEIGHT = {1: 1.0, 2: 0.8, 3: 1.0, 4: 1.0, 5: 1.0}   # scene units, by obj_id


def read_ply(path):
    lines = path.read_text().splitlines()
    nv = int(next(l for l in lines if l.startswith("element vertex")).split()[-1])
    start = lines.index("end_header") + 1
    v = np.array([[float(x) for x in l.split()] for l in lines[start:start + nv]])
    faces = [list(map(int, l.split()[1:])) for l in lines[start + nv:]]
    return v, faces


def test_bop_layout(air, dataset, tmp_path):
    out = tmp_path / "bop"
    subprocess.run([air, "export", str(dataset), "--format", "bop", "--out", str(out), "--quiet"], check=True)
    cams = json.loads((out / "000000" / "scene_camera.json").read_text())
    gts = json.loads((out / "000000" / "scene_gt.json").read_text())
    infos = json.loads((out / "000000" / "scene_gt_info.json").read_text())
    lines = [json.loads(l) for l in (dataset / "scenes.jsonl").read_text().splitlines()]
    assert len(cams) == len(gts) == len(infos) == len(lines)
    checked = 0
    for line in lines:
        i = str(line["index"])
        K = np.array(cams[i]["cam_K"]).reshape(3, 3)
        R_w, t_w = np.array(cams[i]["cam_R_w2c"]).reshape(3, 3), np.array(cams[i]["cam_t_w2c"])
        assert np.allclose(R_w @ R_w.T, np.eye(3), atol=1e-9)
        visible = np.array(Image.open(dataset / line["mask"]))
        depth = np.array(Image.open(out / "000000" / "depth" / f"{int(i):06d}.png")).astype(float) * cams[i]["depth_scale"]
        assert len(gts[i]) == len(line["objects"])
        for k, (gt, info, obj) in enumerate(zip(gts[i], infos[i], line["objects"])):
            R, t = np.array(gt["cam_R_m2c"]).reshape(3, 3), np.array(gt["cam_t_m2c"])
            # BOP's model origin is the centre of the model's bounding box: t is the object's centre.
            centre = t
            uv = (K @ centre)[:2] / centre[2]
            # Our labels use the spec's pixel coordinates (pixel i spans [i, i + 1)); BOP's
            # pixel centres are whole numbers.
            assert np.allclose(uv, np.array(obj["pixel_coords"]) - 0.5, atol=1e-3), (i, k)
            # The object's pose agrees with the world pose through the camera.
            world = np.array([obj["position"][0] * 100, obj["position"][1] * 100, HEIGHT[gt["obj_id"]] / 2 * 100])
            assert np.allclose(R_w @ world + t_w, t, atol=1e-6)
            mv = np.array(Image.open(out / "000000" / "mask_visib" / f"{int(i):06d}_{k:06d}.png")) > 0
            mf = np.array(Image.open(out / "000000" / "mask" / f"{int(i):06d}_{k:06d}.png")) > 0
            assert np.array_equal(mv, visible == k + 1) and (mf | ~mv).all()
            assert info["px_count_visib"] == obj["visible_pixels"] == mv.sum() and info["px_count_all"] == mf.sum()
            if mv.any():
                # Our labels' box excludes x1 and y1; BOP's (misc.calc_2d_bbox) spans the
                # whole coordinates of the first and last pixels: w = x_max - x_min.
                x0, y0, x1, y1 = obj["bbox"]
                assert info["bbox_visib"] == [x0, y0, x1 - 1 - x0, y1 - 1 - y0]
                # Depth on the object's visible pixels: in front of the table, about as far as its centre.
                assert abs(np.median(depth[mv]) - centre[2]) < 100
                checked += 1
    assert checked > 40
    models = json.loads((out / "models" / "models_info.json").read_text())
    assert sorted(models) == ["1", "2", "3", "4", "5"]
    assert len(models["1"]["symmetries_discrete"]) == 23 and len(models["5"]["symmetries_discrete"]) == 3
    assert "symmetries_continuous" in models["3"]
    for obj_id, info in models.items():
        v, faces = read_ply(out / "models" / f"obj_{int(obj_id):06d}.ply")
        d = max(np.linalg.norm(a - b) for a in v for b in v)
        assert abs(d - info["diameter"]) < 1e-6
        for s in info.get("symmetries_discrete", []):
            S = np.array(s).reshape(4, 4)
            moved = v @ S[:3, :3].T + S[:3, 3]
            # A symmetry maps the vertex set onto itself.
            assert all(np.min(np.linalg.norm(v - m, axis=1)) < 1e-6 for m in moved)


def test_bop_estimates_are_scored(air, dataset, tmp_path):
    """The ground truth written as BOP results scores perfectly through --pred-bop; a copy
    with every pose shifted by 20 mm loses MSSD recall at the small thresholds only."""
    out = tmp_path / "bop"
    subprocess.run([air, "export", str(dataset), "--format", "bop", "--out", str(out), "--quiet"], check=True)
    gts = json.loads((out / "000000" / "scene_gt.json").read_text())
    def write(path, shift):
        rows = ["scene_id,im_id,obj_id,score,R,t,time"]
        for im, objs in gts.items():
            for g in objs:
                t = np.array(g["cam_t_m2c"]) + shift
                rows.append(f"0,{im},{g['obj_id']},1,{' '.join(repr(float(x)) for x in g['cam_R_m2c'])},{' '.join(repr(float(x)) for x in t)},-1")
        path.write_text("\n".join(rows) + "\n")
    results = {}
    for name, shift in [("exact", np.zeros(3)), ("shifted", np.array([20.0, 0, 0]))]:
        write(tmp_path / f"{name}.csv", shift)
        subprocess.run([air, "eval", "--data", str(dataset), "--pred-bop", str(tmp_path / f"{name}.csv"),
                        "--json", str(tmp_path / f"{name}.json")], check=True, capture_output=True)
        results[name] = json.loads((tmp_path / f"{name}.json").read_text())
    exact = results["exact"]
    assert exact["count_accuracy"] == 1 and exact["position_error_median"] < 1e-6
    assert exact["bop"]["overall"]["ar"] > 0.999
    shifted = results["shifted"]["bop"]["overall"]
    assert 0.3 < shifted["ar_mssd"] < 0.95
