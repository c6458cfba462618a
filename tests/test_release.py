"""The release step (solutions/ -> notebooks/) and the sync test."""

import glob
import importlib
import os
import subprocess
import sys

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from helpers import notebook_format as fmt
from helpers.checks.core import NotAttemptedError
from helpers import release

ROOT = release.ROOT


def test_notebooks_are_in_sync_with_solutions():
    problems = release.release(check=True)
    assert problems == [], "\n".join(problems) + "\nRun `./workbook release`."


def _solution(config):
    cell = new_code_cell(
        "def f(x):\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION",
        execution_count=3, outputs=[nbformat.v4.new_output("stream", text="hi\n")],
    )
    return new_notebook(metadata={"kernelspec": dict(release.KERNELSPEC)}, cells=[
        new_markdown_cell("# Title\n[![Open In Colab](badge)](https://colab.research.google.com/github/old/old/blob/main/notebooks/x.ipynb)"),
        new_code_cell(release.setup_cell_source(config)),
        cell,
        new_code_cell("# TEST: 99.1 f [1 pt]\ncheck.f(f)"),
    ])


def test_student_copy_strips_outputs_and_stamps_its_origin():
    config = release.settings()
    nb = _solution(config)
    student = release.student_copy(nb, "99_demo.ipynb")
    assert nb.cells[2].outputs, "the solution itself must not change"
    code = [c for c in student.cells if c.cell_type == "code"]
    assert all(c.outputs == [] and c.execution_count is None for c in code)
    assert "raise NotImplementedError()" in code[1].source
    assert "return x" not in code[1].source
    assert student.cells[0].source.startswith("<!-- Generated from solutions/99_demo.ipynb")
    assert student.metadata["workbook"]["generated_from"] == "solutions/99_demo.ipynb"


def test_stamps_follow_the_one_repository_setting():
    config = {"repository": "https://github.com/someone/fork", "branch": "dev"}
    nb = _solution(release.settings())
    changes = release.stamp_solution(nb, "99_demo.ipynb", config)
    assert changes == ["setup cell", "Colab link"]
    assert 'WORKBOOK_REPOSITORY = "https://github.com/someone/fork"' in nb.cells[1].source
    assert ("https://colab.research.google.com/github/someone/fork/blob/dev/notebooks/"
            "99_demo.ipynb") in nb.cells[0].source
    assert release.stamp_solution(nb, "99_demo.ipynb", config) == []


def test_a_notebook_s_colab_packages_are_stamped_into_its_setup_cell_only():
    config = {**release.settings(), "colab_packages": {"99_demo": ["gymnasium==1.4.0",
                                                                   "Some-Package.x==2.0"]}}
    nb, other = _solution(config), _solution(config)
    assert release.stamp_solution(nb, "99_demo.ipynb", config) == ["setup cell", "Colab link"]
    assert release.stamp_solution(other, "98_other.ipynb", config) == ["Colab link"]
    plain, cell = other.cells[1].source, nb.cells[1].source
    assert plain == release.setup_cell_source(config)
    assert cell.startswith(plain + "\n")
    assert '    packages = {"gymnasium": "gymnasium==1.4.0", "some_package_x": ' \
           '"Some-Package.x==2.0"}' in cell
    assert "importlib.util.find_spec(name) is None" in cell and '"install", "--quiet"' in cell
    compile(cell, "setup cell", "exec")
    student = release.student_copy(nb, "99_demo.ipynb")
    assert student.cells[1].source == cell


def _pyproject(tmp_path, table=""):
    """The project's pyproject.toml with `table` as its only colab-packages entries."""
    with open(os.path.join(ROOT, "pyproject.toml"), encoding="utf-8") as f:
        text = f.read()
    head, rest = text.split("[tool.workbook.colab-packages]\n", 1)
    section, tail = rest.split("\n[", 1)
    comments = [line for line in section.splitlines() if line.startswith("#")]
    section = "\n".join(comments + ([table] if table else []))
    text = f"{head}[tool.workbook.colab-packages]\n{section}\n\n[{tail}"
    (tmp_path / "pyproject.toml").write_text(text, encoding="utf-8")


@pytest.mark.parametrize("table", ['99_demo = ["gymnasium>=1.0"]', '99_demo = ["gymnasium"]',
                                   '99_demo = "gymnasium==1.4.0"'])
def test_colab_packages_must_be_pinned_lists(tmp_path, table):
    _pyproject(tmp_path, table)
    with pytest.raises(release.ReleaseError, match="99_demo: expected a list of pinned "
                                                   "requirements as in requirements.txt"):
        release.settings(tmp_path)


def test_colab_packages_must_name_a_notebook(tmp_path):
    _pyproject(tmp_path, '99_dmeo = ["gymnasium==1.4.0"]')
    (tmp_path / "solutions").mkdir()
    nbformat.write(_solution(release.settings()), tmp_path / "solutions" / "99_demo.ipynb")
    with pytest.raises(release.ReleaseError, match="names 99_dmeo, which is not a notebook "
                                                   "in solutions/.*e.g. '99_demo'"):
        release.release(tmp_path, check=True)


def test_colab_package_pins_are_those_of_requirements_txt():
    with open(os.path.join(ROOT, "requirements.txt"), encoding="utf-8") as f:
        pins = {line.strip() for line in f}
    for notebook, packages in release.settings()["colab_packages"].items():
        assert set(packages) <= pins, (notebook, sorted(set(packages) - pins))


def test_the_kernelspec_is_the_one_jupyterlab_writes():
    nb = _solution(release.settings())
    nb.metadata["kernelspec"]["display_name"] = "Python 3"
    assert "kernelspec" in release.stamp_solution(nb, "99_demo.ipynb", release.settings())
    assert nb.metadata["kernelspec"]["display_name"] == "Python 3 (ipykernel)"
    student = release.student_copy(nb, "99_demo.ipynb")
    assert student.metadata["kernelspec"] == release.KERNELSPEC


def test_a_notebook_without_its_setup_cell_is_refused():
    nb = _solution(release.settings())
    del nb.cells[1]
    with pytest.raises(release.ReleaseError, match="exactly one setup cell"):
        release.stamp_solution(nb, "99_demo.ipynb", release.settings())


def test_release_writes_then_check_passes_then_detects_edits(tmp_path):
    _pyproject(tmp_path)
    (tmp_path / "solutions").mkdir()
    nbformat.write(_solution(release.settings()), tmp_path / "solutions" / "99_demo.ipynb")
    assert release.release(tmp_path, check=True) == [
        "solutions/99_demo.ipynb: out-of-date Colab link",
        "notebooks/99_demo.ipynb: missing",
    ]
    assert release.release(tmp_path) == [
        "solutions/99_demo.ipynb (Colab link refreshed)", "notebooks/99_demo.ipynb",
    ]
    assert release.release(tmp_path, check=True) == []
    student = tmp_path / "notebooks" / "99_demo.ipynb"
    student.write_text(student.read_text().replace("YOUR CODE HERE", "edited"))
    (tmp_path / "notebooks" / "98_stray.ipynb").write_text("{}")
    assert release.release(tmp_path, check=True) == [
        "notebooks/99_demo.ipynb: differs from its solution",
        "notebooks/98_stray.ipynb: has no solution; remove it",
    ]


def test_check_mode_command_line():
    result = subprocess.run([sys.executable, "-m", "helpers.release", "--check"],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "in sync" in result.stdout


SOLUTIONS = sorted(glob.glob(os.path.join(ROOT, "solutions", "*.ipynb")))


@pytest.mark.parametrize("path", SOLUTIONS, ids=os.path.basename)
def test_solution_structure(path):
    """Every solution cell is followed by its test cell, ids are unique and belong to
    the notebook, and each test cell's stored output is that exercise's success line."""
    nb = nbformat.read(path, as_version=4)
    number = os.path.basename(path)[:2]
    code = fmt.code_sources(nb)
    config = release.settings()
    assert code[0] == release.setup_cell_source(
        config, release.colab_packages(os.path.basename(path), config))
    setup = fmt.count_setup_cells(code)
    assert code[setup - 1].startswith(fmt.IGNORE_OUTPUT)
    exercises = fmt.exercises(code)
    solution_cells = [i for i, source in enumerate(code) if fmt.is_solution_cell(source)]
    assert [ex.test_index - 1 for ex in exercises] == solution_cells, \
        "every solution cell is followed by a test cell, and every test cell follows one"
    cells = [c for c in nb.cells if c.cell_type == "code"]
    for ex in exercises:
        assert ex.id.startswith(number + "."), ex
        assert fmt.defines(ex.anchor, ex.name), \
            f"{ex.id}: solution cell does not define {ex.name} (a function or a class)"
        text = "".join(o.get("text", "") for o in cells[ex.test_index].outputs
                       if o.output_type == "stream")
        assert fmt.parse_success_line(text)[:2] == (ex.id, ex.name), text
        assert text.count("\n") == 1, text
    assert exercises
    assert all(cell.execution_count is not None for cell in cells), "solutions are stored executed"


TEST_CELLS = [(os.path.basename(path), ex) for path in SOLUTIONS
              for ex in fmt.exercises(fmt.code_sources(nbformat.read(path, as_version=4)))]


@pytest.mark.parametrize("notebook, ex", TEST_CELLS, ids=[ex.id for _, ex in TEST_CELLS])
def test_every_test_line_names_a_check_that_prints_its_id(notebook, ex):
    """The test line, the check it calls and the id the check prints agree."""
    call = fmt.parse_check_call(ex.source)
    assert call, f"{notebook} {ex.id}: the test cell must import a check module and call it"
    module, check_name, argument = call
    assert check_name == ex.name and argument == ex.name, (notebook, ex.id, call)
    check = getattr(importlib.import_module(f"helpers.checks.{module}"), check_name, None)
    assert callable(check), f"{notebook} {ex.id}: helpers.checks.{module} has no {check_name}"

    def stub(*args, **kwargs):
        raise NotImplementedError()

    with pytest.raises(NotAttemptedError) as info:
        check(stub)
    assert str(info.value).startswith(f"{ex.id} {ex.name}: not attempted yet"), str(info.value)
