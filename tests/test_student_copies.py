"""The student copies, run unfilled: every test cell says "not attempted yet".

This is what a student sees before writing any code: no crash inside helpers,
one clear message per exercise.

Only the cells this needs run, in notebook order, in one kernel per notebook:

* the setup cells (`count_setup_cells`);
* the import cells: cells that only import or name things (imports, and assignments
  of a literal or a dotted name such as `layers = keras.layers`), whose names the
  exercise cells use (e.g. a class based on `keras.layers.Layer`);
* for each exercise, its exercise cell (the code cell before the test cell, which
  defines the function or class checked) and its test cell.

That is enough: a test cell imports its check and passes it what the exercise cell
defines (both checked below), and a check reads nothing else from the notebook. The
cells left out (data, training, figures) only slow this down. Had an exercise needed a
name from a cell left out, it would fail here: every cell run must run without an
error, except a test cell, which must raise NotAttemptedError (not a NameError).
"""

import ast
import glob
import os

import nbformat
import pytest
from nbclient import NotebookClient

from helpers import notebook_format as fmt

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NOTEBOOKS = sorted(glob.glob(os.path.join(ROOT, "notebooks", "*.ipynb")))


def _names_a_value(node):
    """A literal, a dotted name (`keras.layers`), or a tuple or list of them."""
    if isinstance(node, (ast.Tuple, ast.List)):
        return all(_names_a_value(element) for element in node.elts)
    while isinstance(node, ast.Attribute):
        node = node.value
    return isinstance(node, (ast.Constant, ast.Name))


def is_import_cell(source):
    """Whether every statement of a cell is an import or an assignment of a literal or a
    dotted name: a cell that computes nothing, only names what later cells use."""
    try:
        body = ast.parse(source).body
    except SyntaxError:  # IPython syntax (a magic): not plain imports
        return False
    return bool(body) and all(
        isinstance(statement, (ast.Import, ast.ImportFrom))
        or isinstance(statement, ast.Assign) and _names_a_value(statement.value)
        for statement in body)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=os.path.basename)
def test_unfilled_exercises_report_not_attempted(path, monkeypatch):
    monkeypatch.setenv("WORKBOOK_QUICK", "1")
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    sources = [c.source for c in code]
    exercises = fmt.exercises(sources)
    assert exercises, "a student notebook without test cells"
    for exercise in exercises:
        call = fmt.parse_check_call(exercise.source)
        assert call and fmt.defines(exercise.anchor, call[2]), (
            f"{exercise.id}: the test cell does not check what the cell before it defines")

    # The cells that run, as indices among the code cells (see the module docstring).
    setup = fmt.count_setup_cells(sources)
    imports = [i for i in range(setup, len(code)) if is_import_cell(sources[i])]
    tests = [exercise.test_index for exercise in exercises]
    definitions = [i - 1 for i in tests]
    run = sorted({*range(setup), *imports, *definitions, *tests})
    nb.cells = [code[i] for i in run]  # executed in place: code[i].outputs are filled
    NotebookClient(nb, timeout=240, kernel_name="python3", allow_errors=True,
                   shutdown_kernel="immediate",  # saves a graceful shutdown's 1.5 s
                   resources={"metadata": {"path": os.path.dirname(path)}}).execute()

    # The setup, import and exercise cells themselves run without an error.
    for i in sorted(set(run) - set(tests)):
        errors = [f"{o.ename}: {o.evalue}" for o in code[i].outputs if o.output_type == "error"]
        assert not errors, f"code cell {i} ({fmt.first_line(sources[i])!r}): {errors}"
    # Each test cell says "not attempted yet", and only that.
    for exercise_id, name, _, index, _, _ in exercises:
        cell = code[index]
        errors = [o for o in cell.outputs if o.output_type == "error"]
        assert len(errors) == 1, f"{exercise_id}: expected one error output, got {cell.outputs}"
        error = errors[0]
        assert error.ename == "NotAttemptedError", f"{exercise_id}: {error.ename}: {error.evalue}"
        assert error.evalue.startswith(f"{exercise_id} {name}: not attempted yet")
        # Shown as one line, without frames from inside helpers.
        assert len(error.traceback) == 1 and "helpers/" not in error.traceback[0]
