"""The small synthetic notebook of the grading tests (tests/test_grade*.py).

It has the workbook's shape without TensorFlow: three setup cells (the Colab
cell, an import cell, a cell that calls a stand-in `helpers.setup()`), then
three exercises, each a function cell, a test cell with a tiny check and a
scratch cell. Three setup cells, not two, so that the tests notice any grader
that takes "the first two code cells" for the setup.
"""

from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from helpers import notebook_format

NAME = "99_synthetic.ipynb"
COLAB_CELL = f"{notebook_format.COLAB_SETUP_MARKER} a stand-in for the Colab cell.\nimport os, sys"
IMPORT_CELL = "# NBVAL_IGNORE_OUTPUT\nimport numpy as np\nprint('setup done')"
SETUP_CALL_CELL = ("from types import SimpleNamespace\n\n"
                   "helpers = SimpleNamespace(setup=lambda: None)  # a stand-in: no TensorFlow\n"
                   "helpers.setup()")
CHECK = """\
{test_line}
from helpers.checks.core import Exercise

ex = Exercise("{id}", "{name}", {name})
ex.require("x = 3", ex.call("x = 3", 3) == {expected}, "{name}(3) should be {expected}.")
ex.passed()"""
STUB = "\n".join("    " + line for line in notebook_format.STUB)
SOLVED = {"double": "    return 2 * x", "square": "    return x * x", "negate": "    return -x"}
#: (id, name, points, the function's value at 3)
EXERCISES = [("99.1", "double", 2, 6), ("99.2", "square", 1, 9), ("99.3", "negate", 3, -3)]


def released_notebook(setup=IMPORT_CELL):
    """The released notebook; `setup` is the source of its second setup cell."""
    cells = [
        new_markdown_cell("# A synthetic notebook\nThree exercises with tiny checks."),
        new_code_cell(COLAB_CELL),
        new_code_cell(setup),
        new_code_cell(SETUP_CALL_CELL),
    ]
    for exercise_id, name, points, expected in EXERCISES:
        test_line = notebook_format.format_test_line(exercise_id, name, points)
        cells += [
            new_markdown_cell(f"## {name}"),
            new_code_cell(f'def {name}(x):\n    """Returns {name}(x)."""\n{STUB}'),
            new_code_cell(CHECK.format(test_line=test_line, id=exercise_id, name=name,
                                       expected=expected)),
            new_code_cell("print('an experiment')"),
        ]
    return new_notebook(cells=cells)


def student(solve=("double", "square", "negate"), bodies=None, edit=None):
    """A student's copy: some functions solved (or given `bodies`), then `edit(cells)`."""
    nb = released_notebook()
    bodies = {**{name: SOLVED[name] for name in solve}, **(bodies or {})}
    for cell in nb.cells:
        for name, body in bodies.items():
            if cell.source.startswith(f"def {name}("):
                cell.source = cell.source.replace(STUB, body)
    if edit:
        edit(nb.cells)
    return nb


def index_of(cells, start):
    """The index of the first cell whose source starts with `start`."""
    return next(i for i, c in enumerate(cells) if c.source.startswith(start))


def delete_tests(cells):
    """An edit: the student deleted the test cells of 99.1 and 99.2."""
    del cells[index_of(cells, "# TEST: 99.2")]
    del cells[index_of(cells, "# TEST: 99.1")]


def setup_raises(cells):
    """An edit: the student broke the second and the third setup cell."""
    for start in (IMPORT_CELL, SETUP_CALL_CELL):
        cells[index_of(cells, start)].source += "\nraise RuntimeError('oops')"
