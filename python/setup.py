"""Builds air's C++ renderer (../renderer) into the package as a plain shared library that
air/_render.py loads with ctypes: no Python C API, no subprocess. Needs a C++17 compiler and
GLM's headers (Debian: libglm-dev), as the Swift build does."""
import glob
import os

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = os.path.dirname(os.path.abspath(__file__))
RENDERER = os.path.normpath(os.path.join(HERE, "..", "renderer"))


class BuildLibrary(build_ext):
    """A ctypes library, not a Python module: no PyInit symbol to export."""

    def get_export_symbols(self, ext):
        return []


sources = sorted(os.path.relpath(p, HERE) for p in glob.glob(os.path.join(RENDERER, "*.cpp")))
setup(
    ext_modules=[Extension(
        "air._librender",
        sources=sources,
        include_dirs=[os.path.join(RENDERER, "include"), RENDERER],
        language="c++",
        # The Swift package's flags (Package.swift): the same pixels need the same arithmetic.
        extra_compile_args=["-std=c++17", "-O3", "-fno-math-errno", "-ffp-contract=off"],
        extra_link_args=["-pthread"],
    )],
    cmdclass={"build_ext": BuildLibrary},
)
