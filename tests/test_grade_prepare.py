"""Preparing a submission (helpers.grade.prepare): released cells back, shell commands off."""

import nbformat
import pytest
import synthetic_notebook as synthetic

from helpers.grade.prepare import neutralise, prepare
from helpers.grade.released import read_released
from helpers.notebook_format import code_sources


@pytest.fixture
def released(tmp_path):
    """The synthetic released notebook, read by the grader."""
    nbformat.write(synthetic.released_notebook(), tmp_path / synthetic.NAME)
    return read_released(str(tmp_path / synthetic.NAME))


@pytest.mark.parametrize("source, expected", [
    ("!pip install foo", "pass  # [grader] disabled: !pip install foo"),
    ("files = !ls", "pass  # [grader] disabled: files = !ls"),
    ("if True:\n    %conda install x", "if True:\n    pass  # [grader] disabled: %conda install x"),
    ("%matplotlib inline\n%time x = 1", "%matplotlib inline\n%time x = 1"),
    ("x = a % b\ny = x != 2", "x = a % b\ny = x != 2"),
])
def test_neutralise_disables_shell_commands_only(source, expected):
    assert neutralise(source) == expected


def test_neutralise_disables_a_whole_cell_magic():
    out = neutralise("%%bash\nrm -rf data")
    assert all(line.startswith("#") for line in out.splitlines())


def test_prepare_restores_setup_and_puts_a_deleted_test_after_its_function(released):
    nb = synthetic.student(edit=synthetic.delete_tests)
    synthetic.setup_raises(nb.cells)
    cells, restored = prepare(code_sources(nb), released)
    assert len(released.setup) == 3
    assert [c.source for c in cells[:3]] == released.setup
    assert not [c for c in cells if "oops" in c.source]
    assert restored == {"99.1", "99.2"}
    for ex in released.exercises:
        at = next(i for i, c in enumerate(cells) if c.exercise == ex.id)
        assert cells[at].source == ex.source
        assert cells[at - 1].source.startswith(f"def {ex.name}(")


def test_prepare_puts_a_deleted_test_after_its_class(released):
    def edit(cells):
        at = synthetic.index_of(cells, "def square(")
        cells[at].source = "class square:\n    def __init__(self, x):\n        self.x = x * x"
        synthetic.delete_tests(cells)

    cells, restored = prepare(code_sources(synthetic.student(edit=edit)), released)
    at = next(i for i, c in enumerate(cells) if c.exercise == "99.2")
    assert cells[at - 1].source.startswith("class square:")
    assert restored == {"99.1", "99.2"}


def test_prepare_knows_a_loosely_edited_test_cell_and_only_its_last_copy_counts(released):
    def edit(cells):
        at = synthetic.index_of(cells, "# TEST: 99.1")
        cells[at].source = "#TEST:99.1 double [20 pts]\nprint('99.1 double: all 1 cases passed')"
        cells.insert(at, nbformat.v4.new_code_cell("\n# TEST: 99.1 double [2 pts]\npass"))

    cells, restored = prepare(code_sources(synthetic.student(edit=edit)), released)
    tests = [c for c in cells if c.exercise == "99.1"]
    assert [c.source for c in tests] == [released.exercises[0].source]
    assert [c.source for c in cells if c.source.startswith("# not graded:")] == [
        "# not graded: \n# TEST: 99.1 double [2 pts]\npass"]
    assert restored == {"99.1"}
