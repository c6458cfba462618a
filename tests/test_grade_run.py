"""Running the prepared notebooks (helpers.grade.run), with pytest replaced by a fake."""

import json
import os

from helpers.grade import run
from helpers.grade.prepare import Cell


def fake_pytest(kinds):
    """A stand-in for `run.run_pytest`: run number n records the cells as `kinds[n](cell)`.

    Returns:
        The fake, and the list of the notebook names of each run.
    """
    runs = []

    def run_pytest(notebooks, results, timeout, workers, log_path):
        kind_of = kinds[len(runs)]
        runs.append(sorted(notebooks))
        for name, (_, cells, _) in notebooks.items():
            with open(os.path.join(results, f"{name}.jsonl"), "w") as f:
                for cell in range(cells):
                    kind = kind_of(cell)
                    if kind is not None:
                        f.write(json.dumps({"cell": cell, "first_line": "",
                                            "passed": kind == "ok", "kind": kind,
                                            "lost": kind not in ("ok", "error")}) + "\n")
        return 1

    return run_pytest, runs


CELLS = [Cell("x = 1", f"cell {i}", None) for i in range(5)]


def test_kernel_that_does_not_start_is_retried(tmp_path, monkeypatch):
    fake, runs = fake_pytest([lambda cell: "no kernel", lambda cell: "ok"])
    monkeypatch.setattr(run, "run_pytest", fake)
    records, notes = run.run_all({"a": ("alice", CELLS)}, str(tmp_path), "x.ipynb", 5, 1, 2)
    assert runs == [["a"], ["a"]]
    assert [r["kind"] for r in records["a"].values()] == ["ok"] * 5 and notes == {"a": []}


def died_in(lost):
    """Run 1: the kernel dies in cell `lost` and the cells after it are not run."""
    return lambda cell: "ok" if cell < lost else "kernel died" if cell == lost else "not run"


def test_a_lost_kernel_is_worked_around_in_a_re_run_without_that_cell(tmp_path, monkeypatch):
    fake, runs = fake_pytest([died_in(2), lambda cell: "ok" if cell > 2 else None])
    monkeypatch.setattr(run, "run_pytest", fake)
    records, notes = run.run_all({"a": ("alice", CELLS)}, str(tmp_path), "x.ipynb", 5, 1, 2)
    assert len(runs) == 2
    assert [records["a"][i]["kind"] for i in range(5)] == ["ok", "ok", "kernel died", "ok", "ok"]
    assert notes == {"a": ["later cells graded in a re-run without cell 2"]}
    with open(tmp_path / "run2" / "notebooks" / "a" / "x.ipynb") as f:
        assert "not run again: cell 2 stopped the kernel" in f.read()


def test_a_kernel_lost_in_a_setup_cell_is_not_worked_around(tmp_path, monkeypatch):
    fake, runs = fake_pytest([died_in(2)])
    monkeypatch.setattr(run, "run_pytest", fake)
    records, notes = run.run_all({"a": ("alice", CELLS)}, str(tmp_path), "x.ipynb", 5, 1, 3)
    assert len(runs) == 1
    assert records["a"][4]["kind"] == "not run" and notes == {"a": []}
