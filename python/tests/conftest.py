"""Shared fixtures: the air executable (AIR_BIN, else the repository's debug or release
build) and a small dataset generated with it."""
import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


def air_binary():
    if os.environ.get("AIR_BIN"):
        return os.environ["AIR_BIN"]
    for kind in ("release", "debug"):
        p = ROOT / ".build" / kind / "air"
        if p.exists():
            return str(p)
    pytest.skip("no air executable: build it first (swift build)")


@pytest.fixture(scope="session")
def air():
    return air_binary()


@pytest.fixture(scope="session")
def dataset(air, tmp_path_factory):
    out = tmp_path_factory.mktemp("data") / "ds"
    subprocess.run([air, "generate", "--spec", str(ROOT / "scenes" / "varied.json"), "--count", "40",
                    "--seed", "11", "--out", str(out), "--quiet"], check=True)
    return out
