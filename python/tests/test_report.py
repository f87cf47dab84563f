"""`air report` pages in headless Chromium: the screenshot is not blank and shows the charts
(their bar and line colours). Skipped where Chromium is not installed (Debian: chromium)."""
import shutil
import subprocess

import numpy as np
import pytest
from PIL import Image

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def screenshot(html, png):
    subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    f"--screenshot={png}", "--window-size=1000,1400", f"file://{html}"],
                   check=True, capture_output=True, timeout=120)
    return np.array(Image.open(png).convert("RGB")).astype(int)


@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium is not installed")
def test_evaluation_report_renders_with_charts(air, dataset, tmp_path):
    subprocess.run([air, "eval", "--data", str(dataset), "--json", str(tmp_path / "eval.json")], check=True, capture_output=True)
    subprocess.run([air, "report", str(tmp_path / "eval.json"), "--out", str(tmp_path / "eval.html")], check=True)
    px = screenshot(tmp_path / "eval.html", tmp_path / "eval.png")
    not_white = (px.sum(axis=2) < 3 * 250).mean()
    assert not_white > 0.05, f"blank page ({not_white:.3f} of the pixels drawn)"
    bars = (np.abs(px - [0x1f, 0x77, 0xb4]).sum(axis=2) < 30).sum()   # the charts' blue
    assert bars > 2000, f"no charts ({bars} chart-blue pixels)"
