"""Running the prepared notebooks with nbval, in a pytest subprocess."""

import json
import os
import signal
import subprocess
import sys
import time

from helpers.grade.prepare import write_notebook
from helpers.grade.released import ROOT

#: The environment of the grading run (the same as the test suite's, see conftest.py).
GRADING_ENV = {"WORKBOOK_QUICK": "1", "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONHASHSEED": "0"}
MAX_RUNS = 3  # a notebook is run at most this often (re-runs after a lost kernel)


def run_pytest(notebooks, results, timeout, workers, log_path):
    """Runs prepared notebooks as nbval tests in a subprocess, printing progress.

    Args:
        notebooks: a dict mapping a name to `(path, number of cells, student)`;
            each notebook sits in a folder of its own, named like its name.
        results: the folder where the plugin writes `<name>.jsonl`.
        timeout: seconds allowed per cell.
        workers: notebooks run in parallel.
        log_path: where pytest's own output goes.

    Returns:
        pytest's exit code (0 all passed, 1 some cells failed, else a problem),
        or None when the instructor interrupted the run (Ctrl-C).
    """
    run_dir = os.path.dirname(results)
    ini = os.path.join(run_dir, "pytest.ini")
    with open(ini, "w") as f:
        f.write("[pytest]\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env.update(GRADING_ENV)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [ROOT, env.get("PYTHONPATH")]))
    # One notebook at a time (Gradescope, GitHub Classroom, `./workbook check`) runs in
    # pytest's own process: an xdist worker would only add a process and, measured on the
    # synthetic notebook, about 5 s of system CPU time per run.
    parallel = min(workers, len(notebooks))
    distribute = ["-n", str(parallel), "--dist", "loadfile"] if parallel > 1 else ["-p", "no:xdist"]
    command = [
        sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-o", "addopts=",
        "-c", ini, "--rootdir", run_dir, "-p", "helpers.grade.plugin", "--grade-results", results,
        "--nbval-lax", "--nbval-current-env", f"--nbval-cell-timeout={timeout}",
        *distribute, "-q", "--tb=line", *(path for path, _, _ in notebooks.values()),
    ]
    done = set()
    with open(log_path, "w") as log:
        process = subprocess.Popen(command, cwd=run_dir, env=env, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        try:
            while process.poll() is None:
                time.sleep(1)
                for name, (_, cells, student) in notebooks.items():
                    if name not in done and cells - 1 in read_results(results, name):
                        done.add(name)
                        print(f"  {len(done)}/{len(notebooks)} done: {student}", flush=True)
        except KeyboardInterrupt:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait()
            print("  interrupted: writing the gradebook with what has run", flush=True)
            return None
    return process.returncode


def read_results(results, name):
    """Reads the plugin's records for one notebook: a dict from cell index to record."""
    records = {}
    path = os.path.join(results, f"{name}.jsonl")
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            for line in f:
                try:
                    record = json.loads(line)
                    records[int(record["cell"])] = record  # the last record of a cell wins
                except (ValueError, KeyError, TypeError):
                    continue
    return records


def _lost_kernel_at(records, first_cell):
    """The cell after which the kernel was gone (died or stopped), or None."""
    for index in sorted(i for i in records if i >= first_cell):
        if records[index].get("lost"):
            return index - 1 if records[index]["kind"] == "not run" else index
    return None


def run_all(jobs, work, filename, timeout, workers, setup_cells):
    """Runs every prepared notebook, re-running after a lost kernel.

    When a notebook's kernel died (or hung and had to be stopped) in some cell,
    the notebook is run again with that cell disabled, and the cells after it
    are graded from the new run. A notebook whose kernel did not start is run
    again as it was. A kernel lost in a setup cell is not worked around: the
    cells after it need the setup. At most `MAX_RUNS` runs in all.

    Args:
        jobs: a dict mapping a name to `(student, prepared cells)`.
        work: a temporary folder.
        filename: the file name to give the prepared notebooks.
        timeout: seconds allowed per cell.
        workers: notebooks run in parallel.
        setup_cells: how many cells at the top of each notebook set it up.

    Returns:
        A pair of dicts, both keyed by name: the records (cell index -> record)
        and notes for the status.
    """
    merged = {name: {} for name in jobs}
    notes = {name: [] for name in jobs}
    start = {name: 0 for name in jobs}  # records of earlier cells come from earlier runs
    disabled = {name: set() for name in jobs}
    pending = sorted(jobs)
    for attempt in range(1, MAX_RUNS + 1):
        if not pending:
            break
        if attempt > 1:
            print(f"  re-running {len(pending)} notebook(s) without the cell that stopped "
                  f"the kernel", flush=True)
        run_dir = os.path.join(work, f"run{attempt}")
        results = os.path.join(run_dir, "results")
        os.makedirs(results)
        notebooks = {}
        for name in pending:
            student, cells = jobs[name]
            path = os.path.join(run_dir, "notebooks", name, filename)
            write_notebook(cells, path, disabled[name])
            notebooks[name] = (path, len(cells), student)
        log_path = os.path.join(run_dir, "pytest.log")
        code = run_pytest(notebooks, results, timeout, workers, log_path)
        if code not in (0, 1, None):
            with open(log_path, encoding="utf-8", errors="replace") as f:
                tail = [line.strip() for line in f.read().splitlines() if line.strip()][-3:]
            print(f"pytest exited with code {code}:\n  " + "\n  ".join(tail), file=sys.stderr)
        again = []
        for name in pending:
            cells = jobs[name][1]
            records = {i: r for i, r in read_results(results, name).items() if i >= start[name]}
            if attempt < MAX_RUNS and any(r["kind"] == "no kernel" for r in records.values()):
                again.append(name)  # kernels sometimes fail to start (a port taken): retry
                continue
            merged[name].update(records)
            lost = _lost_kernel_at(records, start[name])
            if lost is None or lost + 1 >= len(cells) or lost < setup_cells:
                continue
            if attempt == MAX_RUNS:
                notes[name].append("later cells not run")
                continue
            notes[name].append(f"later cells graded in a re-run without {cells[lost].label}")
            start[name] = lost + 1
            disabled[name].add(lost)
            again.append(name)
        pending = again if code is not None else []
    return merged, notes
