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
                 "reinforcement", "language"]


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


# ------------------------------------------------------------ one form per check ---

def _module_tree(name):
    path = os.path.join(ROOT, "helpers", "checks", f"{name}.py")
    with open(path) as f:
        return ast.parse(f.read(), path)


def form_problems(tree):
    """What in a check module's syntax tree departs from the one form (core's docstring):
    mistakes written as dict literals or built by `_x_mistakes()` functions, an `Exercise`
    built by hand, a named-mistake message written by hand, or a `_X_MISTAKES` table that
    is not `{description: switches}` or is never used."""
    problems = []
    tables, used = {}, set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name.startswith("_") and \
                node.name.endswith("_mistakes"):
            problems.append(f"line {node.lineno}: {node.name}() builds mistakes by hand")
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and \
                isinstance(node.targets[0], ast.Name) and \
                node.targets[0].id.endswith("_MISTAKES"):
            tables[node.targets[0].id] = node
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            callee = node.func.id if isinstance(node.func, ast.Name) else \
                node.func.attr if isinstance(node.func, ast.Attribute) else ""
            if callee == "Exercise":
                problems.append(f"line {node.lineno}: Exercise(...) built by hand")
            for keyword in node.keywords:
                if keyword.arg == "mistakes" and isinstance(keyword.value, (ast.Dict,
                                                                             ast.DictComp)):
                    problems.append(f"line {node.lineno}: mistakes={{...}} written inline")
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            used.add(node.id)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and \
                "matches a common mistake" in node.value:
            problems.append(f"line {node.lineno}: a named-mistake message written by hand")
    for name, node in tables.items():
        if isinstance(node.value, ast.Dict) and not all(
                isinstance(v, (ast.Dict, ast.Call, ast.Name)) for v in node.value.values):
            problems.append(f"line {node.lineno}: {name} maps descriptions to something "
                            f"other than switches")
        if name not in used:
            problems.append(f"line {node.lineno}: {name} is never used")
    return problems


def test_every_check_module_has_the_one_form():
    problems = {name: form_problems(_module_tree(name)) for name in CHECK_MODULES}
    assert {name: found for name, found in problems.items() if found} == {}


def test_the_form_rule_sees_each_departure():
    tree = ast.parse(
        "_SUM_MISTAKES = {'no mean': 3}\n"
        "def _sum_mistakes(x):\n    return {}\n"
        "def check(ex):\n"
        "    ex.compare('c', 1, 2, mistakes={'a': 1})\n"
        "    Exercise('01.1', 'f', f)\n"
        "    ex.fail('c', 'your result matches a common mistake: x.')\n")
    found = " | ".join(form_problems(tree))
    for expected in ("_sum_mistakes() builds mistakes by hand", "Exercise(...) built by hand",
                     "mistakes={...} written inline", "a named-mistake message written by hand",
                     "_SUM_MISTAKES maps descriptions to something other than switches",
                     "_SUM_MISTAKES is never used"):
        assert expected in found
    assert form_problems(ast.parse(
        "_SUM_MISTAKES = {'no mean': {'mean': False}}\n"
        "def check(ex):\n    ex.compare('c', 1, 2, mistakes=mistakes_from(f, _SUM_MISTAKES, 1))\n"
    )) == []
