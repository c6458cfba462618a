"""The released notebook (helpers.grade.released): found by number, setup found by marker."""

import os

import nbformat
import pytest
from nbformat.v4 import new_code_cell
from synthetic_notebook import NAME, SETUP_CALL_CELL, released_notebook

from helpers.grade.released import find_notebook, read_released


def test_find_notebook_by_number_or_path():
    assert find_notebook("01").endswith(os.path.join("notebooks", "01_foundations.ipynb"))
    with pytest.raises(ValueError, match="neither a file nor a notebook number"):
        find_notebook("77")


def test_released_notebook_without_tests_is_refused(tmp_path):
    nb = released_notebook()
    nb.cells = [c for c in nb.cells if "# TEST:" not in c.source]
    nbformat.write(nb, tmp_path / "x.ipynb")
    with pytest.raises(ValueError, match="expected test cells"):
        read_released(str(tmp_path / "x.ipynb"))


def test_setup_cells_are_found_by_marker_not_by_position(tmp_path):
    nbformat.write(released_notebook(), tmp_path / NAME)
    released = read_released(str(tmp_path / NAME))
    assert len(released.setup) == 3 and released.setup[-1] == SETUP_CALL_CELL
    assert [ex.id for ex in released.exercises] == ["99.1", "99.2", "99.3"]
    assert released.max_points == 6


def test_released_notebook_without_the_setup_call_is_refused(tmp_path):
    nb = released_notebook()
    nb.cells = [c for c in nb.cells if c.source != SETUP_CALL_CELL]
    nbformat.write(nb, tmp_path / NAME)
    with pytest.raises(ValueError, match=r"99_synthetic.ipynb: no code cell calls helpers\.setup"):
        read_released(str(tmp_path / NAME))


def test_released_notebook_with_a_repeated_exercise_is_refused(tmp_path):
    nb = released_notebook()
    nb.cells.append(new_code_cell(next(c.source for c in nb.cells
                                       if c.source.startswith("# TEST: 99.2"))))
    nbformat.write(nb, tmp_path / NAME)
    with pytest.raises(ValueError, match="exercise 99.2 has two test cells"):
        read_released(str(tmp_path / NAME))
