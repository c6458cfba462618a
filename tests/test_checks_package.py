"""Rules for the check package as a whole (helpers/checks/), kept by tests so that they
cannot drift again as notebooks are added."""

import ast
import collections
import glob
import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def top_level_private_functions(path):
    """The names of the private functions (`_name`, not `__name__`) a module defines."""
    with open(path) as f:
        tree = ast.parse(f.read(), path)
    return [node.name for node in tree.body
            if isinstance(node, ast.FunctionDef) and node.name.startswith("_")
            and not node.name.endswith("__")]


def test_no_private_helper_is_defined_in_two_check_modules():
    """A helper two check modules need lives once, beside core (core, tensor_modes,
    keras_models, references), and both import it."""
    defined_in = collections.defaultdict(list)
    for path in sorted(glob.glob(os.path.join(ROOT, "helpers", "checks", "*.py"))):
        for name in top_level_private_functions(path):
            defined_in[name].append(os.path.basename(path))
    twice = {name: modules for name, modules in defined_in.items() if len(modules) > 1}
    assert twice == {}, (
        f"private helpers defined in more than one check module: {twice}. Define each once "
        f"beside core and import it where it is needed.")


def test_the_rule_sees_a_helper_defined_twice(tmp_path):
    for name in ("a.py", "b.py"):
        (tmp_path / name).write_text("def _sigmoid(x):\n    return x\n\ndef __dir__():\n    pass\n")
    assert top_level_private_functions(str(tmp_path / "a.py")) == ["_sigmoid"]


CHECK_MODULES = ["getting_started", "foundations", "cnn_pipeline", "deep_cnns", "vision", "rnns",
                 "attention", "transformers", "optimisers", "regularisation", "generative",
                 "reinforcement"]


def _declared():
    """Imports every check module; returns `core.CHECKS` (id -> check)."""
    import importlib

    from helpers.checks import core

    for name in CHECK_MODULES:
        importlib.import_module(f"helpers.checks.{name}")
    return core.CHECKS


def test_every_check_is_declared_once_and_matches_the_notebooks():
    """`@exercise` registers each check; the notebooks' `# TEST:` lines name the same ones."""
    import nbformat

    from helpers import notebook_format as fmt

    in_notebooks = {}
    for path in sorted(glob.glob(os.path.join(ROOT, "solutions", "*.ipynb"))):
        code = fmt.code_sources(nbformat.read(path, as_version=4))
        for ex in fmt.exercises(code):
            in_notebooks[ex.id] = ex.name
    declared = {exercise_id: check.__name__ for exercise_id, check in _declared().items()}
    assert declared == in_notebooks


def test_every_declared_check_has_a_reference_and_three_wrong_versions():
    """A new check without wrong versions would prove nothing: its module's test file has a
    reference and at least three wrong versions for every check the module declares."""
    import importlib

    checks = _declared().values()
    for name in CHECK_MODULES:
        in_module = {check.__name__ for check in checks
                     if check.__module__ == f"helpers.checks.{name}"}
        tests = importlib.import_module(f"test_checks_{name}")
        assert set(tests.REFERENCES) == in_module, name
        wrong = collections.Counter(exercise for exercise, _, _ in tests.MUTANTS)
        assert {check: wrong[check] for check in in_module if wrong[check] < 3} == {}, name


def test_a_second_check_for_one_exercise_is_refused():
    import pytest

    from helpers.checks.core import exercise

    _declared()
    with pytest.raises(ValueError, match="two checks declare the exercise 01.1"):
        exercise("01.1")(lambda ex: None)
