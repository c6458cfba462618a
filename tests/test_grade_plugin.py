"""Unit tests of helpers.grade.plugin: what it records about one cell's run.

The plugin runs inside the grading subprocess; tests/test_grade.py exercises it end
to end. These tests give `_record` the objects pytest and nbval would, so that each
kind of outcome is pinned down on its own.
"""

from types import SimpleNamespace

from helpers.grade import plugin


class _Kernel:
    def __init__(self, alive=True, reply=None, died=False):
        self.alive, self.grade_reply, self.grade_died = alive, reply, died

    def is_alive(self):
        return self.alive


def _record(passed=True, problem=None, when="call", kernel=None, outputs=()):
    item = SimpleNamespace(
        parent=SimpleNamespace(kernel=kernel if kernel is not None else _Kernel()),
        test_outputs=list(outputs), cell_num=7,
        cell=SimpleNamespace(source="# TEST: 01.3 tanh [1 pt]\ncheck.tanh(tanh)"))
    call = SimpleNamespace(when=when, excinfo=SimpleNamespace(value=Exception(problem))
                           if problem else None)
    return plugin._record(item, call, SimpleNamespace(passed=passed))


def test_a_passing_cell():
    record = _record()
    assert record == {"cell": 7, "first_line": "# TEST: 01.3 tanh [1 pt]", "passed": True,
                      "kind": "ok", "ename": None, "message": "", "lost": False}


def test_a_failed_check_keeps_its_name_and_message():
    error = {"output_type": "error", "ename": "CheckError", "evalue": "01.3 tanh, case 'a': ..."}
    record = _record(passed=False, problem="cell failed", outputs=[error])
    assert (record["kind"], record["ename"], record["message"]) == \
        ("error", "CheckError", "01.3 tanh, case 'a': ...")


def test_an_error_reply_fails_the_cell_even_without_shown_errors():
    reply = {"status": "error", "ename": "ValueError", "evalue": "hidden"}
    record = _record(passed=True, kernel=_Kernel(reply=reply))
    assert not record["passed"] and (record["ename"], record["message"]) == ("ValueError", "hidden")


def test_timeout_kernel_death_and_cells_after_it():
    assert _record(passed=False, problem="Timeout of 2 seconds")["kind"] == "timeout"
    dead = _Kernel(alive=False, died=True)
    record = _record(passed=False, problem="Timeout of 2 seconds", kernel=dead)
    assert record["kind"] == "kernel died" and record["lost"]
    assert _record(passed=False, problem="Kernel dead on test start")["kind"] == "not run"


def test_a_kernel_that_did_not_start():
    record = _record(passed=False, problem="RuntimeError: no port\nmore", when="setup")
    assert (record["kind"], record["message"]) == ("no kernel", "RuntimeError: no port")
