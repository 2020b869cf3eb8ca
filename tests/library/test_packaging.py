"""An installed reviewflow ships its library: the wheel carries every workflow and form,
and an installation run from a folder without a library finds and loads them."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LIBRARY_DIRS = ("workflows", "forms")


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_the_package_list_names_every_python_package_of_the_tree():
    listed = set(_pyproject()["tool"]["setuptools"]["packages"])
    in_tree = {".".join(p.parent.relative_to(ROOT).parts)
               for top in ("engine", "web") for p in (ROOT / top).rglob("__init__.py")}
    library = {f"engine.library.{name}" for name in LIBRARY_DIRS}
    assert listed == in_tree | library


#: What the wheel is built from (a copy: a build/ folder left in the checkout by an
#: earlier build would carry files deleted since, a form a release removed say).
SOURCES = ("pyproject.toml", "README.md", "engine", "web", *LIBRARY_DIRS)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    source = tmp_path_factory.mktemp("source")
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(ROOT / name, source / name)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
                    "--no-build-isolation", "-w", str(out), str(source)],
                   check=True, capture_output=True, timeout=300, cwd=out)
    (found,) = out.glob("reviewflow-*.whl")
    return found


@pytest.mark.slow
def test_the_wheel_carries_every_shipped_definition(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for folder in LIBRARY_DIRS:
        shipped = sorted(p.name for p in (ROOT / folder).iterdir() if p.is_file())
        assert shipped, folder
        missing = [n for n in shipped if f"engine/library/{folder}/{n}" not in names]
        assert missing == [], folder


@pytest.mark.slow
def test_an_installed_reviewflow_loads_its_shipped_library(wheel, tmp_path):
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    elsewhere = tmp_path / "elsewhere"  # no workflows/ here: the shipped library is used
    elsewhere.mkdir()
    script = ("from engine import config\n"
              "from engine.definitions.library import load_library\n"
              "paths = config.library_paths()\n"
              "lib = load_library(paths)\n"
              "print(paths[0].parent)\n"
              "print(len(lib.workflows), len(lib.forms))\n")
    done = subprocess.run([sys.executable, "-c", script], cwd=elsewhere, capture_output=True,
                          text=True, timeout=120,
                          env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    where, counts = done.stdout.splitlines()
    assert Path(where) == site / "engine" / "library"
    workflows = len(list((ROOT / "workflows").glob("*.yaml")))
    forms = len(list((ROOT / "forms").glob("*.json")))
    assert counts == f"{workflows} {forms}"
