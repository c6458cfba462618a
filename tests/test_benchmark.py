"""Unit tests of scripts/benchmark.py: what it refuses to store."""

import os
import sys

import nbformat
from nbformat.v4 import new_code_cell, new_notebook, new_output

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "scripts"))
import benchmark  # noqa: E402


def _cell(seconds, text):
    cell = new_code_cell("model.fit(...)", outputs=[new_output("stream", name="stdout", text=text)])
    cell.metadata["execution"] = {"iopub.execute_input": "2026-11-21T10:00:00.000000Z",
                                  "shell.execute_reply": f"2026-11-21T10:00:{seconds:02d}.500000Z"}
    return cell


def test_long_cells_must_leave_epoch_lines():
    nb = new_notebook(cells=[
        _cell(3, "quick and quiet\n"),                                  # short: fine
        _cell(40, "epoch 1/3: loss 0.5 (13 s)\nepoch 2/3: loss 0.4\n"),  # helpers.progress
        _cell(30, "deep plain: epoch 1/10: loss 0.9\n"),                # with a label
        _cell(20, "epoch  1: mean training loss 0.59\n"),               # a loop that prints
        _cell(15, "10 labels, frozen: 30 epochs: loss 0.04 (2 s)\n"),   # one line per fit
        _cell(25, "test accuracy 0.91\n"),                              # silent for 25 s
        _cell(50, "DQN: block 1/10: loss 0.39 (1 min 04 s)\n"),         # a progress.Loop
        _cell(12, "style: 400 steps: loss 0.01 (11 s)\n"),             # one line per Loop
        _cell(30, "sampling: 100 reverse steps (29 s)\nlater text\n"),  # without metrics
        _cell(45, "took about 45 s (measured)\n"),                      # no record: silent
    ])
    # A display's last state, then a printed summary: a record line all the same.
    nb.cells.append(_cell(20, "ignored"))
    nb.cells[-1].outputs = [new_output("display_data", data={"text/plain": "style: 9 steps (9 s)"}),
                            new_output("stream", name="stdout", text="9 steps in 10 s\n")]
    assert benchmark.cell_seconds(nb.cells[0]) == 3.5
    assert [(index, round(seconds)) for index, seconds in benchmark.silent_long_cells(nb)] == \
        [(5, 26), (9, 46)]
    assert benchmark.cell_seconds(new_code_cell("x = 1")) is None


def test_tensorflow_log_lines_are_found():
    nb = new_notebook(cells=[new_code_cell("import helpers", outputs=[new_output(
        "stream", name="stderr",
        text="real warning\nI0000 00:00:1795294346.170951   10075 port.cc:153] oneDNN custom\n")])])
    assert benchmark.native_log_lines(nb) == [
        (0, "I0000 00:00:1795294346.170951   10075 port.cc:153] oneDNN custom")]
    assert benchmark.native_log_lines(nbformat.v4.new_notebook()) == []
