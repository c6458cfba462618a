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
