"""air from Python: render scenes of toy blocks with air's own C++ renderer, read air datasets,
read images with a trained model (through `air serve`)."""
from ._render import PALETTE, SHAPES, Renderer, SceneError, quantize, render
from .dataset import Dataset
from .serve import Model

__all__ = ["render", "Renderer", "quantize", "SceneError", "Dataset", "Model", "SHAPES", "PALETTE"]
