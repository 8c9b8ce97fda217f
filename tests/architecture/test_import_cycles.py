"""No import cycle among the modules of ``app``, counting imports inside functions: a
lazy import hides a cycle from the interpreter, not from the reader."""

from __future__ import annotations

from pathlib import Path

from tests.architecture.import_graph import cycles, import_graph

APP = Path(__file__).resolve().parents[2] / "app"


def test_no_module_of_app_imports_itself_round_in_a_cycle() -> None:
    assert cycles(import_graph(APP)) == []


def test_a_cycle_through_an_import_inside_a_function_is_found(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    (package / "low").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "low" / "__init__.py").write_text("")
    (package / "high.py").write_text("from pkg.low import base\n")
    (package / "low" / "base.py").write_text(
        "def late():\n    from pkg import high\n    return high\n"
    )
    (package / "alone.py").write_text("import pkg.low.base\n")
    assert cycles(import_graph(package)) == [["pkg.high", "pkg.low.base"]]


def test_relative_imports_count_too(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from . import b\n")
    (package / "b.py").write_text("from .a import thing\n")
    assert cycles(import_graph(package)) == [["pkg.a", "pkg.b"]]
