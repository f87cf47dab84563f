"""Inference with a trained model through one long-running `air serve` process: the model is
loaded once, images go in as JSON lines on its stdin and readings come back on its stdout."""
import json
import os
import shutil
import subprocess

import numpy as np


class Model:
    """Model(path=None, air=None, refine=False, look_again=None): path None means the bundled
    model; air is the `air` executable (default: $AIR_BIN, else `air` on PATH); look_again the
    renders per image of the look-again for blocks the network stopped before (None: air's
    default, 0: the network alone). Use as a context manager or call close()."""

    def __init__(self, path=None, air=None, refine=False, look_again=None):
        exe = air or os.environ.get("AIR_BIN") or shutil.which("air")
        if not exe:
            raise FileNotFoundError("no air executable: pass air=..., set AIR_BIN or put air on PATH")
        if look_again is not None and (int(look_again) != look_again or look_again < 0):
            raise ValueError(f"look_again must be a whole number >= 0, got {look_again!r}")
        cmd = [exe, "serve"] + (["--model", path] if path else []) + (["--refine"] if refine else []) \
            + (["--look-again", str(int(look_again))] if look_again is not None else [])
        self._proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
        hello = json.loads(self._proc.stdout.readline() or "null")
        if not hello or "ready" not in hello:
            raise RuntimeError(f"air serve did not start: {hello}")
        self.width, self.height = hello["width"], hello["height"]

    def infer(self, images):
        """images: file paths, or float arrays H×W×3 in [0, 1] of the model's size (or a stack
        N×H×W×3). Returns one reading (a dict: objects with confidences, light) per image."""
        if isinstance(images, np.ndarray) and images.ndim == 3:
            images = [images]
        requests = []
        for im in images:
            if isinstance(im, (str, os.PathLike)):
                requests.append({"path": os.fspath(im)})
            else:
                a = np.asarray(im, np.float32)
                if a.shape != (self.height, self.width, 3):
                    raise ValueError(f"image of shape {a.shape}; the model reads {self.height}×{self.width}×3 (or give a file path: any size of its aspect ratio)")
                q = np.floor(np.clip(a, 0, 1).astype(np.float64) * 255 + 0.5).astype(np.uint8)
                requests.append({"width": self.width, "height": self.height, "rgb8": q.tobytes().hex()})
        self._proc.stdin.write(json.dumps({"images": requests}) + "\n")
        self._proc.stdin.flush()
        answer = json.loads(self._proc.stdout.readline() or "null")
        if answer is None:
            raise RuntimeError("air serve stopped")
        if "error" in answer:
            raise ValueError(answer["error"])
        return answer["readings"]

    def close(self):
        if self._proc and self._proc.poll() is None:
            self._proc.stdin.close()
            self._proc.wait(timeout=30)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
