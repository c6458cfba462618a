"""A browser test: acts as a student in JupyterLab and checks what the page shows.

Usage (through the workbook script, which runs it with .venv's Python):

    ./workbook uitest [--screenshots DIR] [--timeout S]

It copies `notebooks/` into a temporary folder (the repository's notebooks are
never changed), starts JupyterLab there without a browser, in quick mode
(WORKBOOK_QUICK=1), opens notebook 00's student copy in headless Chromium through
Playwright and, with clicks and keyboard shortcuts in the real page:

  1. runs the two setup cells; the setup cell's output must be exactly one line,
     the environment report (`TensorFlow ... | Keras ... | ...`);
  2. runs the unfilled exercise 00.1 (`standardize`) and its test cell, which must
     say "not attempted yet";
  3. types a wrong answer (statistics per image, axes 1 and 2), runs both cells and
     expects the check to name that mistake, in lines the page shows unbroken (no line
     of the message is wider than the output area);
  4. types a right answer, runs both cells and expects
     `00.1 standardize: all N cases passed`;
  5. types an answer to 00.2 (`one_hot`), runs the cells the training cell needs,
     starts the training cell (the one that calls `.fit(`) and expects live
     progress, `Epoch 1/3`, in its output while it runs (within 15 s).

Then notebook 11, opened in the same tab, as a student who finished its exercises has it
(the solved copy from `solutions/`, without its outputs, over the student copy):

  6. runs sections 1 and 2 in order (returns, then FrozenLake up to
     `success_probability`); no cell may fail;
  7. types a wrong `discounted_returns` (11.1, accumulated forwards) and expects the
     check to name that mistake in lines the page shows unbroken; types the right one
     back and expects the check to pass;
  8. re-runs the returns cell of section 1, as a student does after fixing 11.1, then
     section 2's `success_probability` cell, which reads globals that section 2 set
     earlier: it must print what it printed before (a global name of section 1 reused
     by section 2 with another meaning breaks it).

It prints one line per step (`ok`, or `FAILED` with what the page showed), saves a
screenshot of the page for every failed step and one of each notebook at its end into DIR (default
`uitest-screenshots/`), and exits 1 when a step failed (2 when it could not start).
Everything it starts (JupyterLab, its kernels, Chromium) is stopped at the end,
also on an error or Ctrl-C.

Chromium comes from the system (Debian: `apt-get install chromium`), never from a
download: `/usr/bin/chromium`, or the program named by the environment variable
CHROMIUM.
"""

import argparse
import glob
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

from helpers import notebook_format as fmt

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NOTEBOOK = "00_getting_started.ipynb"
#: The notebook of steps 6-8, opened solved (from solutions/) after 00.
SOLVED = "11_reinforcement_learning.ipynb"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
#: Set when Ctrl-C or SIGTERM arrives: every error after it is the interruption.
INTERRUPTED = False
#: Seconds within which the training cell must show epoch progress.
PROGRESS_WITHIN = 15
EPOCH = re.compile(r"[Ee]poch \d+/\d+")
PROMPT_DONE = re.compile(r"^\[(\d+)\]:?$")

# What a student types. Each body replaces the function's last lines (the stub).
WRONG_STANDARDIZE = [  # per-image statistics: the check names this mistake
    "    mean = images.mean(axis=(1, 2), keepdims=True)",
    "    std = images.std(axis=(1, 2), keepdims=True)",
    "    return (images - mean) / (std + eps)",
]
WRONG_MISTAKE = "statistics per image"
RIGHT_STANDARDIZE = [
    "    mean = images.mean(axis=(0, 1, 2), keepdims=True)",
    "    std = images.std(axis=(0, 1, 2), keepdims=True)",
    "    return (images - mean) / (std + eps)",
]
ONE_HOT = ["    return np.eye(num_classes, dtype=np.float32)[labels]"]
STUB = ["    " + line for line in fmt.STUB]
# 11.1 `discounted_returns`: the solution's last lines, and the same accumulated forwards.
RIGHT_RETURNS = [
    "    G = np.zeros(len(rewards))",
    "    running = 0.0",
    "    for t in reversed(range(len(rewards))):",
    "        running = rewards[t] + gamma * running",
    "        G[t] = running",
    "    return G",
]
WRONG_RETURNS = RIGHT_RETURNS[:2] + ["    for t in range(len(rewards)):"] + RIGHT_RETURNS[3:]
WRONG_RETURNS_MISTAKE = "accumulated forwards"
#: A cell's output that shows an error.
FAILED_OUTPUT = re.compile(r"Traceback|\w+(Error|Exception)\b")


class StepFailed(Exception):
    """A step saw something other than what it expected; the message says what."""


# ---------------------------------------------------------------------------------
# JupyterLab


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_lab(root_dir, work, port, token):
    """Starts JupyterLab on `root_dir` in its own process group; returns the Popen."""
    settings = os.path.join(work, "lab-settings", "@jupyterlab", "apputils-extension")
    os.makedirs(settings)
    with open(os.path.join(settings, "notification.jupyterlab-settings"), "w") as f:
        json.dump({"fetchNews": "false", "checkForUpdates": False}, f)  # no news pop-up
    env = dict(os.environ)
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)  # what a student's `./workbook lab` has
    env.update({
        "WORKBOOK_QUICK": "1",
        "JUPYTERLAB_SETTINGS_DIR": os.path.join(work, "lab-settings"),
        "JUPYTERLAB_WORKSPACES_DIR": os.path.join(work, "lab-workspaces"),
        "JUPYTER_RUNTIME_DIR": os.path.join(work, "jupyter-runtime"),
        "IPYTHONDIR": os.path.join(work, "ipython"),
        "MPLCONFIGDIR": os.path.join(work, "matplotlib"),
    })
    jupyter = os.path.join(os.path.dirname(sys.executable), "jupyter")
    command = ([jupyter] if os.path.exists(jupyter) else [sys.executable, "-m", "jupyter"])
    command += ["lab", "--no-browser", f"--ServerApp.token={token}", f"--port={port}",
                "--ServerApp.port_retries=0", "--ServerApp.ip=127.0.0.1",
                f"--ServerApp.root_dir={root_dir}"]
    if os.geteuid() == 0:
        command.append("--allow-root")  # Jupyter refuses root without it (containers, CI)
    with open(os.path.join(work, "jupyterlab.log"), "w") as log:
        return subprocess.Popen(command, cwd=root_dir, env=env, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)


def wait_for_lab(process, port, token, timeout, log_path):
    """Waits until the server answers /api/status; raises RuntimeError if it does not."""
    deadline = time.monotonic() + timeout
    url = f"http://127.0.0.1:{port}/api/status?token={token}"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    with open(log_path, errors="replace") as f:
        tail = "".join(f.readlines()[-15:])
    state = (f"exited with code {process.returncode}" if process.poll() is not None
             else f"did not answer within {timeout:g} s")
    raise RuntimeError(f"JupyterLab {state}; the end of its log:\n{tail}")


def descendants():
    """Every process this script started, directly or not (by id)."""
    import psutil

    try:
        return psutil.Process(os.getpid()).children(recursive=True)
    except psutil.Error:
        return []


def stop_everything(lab, browser_closers):
    """Closes the browser, stops JupyterLab (which stops its kernels), then any leftover."""
    import psutil

    started = descendants()  # before anything exits and is re-parented
    for close in browser_closers:
        try:
            close()
        except Exception:  # noqa: BLE001 - the driver may already be gone (Ctrl-C)
            pass
    if lab is not None and lab.poll() is None:
        try:
            os.killpg(lab.pid, signal.SIGTERM)  # the server shuts its kernels down
            lab.wait(timeout=15)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass
    leftovers = []
    for process in started:
        try:
            if process.is_running() and process.status() != psutil.STATUS_ZOMBIE:
                process.terminate()
                leftovers.append(process)
        except psutil.Error:
            pass
    _, alive = psutil.wait_procs(leftovers, timeout=5)
    for process in alive:
        try:
            process.kill()
        except psutil.Error:
            pass
    if lab is not None and lab.poll() is None:  # still there: its group goes at once
        try:
            os.killpg(lab.pid, signal.SIGKILL)
            lab.wait(timeout=5)
        except (ProcessLookupError, PermissionError, subprocess.TimeoutExpired):
            pass


# ---------------------------------------------------------------------------------
# The notebook page


#: The notebook of the tab in front (a page with two notebook tabs hides one).
SHOWN_NOTEBOOK = ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook"


class Notebook:
    """The open notebook in the page: finds cells, runs them, types into them."""

    def __init__(self, page, name, sources, timeout):
        self.page = page
        self.name = name  # the notebook's file name
        self.sources = sources  # every cell's source, in order, from the .ipynb file
        self.timeout = timeout
        self.seen = {}  # what steps noted for later steps: cell index -> output

    def find(self, what, start=0):
        """The index of the first code cell at or after `start` whose source has `what`."""
        for index, (kind, source) in enumerate(self.sources):
            if index >= start and kind == "code" and what in source:
                return index
        raise StepFailed(f"no code cell holds {what!r} in {self.name}")

    def cell(self, index):
        return self.page.locator(f"{SHOWN_NOTEBOOK} .jp-Cell[data-windowed-list-index='{index}']")

    def prompt(self, index):
        return self.cell(index).locator(".jp-InputPrompt").first.inner_text().strip()

    def output(self, index):
        """The text the cell's output area shows (every output, joined)."""
        texts = self.cell(index).locator(".jp-OutputArea-output").all_inner_texts()
        return "\n".join(t.rstrip("\n") for t in texts)

    def rendered_rows(self, index):
        """The cell's error output: its number of text lines, and the rows the page needs to
        show it (more rows than lines: the browser broke a line that did not fit)."""
        return self.cell(index).locator(".jp-OutputArea-output pre").last.evaluate(
            r"""e => [e.textContent.replace(/\n$/, '').split('\n').length,
                     Math.round(e.getBoundingClientRect().height
                                / parseFloat(getComputedStyle(e).lineHeight))]""")

    def source(self, index):
        """The text of the cell's editor, as CodeMirror shows it."""
        return self.cell(index).locator(".cm-content").first.evaluate(
            "e => Array.from(e.querySelectorAll('.cm-line')).map(l => l.textContent).join('\\n')")

    def focus_editor(self, index):
        editor = self.cell(index).locator(".jp-InputArea-editor .cm-content").first
        editor.scroll_into_view_if_needed()
        editor.click()

    def start(self, index):
        """Clicks into the cell and presses Shift+Enter; returns the prompt it had."""
        before = self.prompt(index)
        self.focus_editor(index)
        self.page.keyboard.press("Shift+Enter")
        return before

    def busy(self, index, before):
        """Tells whether the cell started with `start` is still queued or running."""
        prompt = self.prompt(index)
        return not (PROMPT_DONE.match(prompt) and prompt != before)

    def run(self, index):
        """Runs one cell and waits until it finishes; returns its output text."""
        before = self.start(index)
        deadline = time.monotonic() + self.timeout
        while self.busy(index, before):
            if time.monotonic() > deadline:
                raise StepFailed(f"cell {index} did not finish within {self.timeout:g} s; "
                                 f"it shows: {short(self.output(index))}")
            time.sleep(0.1)
        return self.output(index)

    def replace_last_lines(self, index, count, lines):
        """Replaces the cell's last `count` lines with `lines`, typed on the keyboard."""
        self.focus_editor(index)
        keyboard = self.page.keyboard
        keyboard.press("Control+End")
        for _ in range(count - 1):
            keyboard.press("Shift+ArrowUp")
        # From a line's end, Home goes to the end of its indentation, then to column 0.
        keyboard.press("Shift+Home")
        keyboard.press("Shift+Home")
        for number, line in enumerate(lines):
            if number:
                keyboard.press("Enter")
                keyboard.press("Shift+Home")  # select the editor's own indentation
            keyboard.type(line)
        shown = self.source(index).split("\n")[-len(lines):]
        if shown != lines:
            raise StepFailed(f"typing into cell {index} gave {shown!r}, not {lines!r}")

    def wait_for_kernel(self):
        """Waits until the notebook's kernel is connected and idle.

        The toolbar's execution indicator says idle before any kernel exists, so
        this also waits for the status bar to name the kernel: `Python 3 (ipykernel) | Idle`.
        """
        self.page.wait_for_function(
            """() => Array.from(document.querySelectorAll('.jp-StatusBar-Widget *')).some(
                   e => /[^|]+ \\| Idle$/.test(e.textContent.trim())
                        && !/No Kernel/.test(e.textContent))
               && document.querySelector(
                   ".jp-NotebookPanel:not(.lm-mod-hidden) "
                   + ".jp-Notebook-ExecutionIndicator[data-status='idle']") !== null""",
            timeout=self.timeout * 1000)


def copy_without_outputs(source, target):
    """Copies a notebook without its stored outputs and prompt numbers (the way a cell
    tells that it has run is a new prompt number)."""
    with open(source, encoding="utf-8") as f:
        notebook = json.load(f)
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code":
            cell["outputs"], cell["execution_count"] = [], None
    with open(target, "w", encoding="utf-8") as f:
        json.dump(notebook, f, indent=1, ensure_ascii=False)


def shown(path):
    """A path relative to the current folder when inside it, else absolute."""
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative


def short(text, limit=400):
    """A one-line rendering of page text for a report line."""
    text = text.strip()
    one_line = " | ".join(line.strip() for line in text.splitlines() if line.strip())
    if not one_line:
        return "(no output)"
    return repr(one_line if len(one_line) <= limit else one_line[:limit] + " ...")


# ---------------------------------------------------------------------------------
# The steps


def step_setup(nb):
    first = next(i for i, (kind, _) in enumerate(nb.sources) if kind == "code")
    setup = nb.find("helpers.setup()")
    nb.wait_for_kernel()
    nb.run(first)
    nb.run(setup)
    nb.wait_for_kernel()
    time.sleep(1)  # stderr that the kernel forwards late still lands in this cell
    text = nb.output(setup).strip()
    lines = text.splitlines()
    if len(lines) != 1 or not lines[0].startswith("TensorFlow "):
        raise StepFailed(f"the setup cell should print one line starting 'TensorFlow ', "
                         f"it shows {len(lines)} line(s): {short(text)}")
    return f"the setup cell shows one line: {lines[0]!r}"


def step_not_attempted(nb):
    solution, test = nb.find("def standardize("), nb.find("# TEST: 00.1")
    nb.run(solution)
    text = nb.run(test)
    if f"00.1 standardize: {fmt.NOT_ATTEMPTED}" not in text:
        raise StepFailed(f"the unfilled 00.1 test cell should say {fmt.NOT_ATTEMPTED!r}, "
                         f"it shows: {short(text)}")
    return f"the unfilled test cell says {fmt.NOT_ATTEMPTED!r}"


def mistake_named(nb, solution, test, mistake, answer):
    """Runs a wrong answer's cell and its test cell; fails unless the check's CheckError
    names `mistake` in lines the page shows unbroken. Returns the message's line count."""
    nb.run(solution)
    text = nb.run(test)
    if mistake not in " ".join(text.split()) or "CheckError" not in text:
        raise StepFailed(f"{answer} should give a CheckError naming {mistake!r}, the test "
                         f"cell shows: {short(text)}")
    lines, rows = nb.rendered_rows(test)
    if rows > lines:
        raise StepFailed(f"the check's message has {lines} lines but takes {rows} rows on "
                         f"the page: the browser broke lines of more than "
                         f"{fmt.MESSAGE_WIDTH} characters")
    return lines


def step_wrong_answer(nb):
    solution, test = nb.find("def standardize("), nb.find("# TEST: 00.1")
    nb.replace_last_lines(solution, len(STUB), WRONG_STANDARDIZE)
    lines = mistake_named(nb, solution, test, WRONG_MISTAKE,
                          "a wrong standardize (per-image statistics)")
    return (f"the check names the mistake: {WRONG_MISTAKE!r}, in {lines} lines that the "
            f"page shows unbroken")


def step_right_answer(nb):
    solution, test = nb.find("def standardize("), nb.find("# TEST: 00.1")
    nb.replace_last_lines(solution, len(WRONG_STANDARDIZE), RIGHT_STANDARDIZE)
    nb.run(solution)
    text = nb.run(test)
    match = re.search(r"00\.1 standardize: all \d+ cases passed", text)
    if not match or text.strip() != match.group(0):
        raise StepFailed(f"a right standardize should show only '00.1 standardize: all N "
                         f"cases passed', the test cell shows: {short(text)}")
    return f"the test cell shows {match.group(0)!r}"


def step_training_progress(nb):
    fit = nb.find(".fit(")
    one_hot = nb.find("def one_hot(")
    nb.replace_last_lines(one_hot, len(STUB), ONE_HOT)
    needed = [one_hot]
    for what in ("import keras", "helpers.budget(", "data.load_fashion_mnist()",
                 "images = x_train", "x_fit = standardize("):
        needed.append(nb.find(what))
    for index in sorted(set(needed)):
        if index >= fit:
            raise StepFailed(f"cell {index} that the training cell needs comes after it")
        text = nb.run(index)
        if re.search(r"Traceback|\w+(Error|Exception)\b", text):
            raise StepFailed(f"cell {index}, which the training cell needs, failed: "
                             f"{short(text)}")
    before = nb.start(fit)
    started = time.monotonic()
    seen = ""
    while time.monotonic() - started < PROGRESS_WITHIN:
        seen = nb.output(fit)  # read before asking whether it still runs: then it was live
        running = nb.busy(fit, before)
        match = EPOCH.search(seen)
        if match and running:
            when = time.monotonic() - started
            line = next(line for line in seen.splitlines() if EPOCH.search(line)).strip()
            live = live_epochs(nb, fit, before, seen)
            return (f"{line[:80]!r} appeared {when:.1f} s after the start; while it ran "
                    f"the output showed {', '.join(live)}")
        if not running:
            late = ("epoch text appeared only once it had finished (not live): "
                    if match else "no epoch progress; ")
            raise StepFailed(f"the training cell finished after {time.monotonic() - started:.1f}"
                             f" s with {late}it shows: {short(seen)}")
        time.sleep(0.1)
    raise StepFailed(f"no epoch progress within {PROGRESS_WITHIN} s of starting the training "
                     f"cell; it shows: {short(seen)}")


def live_epochs(nb, index, before, seen):
    """Waits for the running cell to finish; returns the epochs its output showed meanwhile."""
    epochs = []
    deadline = time.monotonic() + nb.timeout
    while time.monotonic() < deadline:
        for match in EPOCH.finditer(seen):
            number = match.group(0).split()[-1]
            if number not in epochs:
                epochs.append(number)
        seen = nb.output(index)
        if not nb.busy(index, before):
            break
        time.sleep(0.1)
    return [f"epoch {number}" for number in epochs]


def run_without_errors(nb, indices):
    """Runs the cells in order; fails on the first whose output shows an error."""
    for index in indices:
        text = nb.run(index)
        if FAILED_OUTPUT.search(text):
            raise StepFailed(f"cell {index} of {nb.name} failed: {short(text)}")
        nb.seen[index] = text


def step_solved_sections(nb):
    last = nb.find("def success_probability(")
    nb.wait_for_kernel()
    run_without_errors(nb, [i for i, (kind, _) in enumerate(nb.sources)
                            if kind == "code" and i <= last])
    return (f"{len(nb.seen)} cells ran; the last shows "
            f"{nb.seen[last].strip().splitlines()[0]!r}")


def step_wrong_then_right_returns(nb):
    solution, test = nb.find("def discounted_returns("), nb.find("# TEST: 11.1")
    stored = nb.source(solution).split("\n")
    if stored[-len(RIGHT_RETURNS) - 1:-1] != RIGHT_RETURNS:
        raise StepFailed(f"the solved 11.1 no longer ends with the lines this step retypes: "
                         f"{short(chr(10).join(stored[-8:]))}")
    nb.replace_last_lines(solution, len(RIGHT_RETURNS) + 1, WRONG_RETURNS)  # + END SOLUTION
    lines = mistake_named(nb, solution, test, WRONG_RETURNS_MISTAKE,
                          "a discounted_returns accumulated forwards")
    nb.replace_last_lines(solution, len(WRONG_RETURNS), RIGHT_RETURNS)
    nb.run(solution)
    text = nb.run(test)
    match = re.search(r"11\.1 discounted_returns: all \d+ cases passed", text)
    if not match:
        raise StepFailed(f"the right discounted_returns typed back should pass, the test "
                         f"cell shows: {short(text)}")
    return (f"the check names {WRONG_RETURNS_MISTAKE!r} in {lines} lines the page shows "
            f"unbroken; typed back right: {match.group(0)!r}")


def step_earlier_cell_again(nb):
    returns = nb.find("G = discounted_returns(rewards")
    later = [nb.find("def success_probability(")]  # reads section 2's globals (P, T, ...)
    if any(index not in nb.seen for index in later):
        raise StepFailed("this step compares with the outputs of step 6, which did not run")
    before = {index: nb.seen[index] for index in later}
    run_without_errors(nb, [returns] + later)
    for index in later:
        if nb.seen[index] != before[index]:
            raise StepFailed(f"after the returns cell ran again, cell {index} shows "
                             f"{short(nb.seen[index])}, not what it showed before: "
                             f"{short(before[index])}")
    defined = re.search(r"^def (\w+)", nb.sources[later[0]][1], re.M).group(1)
    return (f"the returns cell (cell {returns}) ran again; then cell {later[0]} "
            f"(`{defined}`) showed what it showed before")


#: (title, step, notebook): every step, in order, with the notebook it works in.
STEPS = [
    ("setup cell prints one line", step_setup, NOTEBOOK),
    (f"unfilled test cell says {fmt.NOT_ATTEMPTED!r}", step_not_attempted, NOTEBOOK),
    ("a wrong answer gets the mistake named", step_wrong_answer, NOTEBOOK),
    ("a right answer passes", step_right_answer, NOTEBOOK),
    ("training shows live epoch progress", step_training_progress, NOTEBOOK),
    ("11 solved: sections 1 and 2 run", step_solved_sections, SOLVED),
    ("11: a wrong 11.1 is named unbroken, the right one passes",
     step_wrong_then_right_returns, SOLVED),
    ("11: section 1's returns cell again, then section 2's next cell", step_earlier_cell_again,
     SOLVED),
]


def screenshot(page, folder, name, cell=None):
    path = os.path.join(folder, name)
    try:
        if cell is not None and cell.count():
            cell.first.scroll_into_view_if_needed(timeout=5000)
        page.screenshot(path=path)
        return path
    except Exception as error:  # noqa: BLE001 - a screenshot never hides the result
        print(f"  (no screenshot {name}: {type(error).__name__}: {error})", flush=True)
        return None


def run_steps(open_notebook, folder):
    """Runs every step, printing one line each; returns the number of failed steps.

    `open_notebook(name)` returns the Notebook of that name, opened in its own tab.
    """
    failed = 0
    notebooks = {}
    for number, (title, step, name) in enumerate(STEPS, start=1):
        label = f"step {number}/{len(STEPS)} {title}"
        started = time.monotonic()
        nb = None
        try:
            if name not in notebooks:
                notebooks[name] = open_notebook(name)
            nb = notebooks[name]
            detail = step(nb)
            print(f"{label}: ok ({time.monotonic() - started:.1f} s): {detail}", flush=True)
        except Exception as error:  # noqa: BLE001 - every step is reported, then the next runs
            if INTERRUPTED or type(error).__name__ == "TargetClosedError":
                raise  # Ctrl-C (the driver and browser get it too) or the browser is gone
            failed += 1
            shot = f"step{number}-{step.__name__[5:].replace('_', '-')}-failed.png"
            message = str(error) if isinstance(error, StepFailed) else \
                f"{type(error).__name__}: {error}"
            print(f"{label}: FAILED ({time.monotonic() - started:.1f} s): {message}", flush=True)
            if nb is not None:
                path = screenshot(nb.page, folder, shot, _cell_for(nb, step))
                if path:
                    print(f"  screenshot: {shown(path)}", flush=True)
    return failed


def _cell_for(nb, step):
    """The cell a failed step's screenshot should show."""
    what = {step_setup: "helpers.setup()", step_not_attempted: "# TEST: 00.1",
            step_wrong_answer: "# TEST: 00.1", step_right_answer: "# TEST: 00.1",
            step_training_progress: ".fit(", step_solved_sections: "def success_probability(",
            step_wrong_then_right_returns: "# TEST: 11.1",
            step_earlier_cell_again: "def success_probability("}.get(step)
    try:
        return nb.cell(nb.find(what)) if what else None
    except StepFailed:
        return None


# ---------------------------------------------------------------------------------


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="./workbook uitest",
        description="Act as a student in JupyterLab (headless Chromium) and check the page.")
    parser.add_argument("--screenshots", metavar="DIR",
                        default=os.path.join(ROOT, "uitest-screenshots"),
                        help="folder for the screenshots (default uitest-screenshots/)")
    parser.add_argument("--timeout", metavar="S", type=float, default=120,
                        help="seconds to wait for JupyterLab, the page or one cell (120)")
    parser.add_argument("--notebooks", metavar="DIR", default=os.path.join(ROOT, "notebooks"),
                        help=argparse.SUPPRESS)  # another copy of notebooks/, to test the test
    args = parser.parse_args(argv)

    chromium = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    if not os.access(chromium, os.X_OK):
        print(f"uitest: no Chromium at {chromium}: install it with `apt-get install chromium` "
              f"(Debian/Ubuntu) or set CHROMIUM to its path.", file=sys.stderr)
        return 2
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("uitest: the Python package playwright is missing: run it with `./workbook "
              "uitest`, which installs requirements.txt into .venv.", file=sys.stderr)
        return 2
    solved = os.path.join(ROOT, "solutions", SOLVED)
    for source in (os.path.join(args.notebooks, NOTEBOOK), solved):
        if not os.path.isfile(source):
            print(f"uitest: {source} is missing.", file=sys.stderr)
            return 2

    folder = os.path.abspath(args.screenshots)
    os.makedirs(folder, exist_ok=True)
    for old in glob.glob(os.path.join(folder, "step*-failed.png")) + \
            glob.glob(os.path.join(folder, "final*.png")):
        os.remove(old)  # only this script's own files from an earlier run

    def on_signal(signum, frame):
        global INTERRUPTED
        INTERRUPTED = True
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    begun = time.monotonic()
    lab, closers, failed = None, [], None
    work = tempfile.mkdtemp(prefix="workbook-uitest-")
    try:
        root_dir = os.path.join(work, "notebooks")
        shutil.copytree(args.notebooks, root_dir,
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        copy_without_outputs(solved, os.path.join(root_dir, SOLVED))
        port, token = free_port(), secrets.token_hex(16)
        lab = start_lab(root_dir, work, port, token)
        wait_for_lab(lab, port, token, args.timeout, os.path.join(work, "jupyterlab.log"))

        playwright = sync_playwright().start()
        closers.append(playwright.stop)
        context = playwright.chromium.launch_persistent_context(
            os.path.join(work, "chromium-profile"), executable_path=chromium, headless=True,
            args=CHROMIUM_ARGS, viewport={"width": 1400, "height": 1000})
        closers.insert(0, context.close)
        context.set_default_timeout(args.timeout * 1000)
        print(f"uitest: JupyterLab on 127.0.0.1:{port} (quick mode), "
              f"Chromium {context.browser.version if context.browser else ''}, "
              f"{NOTEBOOK} from a copy of {shown(args.notebooks)}{os.sep}, {SOLVED} from "
              f"{shown(os.path.dirname(solved))}{os.sep}", flush=True)
        page = context.pages[0] if context.pages else context.new_page()
        opened = []

        def open_notebook(name):
            """Opens the notebook alone in a JupyterLab workspace of its own (so that the
            status bar shows its kernel only); returns its Notebook."""
            if opened:
                screenshot(page, folder, f"final-{len(opened)}.png")
            opened.append(name)
            page.goto(f"http://127.0.0.1:{port}/lab/workspaces/notebook-{len(opened)}/tree/"
                      f"{name}?token={token}")
            page.locator(f"{SHOWN_NOTEBOOK} .jp-Cell").first.wait_for()
            with open(os.path.join(root_dir, name), encoding="utf-8") as f:
                cells = json.load(f)["cells"]
            sources = [(c["cell_type"], "".join(c["source"]) if isinstance(c["source"], list)
                        else c["source"]) for c in cells]
            return Notebook(page, name, sources, args.timeout)

        failed = run_steps(open_notebook, folder)
        screenshot(page, folder, f"final-{len(opened)}.png")
        print(f"  final screenshots (one per notebook): {shown(folder)}{os.sep}final-*.png",
              flush=True)
    except Exception as error:  # noqa: BLE001 - reported as one line, then cleaned up
        if INTERRUPTED:
            print("uitest: interrupted; stopping everything it started", file=sys.stderr,
                  flush=True)
        else:
            print(f"uitest: could not run: {type(error).__name__}: {error}".splitlines()[0],
                  file=sys.stderr, flush=True)
        failed = None
    except KeyboardInterrupt:
        print("uitest: interrupted; stopping everything it started", file=sys.stderr,
              flush=True)
        failed = None
    finally:
        stop_everything(lab, closers)
        shutil.rmtree(work, ignore_errors=True)
    seconds = time.monotonic() - begun
    if failed is None:
        return 2
    if failed:
        print(f"uitest: {failed} of {len(STEPS)} steps FAILED ({seconds:.0f} s); screenshots "
              f"in {shown(folder)}{os.sep}", flush=True)
        return 1
    print(f"uitest: all {len(STEPS)} steps ok ({seconds:.0f} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
