"""Executes solution notebooks in quick and/or full mode and reports wall time and peak memory.

It runs each notebook in a fresh kernel with a student's environment (no
TF_CPP_MIN_LOG_LEVEL) and the tests' hash seed. It refuses to store outputs that hold TensorFlow's C++
log lines (a student would see them too) or that come from a cell which ran longer
than 10 s without live progress (`helpers.progress`).

Usage:
    python scripts/benchmark.py                      both modes, every solution
    python scripts/benchmark.py --mode quick 01      one mode, notebooks whose name starts with 01
    python scripts/benchmark.py --mode full --save   also store the full-mode outputs in solutions/

The times are what the README's curriculum table shows; re-run this after
changing a notebook and update the table.
"""

import argparse
import datetime
import glob
import os
import re
import sys
import threading
import time

import nbformat
import psutil
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from helpers import NATIVE_LOG_LINE

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

#: The kernel environment: a student's (TF_CPP_MIN_LOG_LEVEL unset, as in a fresh
#: shell), with the tests' hash seed, plus the mode.
KERNEL_ENV = {"PYTHONHASHSEED": "0"}


def native_log_lines(nb):
    """TensorFlow C++ log lines in a notebook's outputs, as `(cell index, line)` pairs.

    `helpers.setup()` keeps them out of the setup cell; a line found anywhere means
    a student would see it too, so the outputs are not stored.
    """
    found = []
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            if output.output_type == "stream":
                found += [(index, line) for line in output.text.splitlines()
                          if NATIVE_LOG_LINE.match(line)]
    return found


#: A cell that runs longer than this in full mode must show live progress.
SILENT_LIMIT = 10.0
#: A line of a progress record: an epoch printed by a loop (`epoch 3: ...`), or any line
#: of helpers.progress, which ends with the time it took (`block 2/10: ... (14 s)`).
EPOCH_LINE = re.compile(r"(^|: )(epoch +\d+|\d+ epochs?:)|"
                        r" \((\d+ s|\d+ min \d\d s|\d+ h \d\d min)\)$", re.MULTILINE)


def cell_seconds(cell):
    """How long a code cell ran, from the timings nbclient records, or None."""
    timing = cell.get("metadata", {}).get("execution", {})
    start, end = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
    if not start or not end:
        return None
    parse = datetime.datetime.fromisoformat
    return (parse(end.replace("Z", "+00:00")) - parse(start.replace("Z", "+00:00"))).total_seconds()


def silent_long_cells(nb):
    """Cells that ran longer than `SILENT_LIMIT` and left no progress record.

    A cell that shows progress leaves its record behind (the lines of `helpers.progress`,
    for `fit` or a `Loop`, or a loop that prints `epoch 3: ...`); a long cell without
    any was silent while it ran.

    Returns:
        `(index, seconds)` of each such cell.
    """
    found = []
    for index, cell in enumerate(nb.cells):
        seconds = cell_seconds(cell) if cell.cell_type == "code" else None
        if not seconds or seconds <= SILENT_LIMIT:
            continue
        shown = "\n".join(output.get("text", "") + output.get("data", {}).get("text/plain", "")
                           for output in cell.outputs)
        if not EPOCH_LINE.search(shown):
            found.append((index, seconds))
    return found


class PeakMemory:
    """Polls the resident memory of this process's children (the kernel)."""

    def __init__(self, interval=0.2):
        self.interval, self.peak, self._stop = interval, 0, threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def _poll(self):
        me = psutil.Process()
        while not self._stop.is_set():
            total = 0
            for child in me.children(recursive=True):
                try:
                    total += child.memory_info().rss
                except psutil.Error:
                    pass
            self.peak = max(self.peak, total)
            self._stop.wait(self.interval)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def execute(path, mode, save=False, timeout=1800):
    """Runs one notebook top to bottom. Returns (seconds, peak MiB, error or None)."""
    os.environ.update(KERNEL_ENV)
    os.environ.pop("TF_CPP_MIN_LOG_LEVEL", None)
    os.environ["WORKBOOK_QUICK"] = "1" if mode == "quick" else "0"
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, timeout=timeout, kernel_name="python3",
        resources={"metadata": {"path": os.path.dirname(path)}},
    )
    error = None
    start = time.perf_counter()
    with PeakMemory() as memory:
        try:
            client.execute()
        except CellExecutionError as exc:
            error = str(exc).strip().splitlines()[-1]
    seconds = time.perf_counter() - start
    leaked = native_log_lines(nb)
    if leaked and error is None:
        index, line = leaked[0]
        error = f"TensorFlow log lines in the outputs, first in cell {index}: {line[:100]}"
    silent = silent_long_cells(nb)
    if silent and error is None:
        error = (", ".join(f"cell {index} ran {seconds:.0f} s" for index, seconds in silent)
                 + " without live progress (pass callbacks=[progress.Progress()] to fit, or "
                   "use progress.Loop in a loop of your own)")
    if save and error is None:
        for cell in nb.cells:  # run timings change every run; they are not stored
            cell.get("metadata", {}).pop("execution", None)
        nbformat.write(nb, path)
    return seconds, memory.peak / 2**20, error


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("prefixes", nargs="*", help="notebook name prefixes, e.g. 00 01")
    parser.add_argument("--mode", choices=["quick", "full", "both"], default="both")
    parser.add_argument("--save", action="store_true",
                        help="store the executed full-mode notebook in solutions/")
    args = parser.parse_args(argv)
    paths = sorted(glob.glob(os.path.join(ROOT, "solutions", "*.ipynb")))
    if args.prefixes:
        paths = [p for p in paths if os.path.basename(p).startswith(tuple(args.prefixes))]
    if not paths:
        print("no matching notebooks in solutions/", file=sys.stderr)
        return 2
    modes = ["quick", "full"] if args.mode == "both" else [args.mode]
    failed = False
    print(f"{'notebook':32} {'mode':6} {'wall time':>10} {'peak memory':>12}")
    for path in paths:
        for mode in modes:
            seconds, peak, error = execute(path, mode, save=args.save and mode == "full")
            status = f"  FAILED: {error}" if error else ""
            failed |= error is not None
            print(f"{os.path.basename(path):32} {mode:6} {seconds:9.1f}s {peak:10.0f} MiB{status}",
                  flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
