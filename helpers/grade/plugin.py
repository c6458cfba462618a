"""The pytest plugin of a grading run (`helpers.grade.run` loads it with `-p`).

It runs inside the pytest process that executes the prepared notebooks with
nbval, and writes one JSON line per executed cell to
`<--grade-results>/<notebook folder name>.jsonl`:

    {"cell": 12, "first_line": "# TEST: 01.3 tanh [1 pt]", "passed": false,
     "kind": "error", "ename": "CheckError", "message": "01.3 tanh, case ...",
     "lost": false}

`kind` is `ok`, `error` (the cell raised; `ename` and `message` say what),
`timeout` (interrupted after the time limit), `kernel died` (the kernel process
ended during the cell), `not run` (the kernel was already gone) or `no kernel`
(the kernel did not start). `lost` tells whether the kernel was gone after the
cell. Lines are appended as cells finish, so a crash loses nothing already run.
"""

import json
import os
import time
from queue import Empty

import pytest

from helpers.notebook_format import first_line


def pytest_addoption(parser):
    """Adds `--grade-results DIR`: without it the plugin does nothing."""
    parser.addoption("--grade-results", default=None,
                     help="helpers.grade: folder where each notebook's cell results go")


def pytest_configure(config):
    """Installs the kernel watch when this is a grading run."""
    if config.getoption("grade_results"):
        _watch_kernels()


def _watch_kernels():
    """Makes nbval notice a dead kernel within a second and keep each cell's reply.

    nbval (0.11) waits for the cell's reply for the whole time limit even when
    the kernel process is gone, and only looks at error messages, not at the
    reply's status. These two replacements fix both for the grading run.
    """
    from nbval.kernel import RunningKernel

    get_message = RunningKernel.get_message

    def await_reply(self, msg_id, timeout=None):
        self.grade_reply = None
        deadline = time.monotonic() + float(timeout) if timeout else None
        while True:
            try:
                msg = self.kc.get_shell_msg(timeout=1.0)
            except Empty:
                if not self.km.is_alive():
                    self.grade_died = True
                    raise
                if deadline is not None and time.monotonic() > deadline:
                    raise
                continue
            if msg["parent_header"].get("msg_id") == msg_id:
                self.grade_reply = msg["content"]
                return

    def get_message_unless_dead(self, stream, timeout=None):
        if getattr(self, "grade_died", False):
            raise Empty()
        return get_message(self, stream, timeout=timeout)

    RunningKernel.await_reply = await_reply
    RunningKernel.get_message = get_message_unless_dead


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Appends the record of each nbval cell (run, or failed to set up) to its file."""
    report = yield
    folder = item.config.getoption("grade_results", None)
    if folder and hasattr(item, "cell_num") and (
            call.when == "call" or (call.when == "setup" and not report.passed)):
        record = _record(item, call, report)
        name = os.path.basename(os.path.dirname(str(item.fspath)))
        with open(os.path.join(folder, f"{name}.jsonl"), "a", encoding="utf-8") as f:
            f.write(json.dumps(record) + "\n")
    return report


def _record(item, call, report):
    """What the grader needs to know about one cell's run."""
    kernel = getattr(item.parent, "kernel", None)
    reply = getattr(kernel, "grade_reply", None) or {}
    errors = [o for o in (item.test_outputs or []) if o.get("output_type") == "error"]
    problem = str(call.excinfo.value) if call.excinfo else ""
    passed = report.passed and reply.get("status", "ok") == "ok"
    ename, message = None, ""
    if passed:
        kind = "ok"
    elif call.when == "setup":
        kind, message = "no kernel", problem.splitlines()[0] if problem else "no reason given"
    elif problem.startswith("Kernel dead on test start"):
        kind = "not run"
    elif problem.startswith("Timeout"):
        kind = "kernel died" if getattr(kernel, "grade_died", False) else "timeout"
    else:
        kind = "error"
        if errors:
            ename, message = errors[-1].get("ename"), errors[-1].get("evalue", "")
        elif reply.get("status") == "error":
            ename, message = reply.get("ename"), reply.get("evalue", "")
        else:
            message = problem
    return {
        "cell": item.cell_num,
        "first_line": first_line(item.cell.source),
        "passed": passed,
        "kind": kind,
        "ename": ename,
        "message": str(message)[:4000],
        "lost": kernel is None or not kernel.is_alive(),
    }
