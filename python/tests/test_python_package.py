"""The Python package against the air executable: the same pixels and masks as `air render`,
the dataset reader against the files, inference through `air serve` against `air infer`."""
import json
import subprocess

import numpy as np
import pytest
from PIL import Image

import air


def test_render_is_byte_identical_to_air_render(air, dataset, tmp_path):
    ds = air_pkg().Dataset(dataset)
    scenes = [ds.scene(i) for i in range(12)]
    images, masks = air_pkg().render(scenes, spp=4)
    assert images.dtype == np.float32 and images.shape == (12, 64, 64, 3) and masks.shape == (12, 64, 64)
    for i, scene in enumerate(scenes):
        path = tmp_path / f"s{i}.json"
        path.write_text(json.dumps(scene))
        subprocess.run([air, "render", str(path), "-o", str(tmp_path / f"s{i}.png"), "--mask", str(tmp_path / f"m{i}.png")], check=True)
        png = np.array(Image.open(tmp_path / f"s{i}.png").convert("RGB"))
        assert np.array_equal(air_pkg().quantize(images[i]), png), f"scene {i}"
        assert np.array_equal(masks[i], np.array(Image.open(tmp_path / f"m{i}.png"))), f"scene {i} mask"
        # The dataset's own image was rendered and then passed through the spec's camera effects;
        # its mask is the renderer's.
        assert np.array_equal(masks[i], ds[i]["mask"])


def air_pkg():
    return air


def test_render_checks_scenes_and_names_the_field():
    with pytest.raises(air.SceneError, match=r"scene 1\.objects\[0\]\.shape"):
        air.render([{"objects": []}, {"objects": [{"shape": "sphere", "color": "red", "position": [0, 0]}]}])
    with pytest.raises(air.SceneError, match=r"scene 0\.objects\[0\]\.color"):
        air.render([{"objects": [{"shape": "cube", "color": [2, 0, 0], "position": [0, 0]}]}])
    with pytest.raises(air.SceneError, match=r"scene 0\.light\.direction"):
        air.render([{"light": {"direction": [0, 0, -1]}, "objects": []}])


def test_render_sizes_threads_and_shadows_agree():
    scene = {"light": {"direction": [0.5, -0.3, 0.6], "shadows": True},
             "objects": [{"shape": "brick", "color": "blue", "position": [0.2, -0.1], "rotation": 30},
                         {"shape": "cylinder", "color": [0.3, 0.6, 0.2], "position": [-0.8, 0.5]}]}
    a, _ = air.Renderer(threads=1).render([scene] * 5, size=(48, 32), spp=9)
    b, _ = air.Renderer(threads=2).render([scene] * 5, size=(48, 32), spp=9)
    assert a.shape == (5, 32, 48, 3) and np.array_equal(a, b) and np.array_equal(a[0], a[4])
    plain = dict(scene, light={"direction": [0.5, -0.3, 0.6]})
    c, _ = air.render([plain], size=(48, 32), spp=9)
    assert (c[0] >= a[0]).all() and (c[0] > a[0]).any(), "a shadow only darkens"


def test_dataset_reader(dataset):
    ds = air.Dataset(dataset)
    lines = [json.loads(l) for l in (dataset / "scenes.jsonl").read_text().splitlines()]
    assert len(ds) == len(lines) == 40
    item = ds[3]
    png = np.array(Image.open(dataset / lines[3]["image"]).convert("RGB"))
    assert item["image"].dtype == np.float32 and np.array_equal(np.round(item["image"] * 255).astype(np.uint8), png)
    assert item["objects"] == lines[3]["objects"] and item["mask"].shape == (64, 64)
    assert item["light"] == lines[3].get("light")
    assert ds[-1]["index"] == 39
    with pytest.raises(IndexError):
        ds[40]


def test_model_through_air_serve_matches_air_infer(air, dataset):
    paths = [str(dataset / "images" / f"{i:06d}.png") for i in range(6)]
    expected = [json.loads(l) for l in subprocess.run([air, "infer"] + paths, check=True, capture_output=True, text=True).stdout.splitlines()]
    with air_pkg().Model(air=air) as model:
        by_path = model.infer(paths)
        ds = air_pkg().Dataset(dataset)
        by_array = model.infer(np.stack([ds[i]["image"] for i in range(6)]))
        with pytest.raises(ValueError, match="model reads"):
            model.infer([np.zeros((10, 10, 3), np.float32)])
        again = model.infer(paths[:1])   # the process survives a bad request
    assert by_path == expected
    for a, e in zip(by_array, expected):
        e = dict(e)
        e.pop("image", None)
        assert {k: v for k, v in a.items() if k != "image"} == e
    # (A batch of one: BLAS may round a batch of six differently in the last digits.)
    alone = json.loads(subprocess.run([air, "infer", paths[0]], check=True, capture_output=True, text=True).stdout)
    assert again[0] == alone


# A scene whose white wedge the bundled model's network stops before; the look-again finds it.
MISSED_WEDGE = {"objects": [
    {"shape": "wedge", "color": [0.9, 0.9, 0.9], "position": [0.5464738, 0.7956322], "rotation": 96.48952},
    {"shape": "brick", "color": [0.8, 0.2, 0.75], "position": [1.2925376, -0.29986233], "rotation": 192.95988},
    {"shape": "cylinder", "color": [0.85, 0.15, 0.15], "position": [-0.70708007, -0.060984578], "rotation": 358.01276}]}


def test_model_look_again_is_air_infers(air, tmp_path):
    scene, image = tmp_path / "scene.json", tmp_path / "image.png"
    scene.write_text(json.dumps(MISSED_WEDGE))
    subprocess.run([air, "render", str(scene), "-o", str(image)], check=True)
    counts = {}
    for n in (0, None):
        flags = [] if n is None else ["--look-again", str(n)]
        expected = json.loads(subprocess.run([air, "infer", str(image)] + flags, check=True, capture_output=True, text=True).stdout)
        with air_pkg().Model(air=air, look_again=n) as model:
            assert model.infer([str(image)]) == [expected]
        counts[n] = len(expected["objects"])
    assert counts == {0: 2, None: 3}
    with pytest.raises(ValueError, match="look_again"):
        air_pkg().Model(air=air, look_again=-1)


def test_large_batches_and_the_array_path_agree_with_single_renders(dataset):
    from air._render import LIGHT_DTYPE, OBJECT_DTYPE, _light_row, _object_rows
    ds = air.Dataset(dataset)
    scenes = [ds.scene(i % len(ds)) for i in range(300)]   # 300 scenes in one call
    r = air.Renderer(threads=2)
    batch, masks = r.render(scenes)
    for i in (0, 7, 150, 299):
        one, m = r.render([scenes[i]])
        assert np.array_equal(batch[i], one[0]) and np.array_equal(masks[i], m[0])
    rows = [_object_rows(s, "") for s in scenes]
    objects = np.array([o for row in rows for o in row], dtype=OBJECT_DTYPE)
    offsets = np.concatenate([[0], np.cumsum([len(row) for row in rows])]).astype(np.int32)
    lights = np.array([_light_row(s, "") for s in scenes], dtype=LIGHT_DTYPE)
    arrays, array_masks = r.render_arrays(objects, offsets, lights, camera=scenes[0]["camera"], masks=True)
    assert np.array_equal(arrays, batch) and np.array_equal(array_masks, masks)
