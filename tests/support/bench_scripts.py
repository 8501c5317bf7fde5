"""The benchmark scripts in bench/ loaded as modules, so tests can run their measuring code small.

A script imports its neighbours (``common``, ``webapp``) by plain name, as when it is run from
bench/, so bench/ is on ``sys.path`` while it is loaded and used."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

BENCH = Path(__file__).resolve().parents[2] / "bench"


@contextmanager
def bench_script(name: str) -> Iterator[ModuleType]:
    """bench/<name>.py as the module ``bench_<name>`` for the block."""
    module_name = f"bench_{name}"
    sys.path.insert(0, str(BENCH))
    try:
        spec = importlib.util.spec_from_file_location(module_name, BENCH / f"{name}.py")
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module  # its dataclasses look their module up there
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.modules.pop(module_name, None)
        sys.path.remove(str(BENCH))
