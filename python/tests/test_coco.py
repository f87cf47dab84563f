"""`air export --format coco` read by pycocotools: every annotation's mask, box and area must
agree exactly with the dataset's own instance masks and labels."""
import json
import subprocess

import numpy as np
from PIL import Image
from pycocotools import mask as mask_utils
from pycocotools.coco import COCO

SHAPES = ["cube", "brick", "cylinder", "wedge", "pyramid"]


def test_coco_export_agrees_with_the_dataset(air, dataset, tmp_path):
    out = tmp_path / "coco.json"
    subprocess.run([air, "export", str(dataset), "--format", "coco", "--out", str(out), "--quiet"], check=True)
    coco = COCO(str(out))
    assert [c["name"] for c in coco.loadCats(coco.getCatIds())] == SHAPES
    lines = [json.loads(l) for l in (dataset / "scenes.jsonl").read_text().splitlines()]
    assert len(coco.getImgIds()) == len(lines)
    visible = 0
    for line in lines:
        image_id = line["index"] + 1
        info = coco.loadImgs(image_id)[0]
        assert info["file_name"] == line["image"]
        truth = np.array(Image.open(dataset / line["mask"]))
        anns = coco.loadAnns(coco.getAnnIds(imgIds=image_id))
        by_object = {a["air"]["object_index"]: a for a in anns}
        for k, obj in enumerate(line["objects"]):
            if obj["visible_pixels"] == 0:
                assert k not in by_object
                continue
            visible += 1
            a = by_object[k]
            m = coco.annToMask(a)
            assert np.array_equal(m, (truth == k + 1).astype(np.uint8)), f"scene {line['index']} object {k}"
            x0, y0, x1, y1 = obj["bbox"]
            assert a["bbox"] == [x0, y0, x1 - x0, y1 - y0]
            assert a["area"] == obj["visible_pixels"] == int(mask_utils.area(a["segmentation"]))
            assert list(mask_utils.toBbox(a["segmentation"])) == a["bbox"]
            assert SHAPES[a["category_id"] - 1] == obj["shape"] == a["air"]["shape"]
            assert a["air"]["position"] == obj["position"] and a["iscrowd"] == 0
    assert visible > 40
