"""Times the models of `air bench engine` in PyTorch on the CPU, for comparison.

Optional, by hand, never used by air itself: `pip install torch`, then
`OPENBLAS_NUM_THREADS=1 python3 scripts/compare_pytorch.py` beside
`OPENBLAS_NUM_THREADS=1 .build/release/air bench engine`. Same shapes, forward + backward,
fastest repetition, one thread; prints JSON lines with us_per_op.
"""
import json
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(1)
torch.manual_seed(0)


def fastest(step, seconds=2.0):
    step()  # warm-up
    best, start = float("inf"), time.perf_counter()
    while time.perf_counter() - start < seconds:
        t0 = time.process_time()
        step()
        best = min(best, time.process_time() - t0)
    return best


def emit(case, seconds):
    print(json.dumps({"bench": "engine", "framework": "pytorch " + torch.__version__, "case": case,
                      "threads": 1, "us_per_op": round(seconds * 1e6, 1)}))


mlp = nn.Sequential(nn.Linear(12288, 256), nn.ReLU(), nn.Linear(256, 256))
x = torch.randn(64, 12288)
def mlp_step():
    mlp.zero_grad(set_to_none=True)
    mlp(x).backward(torch.ones(64, 256))
emit("mlp", fastest(mlp_step))

conv = nn.Sequential(nn.Conv2d(3, 32, 4, 2, 1), nn.ReLU(), nn.Conv2d(32, 64, 4, 2, 1), nn.ReLU(),
                     nn.Conv2d(64, 64, 4, 2, 1), nn.ReLU())
images = torch.rand(64, 3, 64, 64)
def conv_step():
    conv.zero_grad(set_to_none=True)
    conv(images).backward(torch.ones(64, 64, 8, 8))
emit("conv", fastest(conv_step))

cell = nn.LSTMCell(256, 256)
xs, hs, cs = (torch.randn(64, 256, requires_grad=True) for _ in range(3))
def lstm_step():
    cell.zero_grad(set_to_none=True)
    h, c = cell(xs, (hs, cs))
    torch.autograd.backward([h, c], [torch.ones(64, 256), torch.ones(64, 256)])
emit("lstm", fastest(lstm_step))

s = torch.rand(64) * 0.4 + 0.2
theta = torch.zeros(64, 2, 3)
theta[:, 0, 0] = s; theta[:, 1, 1] = s
theta[:, :, 2] = torch.rand(64, 2) - 0.5
theta.requires_grad_(True)
source = torch.rand(64, 3, 64, 64)
def stn_step():
    theta.grad = None
    grid = F.affine_grid(theta, (64, 3, 24, 24), align_corners=False)
    F.grid_sample(source, grid, mode="bilinear", padding_mode="zeros", align_corners=False).backward(torch.ones(64, 3, 24, 24))
emit("stn", fastest(stn_step))
