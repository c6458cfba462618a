"""No solution notebook gives one global name two meanings in two sections.

A student re-runs cells out of order: an earlier section's cell run again after a later
section must not clobber a name that the later section relies on (in notebook 11 the
returns cell set `T = len(rewards)`, and value iteration's `T` was the transition tensor).
This static test parses the code cells with `ast` (no kernel), splits each notebook into
sections at its markdown `## ` headings, infers a coarse kind for every module-level
assignment where it can, and fails when one name gets two different known kinds in two
sections. Names that are meant to be reused go in ALLOWED, with the reason.
"""

import ast
import glob
import os
import re

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NOTEBOOKS = sorted(glob.glob(os.path.join(ROOT, "solutions", "[0-9][0-9]_*.ipynb")))

#: Names that a later section may rebind with another kind on purpose: name -> reason.
ALLOWED = {
    "_": "the throwaway name, never read back",
    "fig": "each figure cell makes its own figure and reads only its own",
    "ax": "each figure cell makes its own axes and reads only its own",
    "axes": "each figure cell makes its own axes and reads only its own",
}

#: Where a call's module resolves to, for the kinds below (after the notebook's imports).
ARRAY_MODULES = ("numpy.", "tensorflow.", "keras.ops.", "keras.random.")
#: Calls under those modules that do not return an array (a prefix of the dotted name).
NOT_ARRAYS = ("numpy.random.default_rng", "numpy.random.Generator", "tensorflow.data.",
              "tensorflow.GradientTape", "tensorflow.function",
              "tensorflow.random.Generator", "tensorflow.config.", "tensorflow.TensorSpec",
              "tensorflow.summary.", "tensorflow.io.", "tensorflow.train.")
#: keras.* constructors of models and layers (tensorflow.keras.* is the same).
KERAS_MODELS = ("keras.Sequential", "keras.Model", "keras.models.", "keras.layers.",
                "keras.applications.", "keras.Layer")
BUILTIN_KINDS = {"len": "int", "int": "int", "float": "float", "str": "str"}


def heading_of(markdown):
    """The last `## ` heading of a markdown cell, or None."""
    headings = re.findall(r"^## +(.+?)\s*$", markdown, re.MULTILINE)
    return headings[-1] if headings else None


def parse_cell(source):
    """The module of a code cell, IPython magics and shell lines blanked out."""
    lines = ["" if line.lstrip().startswith(("%", "!")) else line
             for line in source.splitlines()]
    return ast.parse("\n".join(lines))


def dotted(node):
    """'a.b.c' for a chain of names and attributes, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def import_aliases(module):
    """{local name: the dotted name it stands for} for the module's imports."""
    aliases = {}
    for node in ast.walk(module):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    aliases[alias.asname] = alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return aliases


def resolve(name, aliases):
    """The dotted name, its first part replaced by what the imports say, and a final dot."""
    head, _, rest = name.partition(".")
    head = aliases.get(head, head)
    full = f"{head}.{rest}." if rest else f"{head}."
    return full.replace("tensorflow.keras.", "keras.", 1)     # tf.keras is Keras


def kind_of(value, aliases):
    """A coarse kind of the value an expression gives, or None when unknown."""
    if isinstance(value, ast.Constant):
        return {bool: "bool", int: "int", float: "float", str: "str"}.get(type(value.value))
    if isinstance(value, ast.UnaryOp) and isinstance(value.op, (ast.USub, ast.UAdd)):
        return kind_of(value.operand, aliases)
    if isinstance(value, ast.JoinedStr):
        return "str"
    if isinstance(value, ast.Lambda):
        return "function"
    if isinstance(value, ast.Call):
        name = dotted(value.func)
        if name is None:
            return None
        if name in BUILTIN_KINDS:
            return BUILTIN_KINDS[name]
        full = resolve(name, aliases)
        if full.startswith(KERAS_MODELS):
            return "Keras model/layer"
        if full.startswith(ARRAY_MODULES) and not full.startswith(NOT_ARRAYS):
            return "array"
    return None


def targets(node):
    """The names that an assignment target binds."""
    if isinstance(node, ast.Name):
        return [node.id]
    if isinstance(node, (ast.Tuple, ast.List)):
        return [name for element in node.elts for name in targets(element)]
    if isinstance(node, ast.Starred):
        return targets(node.value)
    return []


def bindings(statements, aliases):
    """(name, kind) for every module-level binding in `statements`, in order.

    Walks into if/for/while/with/try blocks (still module level) but not into function
    or class bodies; loop and `with` targets are bound with an unknown kind.
    """
    for node in statements:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield node.name, "function"
            continue
        if isinstance(node, ast.ClassDef):
            yield node.name, "class"
            continue
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if (isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple)
                        and len(target.elts) == len(node.value.elts)):
                    for element, value in zip(target.elts, node.value.elts):
                        kind = kind_of(value, aliases)
                        yield from ((name, kind) for name in targets(element))
                else:
                    kind = kind_of(node.value, aliases) if isinstance(target, ast.Name) else None
                    yield from ((name, kind) for name in targets(target))
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            yield from ((name, kind_of(node.value, aliases)) for name in targets(node.target))
        elif isinstance(node, (ast.For, ast.AsyncFor)):
            yield from ((name, None) for name in targets(node.target))
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                if item.optional_vars is not None:
                    yield from ((name, None) for name in targets(item.optional_vars))
        for field in ("body", "orelse", "finalbody"):
            yield from bindings(getattr(node, field, []), aliases)
        for handler in getattr(node, "handlers", []):
            yield from bindings(handler.body, aliases)


def section_kinds(nb):
    """{name: {kind: [the sections, in order, that bind name with that kind]}}."""
    section = "(before the first ## heading)"
    modules = []
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            section = heading_of(cell.source) or section
        elif cell.cell_type == "code":
            modules.append((section, parse_cell(cell.source)))
    aliases = {}
    for _, module in modules:
        aliases.update(import_aliases(module))
    kinds = {}
    for section, module in modules:
        for name, kind in bindings(module.body, aliases):
            if kind is not None:
                sections = kinds.setdefault(name, {}).setdefault(kind, [])
                if section not in sections:
                    sections.append(section)
    return kinds


def clashes(nb, allowed=ALLOWED):
    """One line for every name bound with two known kinds in two different sections."""
    found = []
    for name, by_kind in section_kinds(nb).items():
        if name in allowed or len(by_kind) < 2:
            continue
        pairs = [(section, kind) for kind, sections in by_kind.items() for section in sections]
        if len({section for section, _ in pairs}) < 2:
            continue
        found.append(f"{name}: " + "; ".join(f"{kind} in section '{section}'"
                                             for section, kind in pairs))
    return found


@pytest.mark.parametrize("path", NOTEBOOKS, ids=os.path.basename)
def test_no_global_name_changes_kind_between_sections(path):
    found = clashes(nbformat.read(path, as_version=4))
    assert not found, (f"{os.path.basename(path)}: a later section rebinds a global name "
                       "with another kind; rename one of them (or, if the reuse is meant, "
                       "add the name to ALLOWED with the reason):\n  " + "\n  ".join(found))


def test_there_are_thirteen_solution_notebooks():
    assert len(NOTEBOOKS) == 13


def synthetic(*cells):
    """A notebook of markdown (strings starting with '#' or '*') and code cells."""
    return new_notebook(cells=[new_markdown_cell(source) if source[:1] in "#*"
                               else new_code_cell(source) for source in cells])


def test_the_old_notebook_11_clash_is_caught():
    nb = synthetic("# 11 · Reinforcement learning", "import numpy as np",
                   "## 1 · Agents, environments and returns",
                   "rewards = np.ones(20)\nT = len(rewards)\nprint(T)",
                   "## 2 · Planning with a known model",
                   "N_STATES, N_ACTIONS = 16, 4\nT = np.zeros((N_STATES, N_ACTIONS, N_STATES))")
    [found] = clashes(nb)
    assert found.startswith("T: ")
    assert "int in section '1 · Agents, environments and returns'" in found
    assert "array in section '2 · Planning with a known model'" in found


@pytest.mark.parametrize("first, second", [
    ("x = 3", "x = 'three'"),
    ("x = 0.5", "def x(): pass"),
    ("from keras import layers\nx = layers.Dense(3)", "x = int('3')"),
    ("import tensorflow as tf\nx = tf.zeros(3)", "class x: pass"),
    ("x = lambda: 1", "for i in range(2):\n    if i:\n        x = f'{i}'"),
    ("a, x = 1, 2", "x = 2.0"),
    ("import keras\nx = keras.ops.ones(2)", "import keras\nx = keras.Sequential([])"),
    ("import tensorflow as tf\nx = tf.keras.layers.Dense(2)", "x = 2"),
    ("import tensorflow as tf\nx = tf.constant(2)", "h = x = 'two'"),
])
def test_two_known_kinds_in_two_sections_are_caught(first, second):
    assert clashes(synthetic("## one", first, "## two", second))


@pytest.mark.parametrize("first, second", [
    ("x = 3", "x = len([1, 2])"),                      # the same kind
    ("x = 3", "x = some_function()"),                  # an unknown kind
    ("x = 3", "for x in range(3): pass"),              # a loop variable
    ("x = 3", "def f():\n    x = 'local'"),            # not module level
    ("import numpy as np\nrng = np.random.default_rng(0)\nx = 3", "x = rng.normal()"),
    ("import numpy as np\nx = np.random.default_rng(0)", "x = 3"),   # not an array
    ("fig = 1", "fig = 'a figure'"),                   # allowed
])
def test_same_unknown_local_or_allowed_bindings_pass(first, second):
    assert not clashes(synthetic("## one", first, "## two", second))


def test_two_kinds_within_one_section_pass():
    assert not clashes(synthetic("## one", "x = '3'", "x = int(x)", "## two", "y = 1"))


def test_the_last_heading_of_a_markdown_cell_starts_the_section():
    nb = synthetic("## one", "x = 3", "**Note.** text\n\n## two\n\nmore text", "x = 'three'")
    [found] = clashes(nb)
    assert "str in section 'two'" in found
