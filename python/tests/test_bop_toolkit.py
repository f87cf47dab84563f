"""`air export --format bop` and `air eval`'s BOP errors checked with the official BOP toolkit
(bop_toolkit_lib: inout, misc, pose_error), through scripts/check_bop_toolkit.py: the files
load with the toolkit's loaders, the symmetry groups, boxes, masks and depth agree with the
posed PLY models, and MSSD, MSPD and VSD of perturbed estimates agree with the toolkit's.
Skipped where bop_toolkit_lib is not installed (CI does not install it):
    pip install --no-deps "git+https://github.com/thodan/bop_toolkit"
    pip install numpy scipy imageio pypng pytz
"""
import importlib.util
import json
import pathlib
import subprocess

import pytest

pytest.importorskip("bop_toolkit_lib")
pytest.importorskip("bop_toolkit_lib.pose_error")

ROOT = pathlib.Path(__file__).resolve().parents[2]


def load_checks():
    spec = importlib.util.spec_from_file_location("check_bop_toolkit", ROOT / "scripts" / "check_bop_toolkit.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def export(air, tmp_path_factory):
    """A wide table seen through a non-square image, so that some objects are cut by the border
    and fx/fy, cx/cy cannot be swapped unnoticed."""
    work = tmp_path_factory.mktemp("bop-toolkit")
    spec = work / "wide.json"
    spec.write_text(json.dumps({
        "kind": "random", "objects_per_scene": {"min": 1, "max": 3},
        "shapes": {"cube": 1, "brick": 1, "cylinder": 1, "wedge": 1, "pyramid": 1},
        "colors": "palette", "x": [-4.0, 4.0], "y": [-1.5, 1.5], "rotation": [0, 360],
        "size": [72, 48], "spp": 1, "min_visible_pixels": 10, "seed": 0}))
    checks = load_checks()
    data, bop = checks.generate(air, work, 24, 5, spec)
    return checks, data, bop, work


def test_export_and_errors_agree_with_the_toolkit(air, export):
    checks, data, bop, work = export
    results = checks.run_checks(air, data, bop, work, seed=5)
    failed = [text for ok, text in results if not ok]
    assert not failed, "\n".join(failed)
    # Some object was cut by the image border, so px_count_all and bbox_obj beyond it were checked.
    assert "0 cut by the image border" not in results[0][1], results[0][1]


def test_symmetry_groups(export):
    checks, _, bop, _ = export
    from bop_toolkit_lib import misc
    ex = checks.load_export(bop)
    counts = {i: len(misc.get_symmetry_transformations(info, 0.01)) for i, info in ex["models_info"].items()}
    # cube 24, brick 8, cylinder 315 turns x (identity + 4 flips), wedge 2, pyramid 4.
    assert counts == {1: 24, 2: 8, 3: 1575, 4: 2, 5: 4}


def test_results_file_passes_the_toolkits_check(air, export, tmp_path):
    checks, data, bop, _ = export
    from bop_toolkit_lib import inout
    ex = checks.load_export(bop)
    import numpy as np
    est = checks.perturbations(ex, "table", np.random.default_rng(0))
    rows = checks.air_errors(air, data, est, tmp_path, "table")
    assert inout.check_bop_results(str(tmp_path / "table.csv"))[0]
    assert len(rows) == len(est)
