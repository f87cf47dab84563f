"""The C++ renderer through ctypes: scenes (air's scene JSON, as dicts) to images and masks."""
import ctypes
import glob
import math
import os

import numpy as np

SHAPES = ("cube", "brick", "cylinder", "wedge", "pyramid")
PALETTE = {
    "red": (0.85, 0.15, 0.15), "green": (0.15, 0.70, 0.20), "blue": (0.15, 0.30, 0.85),
    "yellow": (0.90, 0.80, 0.15), "cyan": (0.15, 0.75, 0.80), "magenta": (0.80, 0.20, 0.75),
    "orange": (0.95, 0.50, 0.10), "white": (0.90, 0.90, 0.90),
}
DEFAULT_CAMERA = {"eye": (0.0, -4.5, 7.5), "target": (0.0, 0.3, 0.0), "up": (0.0, 0.0, 1.0),
                  "fov_y": 40.0, "width": 64, "height": 64}
DEFAULT_LIGHT = {"direction": (-0.4, -0.6, 1.0), "ambient": 0.3, "diffuse": 0.7, "shadows": False}
DEFAULT_TABLE = (0.50, 0.48, 0.45)


class SceneError(ValueError):
    """A scene that is not valid air scene JSON; names the scene index and the field."""


class _Object(ctypes.Structure):
    _fields_ = [("shape", ctypes.c_int32), ("color", ctypes.c_float * 3), ("x", ctypes.c_float),
                ("y", ctypes.c_float), ("rotation_deg", ctypes.c_float)]


class _Camera(ctypes.Structure):
    _fields_ = [("eye", ctypes.c_float * 3), ("target", ctypes.c_float * 3), ("up", ctypes.c_float * 3),
                ("fov_y_deg", ctypes.c_float), ("width", ctypes.c_int32), ("height", ctypes.c_int32),
                ("spp", ctypes.c_int32)]


class _Light(ctypes.Structure):
    _fields_ = [("direction", ctypes.c_double * 3), ("ambient", ctypes.c_double), ("diffuse", ctypes.c_double),
                ("shadows", ctypes.c_int32), ("table_color", ctypes.c_float * 3)]


OBJECT_DTYPE = np.dtype([("shape", "<i4"), ("color", "<f4", (3,)), ("x", "<f4"), ("y", "<f4"), ("rotation_deg", "<f4")])
LIGHT_DTYPE = np.dtype([("direction", "<f8", (3,)), ("ambient", "<f8"), ("diffuse", "<f8"), ("shadows", "<i4"),
                        ("table_color", "<f4", (3,))], align=True)
assert OBJECT_DTYPE.itemsize == ctypes.sizeof(_Object) and LIGHT_DTYPE.itemsize == ctypes.sizeof(_Light)


def _library():
    here = os.path.dirname(os.path.abspath(__file__))
    found = glob.glob(os.path.join(here, "_librender*.so"))
    if not found:
        raise ImportError("air's renderer library is not built: install the package with `pip install ./python`")
    lib = ctypes.CDLL(found[0])
    P = ctypes.POINTER
    lib.air_render.argtypes = [P(_Camera), P(_Light), P(_Object), ctypes.c_int32, ctypes.c_void_p, ctypes.c_void_p]
    lib.air_render_batch.argtypes = [ctypes.c_void_p, P(_Camera), ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p,
                                     ctypes.c_int32, ctypes.c_void_p, ctypes.c_void_p]
    lib.air_pool_create.argtypes = [ctypes.c_int32]
    lib.air_pool_create.restype = ctypes.c_void_p
    lib.air_pool_destroy.argtypes = [ctypes.c_void_p]
    lib.air_error_string.argtypes = [ctypes.c_int32]
    lib.air_error_string.restype = ctypes.c_char_p
    return lib


_LIB = _library()


def _check(code):
    if code != 0:
        raise RuntimeError("renderer: " + _LIB.air_error_string(code).decode())


def _number(v, where):
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise SceneError(f"{where}: expected a finite number, found {v!r}")
    return float(v)


def _vector(v, n, where):
    if not isinstance(v, (list, tuple)) or len(v) != n:
        raise SceneError(f"{where}: expected {n} numbers, found {v!r}")
    return tuple(_number(x, f"{where}[{i}]") for i, x in enumerate(v))


def _color(v, where):
    if isinstance(v, str):
        if v not in PALETTE:
            raise SceneError(f"{where}: unknown colour {v!r} (palette: {', '.join(PALETTE)})")
        return PALETTE[v]
    c = _vector(v, 3, where)
    if not all(0 <= x <= 1 for x in c):
        raise SceneError(f"{where}: colour components must be in [0, 1], found {list(c)}")
    return c


def _allowed(d, keys, where):
    if not isinstance(d, dict):
        raise SceneError(f"{where}: expected an object, found {type(d).__name__}")
    for k in d:
        if k not in keys:
            raise SceneError(f"{where}: unknown key {k!r} (allowed: {', '.join(keys)})")


_DEFAULT_CAMERA_ROW = tuple(DEFAULT_CAMERA.values())


def camera_of(scene, size=None, where="scene"):
    if "camera" not in scene:
        if size is None:
            return _DEFAULT_CAMERA_ROW
        return _DEFAULT_CAMERA_ROW[:4] + tuple(size)
    c = dict(DEFAULT_CAMERA)
    cam = scene.get("camera", {})
    _allowed(cam, DEFAULT_CAMERA.keys(), where + ".camera")
    for k in ("eye", "target", "up"):
        if k in cam:
            c[k] = _vector(cam[k], 3, f"{where}.camera.{k}")
    if "fov_y" in cam:
        c["fov_y"] = _number(cam["fov_y"], f"{where}.camera.fov_y")
    for k in ("width", "height"):
        if k in cam:
            if not isinstance(cam[k], int) or isinstance(cam[k], bool) or not 1 <= cam[k] <= 16384:
                raise SceneError(f"{where}.camera.{k}: expected a whole number in 1...16384, found {cam[k]!r}")
            c[k] = cam[k]
    if size is not None:
        c["width"], c["height"] = size
    return (c["eye"], c["target"], c["up"], c["fov_y"], c["width"], c["height"])


_DEFAULT_LIGHT_ROW = (DEFAULT_LIGHT["direction"], DEFAULT_LIGHT["ambient"], DEFAULT_LIGHT["diffuse"], 0, DEFAULT_TABLE)


def _light_row(scene, where):
    if "light" not in scene and "table" not in scene:
        return _DEFAULT_LIGHT_ROW
    light = scene.get("light", {})
    _allowed(light, DEFAULT_LIGHT.keys(), where + ".light")
    d = _vector(light["direction"], 3, where + ".light.direction") if "direction" in light else DEFAULT_LIGHT["direction"]
    if d[2] <= 0:
        raise SceneError(f"{where}.light.direction: the light must come from above the table (z > 0), found {list(d)}")
    ambient = _number(light.get("ambient", DEFAULT_LIGHT["ambient"]), where + ".light.ambient")
    diffuse = _number(light.get("diffuse", DEFAULT_LIGHT["diffuse"]), where + ".light.diffuse")
    if ambient < 0 or diffuse < 0:
        raise SceneError(f"{where}.light: ambient and diffuse must be >= 0")
    shadows = light.get("shadows", False)
    if not isinstance(shadows, bool):
        raise SceneError(f"{where}.light.shadows: expected true or false, found {shadows!r}")
    table = scene.get("table", {})
    _allowed(table, ("color",), where + ".table")
    t = _color(table["color"], where + ".table.color") if "color" in table else DEFAULT_TABLE
    return (d, ambient, diffuse, int(shadows), t)


_SHAPE_INDEX = {name: i for i, name in enumerate(SHAPES)}
_OBJECT_KEYS = frozenset(("shape", "color", "position", "rotation"))
_FINITE = math.isfinite


def _fast_object_rows(objs):
    """The common case without per-field messages; None when anything looks wrong (then the
    careful parser below finds and names it)."""
    rows = []
    for o in objs:
        if o.keys() - _OBJECT_KEYS:
            return None
        shape = _SHAPE_INDEX.get(o["shape"])
        c = o["color"]
        c = PALETTE.get(c) if type(c) is str else c
        x, y = o["position"]
        r = o.get("rotation", 0.0)
        if shape is None or c is None or len(c) != 3:
            return None
        c0, c1, c2 = c
        for v in (c0, c1, c2, x, y, r):
            if type(v) not in (float, int) or not _FINITE(v):
                return None
        if not (0 <= c0 <= 1 and 0 <= c1 <= 1 and 0 <= c2 <= 1):
            return None
        rows.append((shape, (c0, c1, c2), x, y, r))
    return rows


def _object_rows(scene, where):
    objs = scene.get("objects")
    if type(objs) is list and len(objs) <= 255:
        try:
            rows = _fast_object_rows(objs)
        except (KeyError, TypeError, ValueError, AttributeError):
            rows = None
        if rows is not None:
            return rows
    if not isinstance(objs, list):
        raise SceneError(f"{where}.objects: required, a list of objects")
    if len(objs) > 255:
        raise SceneError(f"{where}.objects: {len(objs)} objects, at most 255")
    rows = []
    for k, o in enumerate(objs):
        w = f"{where}.objects[{k}]"
        _allowed(o, ("shape", "color", "position", "rotation"), w)
        shape = o.get("shape")
        if shape not in SHAPES:
            raise SceneError(f"{w}.shape: expected one of {', '.join(SHAPES)}, found {shape!r}")
        if "color" not in o or "position" not in o:
            raise SceneError(f"{w}: needs shape, color and position")
        x, y = _vector(o["position"], 2, w + ".position")
        rows.append((SHAPES.index(shape), _color(o["color"], w + ".color"), x, y,
                     _number(o.get("rotation", 0.0), w + ".rotation")))
    return rows


class Renderer:
    """Renders air scenes with the C++ renderer on a pool of `threads` threads (0: one per
    core), exactly as `air render` does: the same float images (quantised, the same PNG
    pixels) and instance masks (0 for the table, k + 1 for object k)."""

    def __init__(self, threads=0):
        self._pool = _LIB.air_pool_create(int(threads))
        if not self._pool:
            raise RuntimeError("cannot start the renderer's threads")

    def __del__(self):
        pool = getattr(self, "_pool", None)
        if pool:
            _LIB.air_pool_destroy(pool)
            self._pool = None

    def render(self, scenes, size=None, spp=4, masks=True):
        """scenes: scene dicts (air's scene JSON). size: (width, height) for every scene, else
        each scene's camera. Returns (images float32 N×H×W×3 in [0, 1], masks uint8 N×H×W or
        None). Every scene must have the same image size."""
        if spp not in (1, 4, 9, 16):
            raise ValueError("spp must be 1, 4, 9 or 16")
        scenes = list(scenes)
        cameras, lights, objects, offsets = [], [], [], [0]
        total = 0
        for i, s in enumerate(scenes):
            if type(s) is not dict:
                raise SceneError(f"scene {i}: expected a scene object")
            where = f"scene {i}"
            cameras.append(camera_of(s, size, where))
            lights.append(_light_row(s, where))
            rows = _object_rows(s, where)
            objects += rows
            total += len(rows)
            offsets.append(total)
        n = len(scenes)
        if n == 0:
            w, h = size or (DEFAULT_CAMERA["width"], DEFAULT_CAMERA["height"])
            return np.zeros((0, h, w, 3), np.float32), (np.zeros((0, h, w), np.uint8) if masks else None)
        w, h = cameras[0][4], cameras[0][5]
        if any(c[4] != w or c[5] != h for c in cameras):
            raise SceneError("scenes of different image sizes: give size=(width, height)")
        images = np.empty((n, h, w, 3), np.float32)
        out_masks = np.empty((n, h, w), np.uint8) if masks else None
        obj = np.array(objects, dtype=OBJECT_DTYPE) if objects else np.zeros(1, OBJECT_DTYPE)
        lig = np.array(lights, dtype=LIGHT_DTYPE)
        offs = np.array(offsets, dtype=np.int32)
        # One call per run of scenes that share a camera (usually one call for all).
        start = 0
        while start < n:
            end = start + 1
            while end < n and cameras[end] == cameras[start]:
                end += 1
            cam = _camera(cameras[start], spp)
            first = offs[start]
            # Every array handed to C is held in a name until the call returns: `.ctypes.data`
            # of a temporary is the address of memory freed at once.
            run_offsets = np.ascontiguousarray(offs[start:end + 1] - first)
            run_lights, run_objects = lig[start:end], obj[first:]
            _check(_LIB.air_render_batch(
                self._pool, ctypes.byref(cam), run_lights.ctypes.data, run_objects.ctypes.data,
                run_offsets.ctypes.data, end - start, images[start:end].ctypes.data,
                out_masks[start:end].ctypes.data if masks else None))
            start = end
        return images, out_masks


    def render_arrays(self, objects, offsets, lights=None, camera=None, spp=4, masks=False):
        """The fast path for many scenes: `objects` a numpy array of `OBJECT_DTYPE` (shape,
        color[3], x, y, rotation_deg), scene s being objects[offsets[s]:offsets[s + 1]];
        `lights` None (the default light) or an array of `LIGHT_DTYPE`, one per scene; `camera`
        a scene-JSON camera dict (default the spec's). No per-scene Python work."""
        objects = np.ascontiguousarray(objects, dtype=OBJECT_DTYPE)
        offsets = np.ascontiguousarray(offsets, dtype=np.int32)
        n = len(offsets) - 1
        if n < 0 or offsets[0] != 0 or (np.diff(offsets) < 0).any() or offsets[-1] > len(objects):
            raise ValueError("offsets must start at 0, never decrease and end within objects")
        if lights is not None:
            lights = np.ascontiguousarray(lights, dtype=LIGHT_DTYPE)
            if len(lights) != n:
                raise ValueError(f"{len(lights)} lights for {n} scenes")
        c = camera_of({"camera": camera} if camera else {}, None, "camera")
        images = np.empty((n, c[5], c[4], 3), np.float32)
        out_masks = np.empty((n, c[5], c[4]), np.uint8) if masks else None
        cam = _camera(c, spp)
        _check(_LIB.air_render_batch(self._pool, ctypes.byref(cam), None if lights is None else lights.ctypes.data,
                                     objects.ctypes.data if len(objects) else None, offsets.ctypes.data, n,
                                     images.ctypes.data, out_masks.ctypes.data if masks else None))
        return images, out_masks


def _camera(c, spp):
    eye, target, up, fov, w, h = c
    return _Camera((ctypes.c_float * 3)(*eye), (ctypes.c_float * 3)(*target), (ctypes.c_float * 3)(*up),
                   fov, w, h, spp)


_default = {}


def render(scenes, size=None, spp=4, masks=True, threads=0):
    """`Renderer(threads).render(scenes, size, spp, masks)` with a renderer kept per thread count."""
    if threads not in _default:
        _default[threads] = Renderer(threads)
    return _default[threads].render(scenes, size=size, spp=spp, masks=masks)


def quantize(images):
    """8-bit pixels as air's PNGs store them: floor(v · 255 + 0.5), in double precision (exact)."""
    v = np.clip(np.asarray(images, np.float32), 0, 1).astype(np.float64)
    return np.floor(v * 255 + 0.5).astype(np.uint8)
