"""The student copies, run unfilled: every test cell says "not attempted yet".

This is what a student sees before writing any code: no crash inside helpers,
one clear message per exercise.
"""

import glob
import os

import nbformat
import pytest
from nbclient import NotebookClient

from helpers import notebook_format as fmt

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NOTEBOOKS = sorted(glob.glob(os.path.join(ROOT, "notebooks", "*.ipynb")))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=os.path.basename)
def test_unfilled_exercises_report_not_attempted(path, monkeypatch):
    monkeypatch.setenv("WORKBOOK_QUICK", "1")
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=240, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": os.path.dirname(path)}}).execute()
    code = [c for c in nb.cells if c.cell_type == "code"]
    exercises = fmt.exercises([c.source for c in code])
    assert exercises, "a student notebook without test cells"
    for exercise_id, name, _, index, _, _ in exercises:
        cell = code[index]
        errors = [o for o in cell.outputs if o.output_type == "error"]
        assert len(errors) == 1, f"{exercise_id}: expected one error output, got {cell.outputs}"
        error = errors[0]
        assert error.ename == "NotAttemptedError", f"{exercise_id}: {error.ename}: {error.evalue}"
        assert error.evalue.startswith(f"{exercise_id} {name}: not attempted yet")
        # Shown as one line, without frames from inside helpers.
        assert len(error.traceback) == 1 and "helpers/" not in error.traceback[0]
    # The setup cells themselves work in a student copy.
    setup = fmt.count_setup_cells([c.source for c in code])
    assert not [o for c in code[:setup + 1] for o in c.outputs if o.output_type == "error"]
