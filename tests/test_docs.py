"""User-facing text matches the code: every method named in ``--help``, in
``solve``'s docstring and in the README is one the registry runs, and each
method the registry runs is named in all three."""

import pathlib
import re

from polystep_sat import solve
from polystep_sat.cli import build_parser
from polystep_sat.methods import DEFAULT_METHOD, METHODS

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"


def _method_action():
    parser = build_parser()
    solve_parser = next(a for a in parser._subparsers._group_actions[0].choices.items() if a[0] == "solve")[1]
    return next(a for a in solve_parser._actions if "--method" in a.option_strings)


def test_help_offers_exactly_the_registry():
    action = _method_action()
    assert set(action.choices) == set(METHODS)
    assert action.default == DEFAULT_METHOD
    # the help text describes each method by name, and names nothing else
    named = set(re.findall(r"[a-z][a-z0-9-]*(?=[:,;(]| \()", action.help))
    assert set(METHODS) <= named
    words = set(re.findall(r"[a-z][a-z0-9-]+", action.help))
    assert not {w for w in words if "-" in w} - set(METHODS), "a hyphenated method name in --help is not registered"


def test_solve_docstring_names_registered_methods():
    block = solve.__doc__.split("method :")[1].split("time_limit :")[0]
    named = set(re.findall(r'"([a-z0-9-]+)"', block))
    assert named == set(METHODS)


def _readme_methods(text):
    names = set(re.findall(r"--method[ =]([a-z0-9-]+)", text))
    names |= set(re.findall(r"""method\s*=\s*["']([a-z0-9-]+)["']""", text))
    # the methods table: every backquoted name in a row's first cell
    for cell in re.findall(r"^\|([^|\n]*`[^|\n]*)\|", text, flags=re.M):
        names |= set(re.findall(r"`([a-z][a-z0-9-]*)`", cell))
    return names


def test_readme_names_only_registered_methods():
    named = _readme_methods(README.read_text())
    assert named, "the README names no method"
    assert not named - set(METHODS), f"README names methods the registry lacks: {sorted(named - set(METHODS))}"
    assert set(METHODS) <= named, f"README never names: {sorted(set(METHODS) - named)}"


def test_readme_check_catches_an_unknown_method():
    assert _readme_methods("polystep-sat solve f.cnf --method nuwls\n| `tabu`, `gsat` | x |") == {"nuwls", "tabu", "gsat"}
