"""The workbook's one entry point. `./workbook` (Linux, macOS) and `workbook.cmd`
(Windows) run this file with any Python 3 they find; it only uses the standard library.

It finds a Python 3.11, 3.12 or 3.13, creates the virtualenv `.venv` with it, installs
requirements.txt into it the first time and again whenever requirements.txt or
pyproject.toml changes, then runs the command with the virtualenv's own Python.

  workbook lab        open JupyterLab on notebooks/ (extra arguments go to JupyterLab,
                      e.g. --port 8890 --no-browser; WORKBOOK_QUICK=1: quick mode)
  workbook test       run the whole test suite (what CI runs)
  workbook release    regenerate notebooks/ from solutions/
  workbook bench      time every notebook in quick and full mode
  workbook check NB   grade your copy of a notebook (a path, or a number like 00)
  workbook gradescope NB [--out FILE]
                      build the Gradescope autograder zip of a notebook (instructors)
  workbook classroom NB [--out FILE]
                      write the GitHub Classroom autograding workflow of a notebook
  workbook uitest     act as a student in JupyterLab in headless Chromium (maintainers, CI)
  workbook colab      the check tests and every notebook in quick mode on Colab's own
                      versions, in .venv-colab with Python 3.13 (maintainers, CI)

Extra arguments go to the underlying command, e.g. `./workbook test -k data`.
Environment: PYTHON names the interpreter to create the virtualenv with (e.g.
PYTHON=python3.12); WORKBOOK_VENV puts the virtualenv elsewhere than .venv.
"""

import hashlib
import json
import os
import platform
import shutil
import signal
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

#: The Pythons that requirements.txt installs on: TensorFlow 2.21 has wheels for 3.10
#: to 3.13, Keras 3.15 and NumPy 2.4 need 3.11.
SUPPORTED = ((3, 11), (3, 12), (3, 13))

#: Colab's Python, as .ci/colab-constraints.txt records it.
COLAB_PYTHON = (3, 13)
COLAB_CONSTRAINTS = os.path.join(".ci", "colab-constraints.txt")

#: Tools that run the tests rather than a student's code: the Colab step installs them at
#: the pins of requirements.txt, not at Colab's versions.
TEST_TOOLS = ("ipykernel", "nbformat", "nbclient", "nbval", "pytest", "pytest-xdist", "psutil")
#: Installed only for a local workbook, never in Colab: JupyterLab, the browser test and
#: the build tool.
LOCAL_ONLY = ("jupyterlab", "playwright", "setuptools")

COLAB_URL = "https://colab.research.google.com"
VERSION_PROBE = "import sys; print('%d.%d.%d' % sys.version_info[:3])"

USAGE = __doc__.split("\n\n")[2]


class WorkbookError(Exception):
    """A problem the user can fix; its message says how. Printed without a traceback."""


def is_windows(system=None):
    return (system or platform.system()) == "Windows"


def show(version):
    """`(3, 12, 1)` -> `"3.12.1"`."""
    return ".".join(str(part) for part in version)


def candidates(environ, system=None):
    """The interpreters to try, in order, each as the start of a command line.

    Args:
        environ: the environment (a dict).
        system: `platform.system()`'s answer ("Linux", "Darwin", "Windows").

    Returns:
        `[[PYTHON]]` when the environment variable PYTHON is set (it is the user's
        choice, so nothing else is tried); otherwise the `py` launcher's 3.13, 3.12 and
        3.11 on Windows, then `python3.13`, `python3.12`, `python3.11` and `python3`
        (and `python` on Windows) from the PATH.
    """
    chosen = environ.get("PYTHON", "").strip()
    if chosen:
        return [[chosen]]
    found = []
    newest_first = sorted(SUPPORTED, reverse=True)
    if is_windows(system):
        found += [["py", f"-{major}.{minor}"] for major, minor in newest_first]
    found += [[f"python{major}.{minor}"] for major, minor in newest_first]
    found.append(["python3"])
    if is_windows(system):
        found.append(["python"])
    return found


def probe(command):
    """The version of the Python that `command` starts, or None if it does not run.

    A pyenv shim for a version that is not active, a Windows Store alias or a broken
    install all exit with an error: those count as not found.
    """
    try:
        result = subprocess.run(command + ["-c", VERSION_PROBE], capture_output=True,
                                text=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return None
    if result.returncode != 0:
        return None
    try:
        return tuple(int(part) for part in result.stdout.strip().split("."))
    except ValueError:
        return None


def find_python(environ, system=None, which=shutil.which, version_of=probe, wanted=SUPPORTED):
    """Finds an interpreter to create the virtualenv with.

    Args:
        environ: the environment (a dict); PYTHON, when set, is the only candidate.
        system: `platform.system()`'s answer.
        which: finds a program on the PATH (`shutil.which`); tests pass a fake.
        version_of: runs a command and returns its Python version (`probe`).
        wanted: the acceptable (major, minor) versions.

    Returns:
        `(command, version)`: the command as a list (its program as `which` found it),
        and its version tuple.

    Raises:
        WorkbookError: no candidate is an acceptable Python; the message names what was
            found, the versions that work and how to get one on this system.
    """
    tried = []
    for command in candidates(environ, system):
        program = which(command[0])
        if program is None:
            continue
        command = [program] + command[1:]
        version = version_of(command)
        if version is None:
            continue
        if tuple(version[:2]) in wanted:
            return command, version
        tried.append((" ".join(command), version))
    raise WorkbookError(no_python_message(tried, environ, system, wanted))


def install_advice(system=None, machine=None, wanted=SUPPORTED):
    """How to get an acceptable Python on this system: a list of lines."""
    system = system or platform.system()
    newest = show(max(wanted))
    if is_windows(system):
        return [f"  py install {newest}      (the Python install manager, from the Microsoft "
                "Store or python.org)",
                f"  or the Python {newest} installer from "
                "https://www.python.org/downloads/windows/",
                "then run the command again in a new terminal."]
    if system == "Darwin":
        return [f"  brew install python@{newest}      (Homebrew)",
                f"  or the Python {newest} installer from "
                "https://www.python.org/downloads/macos/",
                "then run the command again in a new terminal."]
    return ["  sudo apt install python3 python3-venv      (Debian 13 has Python 3.13, "
            "Ubuntu 24.04 has 3.12)",
            f"  or with pyenv: pyenv install {newest}, then "
            f"PYTHON=\"$(pyenv prefix {newest})/bin/python\" ./workbook ...",
            "then run the command again."]


def no_python_message(tried, environ, system=None, wanted=SUPPORTED):
    """The message when no acceptable Python was found (see `find_python`)."""
    versions = show(wanted[-1])
    if len(wanted) > 1:
        versions = ", ".join(show(v) for v in wanted[:-1]) + " or " + versions
    lines = [f"The workbook needs Python {versions}."]
    chosen = environ.get("PYTHON", "").strip()
    if chosen and not tried:
        lines.append(f"PYTHON is set to {chosen!r}, which does not run as a Python here: "
                     f"set it to the path of a Python {versions}, or unset it.")
    elif tried:
        found = ", ".join(f"{command} is {show(version)}" for command, version in tried)
        lines.append(f"Found: {found}.")
        if any(tuple(version[:2]) > max(wanted) for _, version in tried):
            lines.append(f"Python {show(max(wanted))} is the newest the workbook runs on: "
                         "TensorFlow 2.21 has no wheels for newer ones. Install it beside yours.")
        elif wanted == SUPPORTED:
            lines.append("Older Pythons cannot install TensorFlow 2.21, Keras 3.15 and NumPy 2.4.")
    else:
        lines.append("No Python 3 was found on the PATH.")
    lines.append(f"To get Python {show(max(wanted))}:")
    lines += install_advice(system, wanted=wanted)
    lines.append(f"If you already have it elsewhere: PYTHON=/path/to/python{show(max(wanted))} "
                 "before the command.")
    lines.append("Or use Colab, with nothing to install: each notebook's \"Open in Colab\" link "
                 f"({COLAB_URL}).")
    return "\n".join(lines)


def unsupported_machine(system=None, machine=None):
    """A message when TensorFlow 2.21 has no wheel for this computer, else None."""
    system = system or platform.system()
    machine = (machine or platform.machine()).lower()
    if system == "Darwin" and machine in ("x86_64", "i386"):
        return ("TensorFlow 2.21 has no wheels for Intel Macs (only for Apple silicon), so the "
                "workbook cannot be installed here.\nUse Colab instead: each notebook's \"Open "
                f"in Colab\" link runs it with nothing to install ({COLAB_URL}).")
    return None


def venv_python(venv, system=None):
    """The virtualenv's own Python: `Scripts\\python.exe` on Windows, `bin/python` elsewhere."""
    if is_windows(system):
        return os.path.join(venv, "Scripts", "python.exe")
    return os.path.join(venv, "bin", "python")


def venv_dir(environ, root=ROOT, default=".venv"):
    """The virtualenv's folder: WORKBOOK_VENV when set, else `default`, under `root`."""
    return os.path.join(root, environ.get("WORKBOOK_VENV", "").strip() or default)


def requirements_digest(root=ROOT, names=("requirements.txt", "pyproject.toml")):
    """One sha256 over the files that decide what is installed."""
    digest = hashlib.sha256()
    for name in names:
        with open(os.path.join(root, name), "rb") as f:
            digest.update(name.encode() + b"\0" + hashlib.sha256(f.read()).digest())
    return digest.hexdigest()


def stamp_path(venv):
    return os.path.join(venv, ".requirements.sha256")


def is_current(venv, digest):
    """Tells whether `venv` was installed from files with this digest."""
    try:
        with open(stamp_path(venv)) as f:
            return f.read().strip() == digest
    except OSError:
        return False


def create_venv(venv, environ, system=None, wanted=SUPPORTED):
    """Creates the virtualenv (again, if the one there is broken or of another Python).

    Returns:
        The virtualenv's Python.
    """
    python = venv_python(venv, system)
    if os.path.exists(python):
        version = probe([python])
        reason = None
        if version is None:
            reason = "its Python no longer runs"
        elif tuple(version[:2]) not in wanted:
            reason = f"it has Python {show(version)}"
        elif environ.get("PYTHON", "").strip():
            asked = find_python(environ, system, wanted=wanted)[1]
            if tuple(asked[:2]) != tuple(version[:2]):
                reason = f"it has Python {show(version)} and PYTHON asks for {show(asked)}"
        if reason is None:
            return python
        if not os.path.exists(os.path.join(venv, "pyvenv.cfg")):
            raise WorkbookError(f"{venv} is in the way and is not a virtualenv: move it away "
                                f"and run the command again.")
        print(f"Recreating {os.path.relpath(venv)}: {reason}.", flush=True)
        shutil.rmtree(venv)
    elif os.path.exists(venv):
        raise WorkbookError(f"{venv} exists but has no Python in it: remove it (it only holds "
                            f"installed packages) and run the command again.")
    problem = unsupported_machine(system)
    if problem:
        raise WorkbookError(problem)
    command, version = find_python(environ, system, wanted=wanted)
    print(f"Creating {os.path.relpath(venv)} with Python {show(version)} "
          f"({' '.join(command)}) ...", flush=True)
    result = subprocess.run(command + ["-m", "venv", venv])
    if result.returncode != 0 or not os.path.exists(python):
        raise WorkbookError(
            f"Creating the virtualenv failed. On Debian and Ubuntu, `sudo apt install "
            f"python3-venv` (or python{show(version[:2])}-venv) adds the venv module.")
    return python


def follow(log, system=None):
    """The command that shows an install log as it grows."""
    if is_windows(system):
        return f"powershell Get-Content -Wait {os.path.relpath(log)}"
    return f"tail -f {os.path.relpath(log)}"


def run_steps(steps, log):
    """Runs install commands one after the other, their output to `log`.

    Returns:
        True when all of them succeeded; otherwise the end of the log is shown.
    """
    with open(log, "w") as out:
        for step in steps:
            out.write(f"$ {' '.join(step)}\n")
            out.flush()
            if subprocess.run(step, stdout=out, stderr=subprocess.STDOUT).returncode != 0:
                break
        else:
            return True
    with open(log, errors="replace") as f:
        sys.stderr.write("".join(f.readlines()[-30:]))
    return False


def ensure_venv(environ, system=None):
    """The workbook's virtualenv, created and installed as requirements.txt says.

    Returns:
        The path of the virtualenv's Python.
    """
    venv = venv_dir(environ)
    python = create_venv(venv, environ, system)
    digest = requirements_digest()
    if is_current(venv, digest):
        return python
    log = os.path.join(venv, "install.log")
    print(f"Installing requirements.txt into {os.path.relpath(venv)}: about 5 minutes the "
          f"first time (TensorFlow is large), seconds later on.\nIts progress: "
          f"{follow(log, system)}", flush=True)
    pip = [python, "-m", "pip"]
    steps = [pip + ["install", "--upgrade", "pip"], pip + ["install", "-r", "requirements.txt"]]
    if not run_steps(steps, log):
        raise WorkbookError(f"Installing requirements.txt failed; the whole log is in {log}.")
    with open(stamp_path(venv), "w") as f:
        f.write(digest + "\n")
    return python


def requirement_pins(path):
    """`{name: "name==version"}` from a requirements or constraints file (names in lower
    case with `_` and `.` as `-`); other lines (options, comments, `-e .`) are skipped."""
    pins = {}
    with open(path) as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if "==" not in line or line.startswith("-"):
                continue
            name = line.split("==", 1)[0].strip()
            pins[canonical(name)] = line
    return pins


def canonical(name):
    """A package name as pip compares them: `Scikit_Learn` -> `scikit-learn`."""
    return name.lower().replace("_", "-").replace(".", "-")


def colab_packages(root=ROOT):
    """The pins the notebooks' Colab setup cells install when missing, from pyproject.toml."""
    import tomllib

    with open(os.path.join(root, "pyproject.toml"), "rb") as f:
        table = tomllib.load(f)["tool"]["workbook"].get("colab-packages", {})
    return sorted({pin for pins in table.values() for pin in pins})


def colab_install_plan(root=ROOT):
    """What `workbook colab` installs, as three lists of pip requirements.

    Returns:
        `(colab, setup_cells, tools)`: the workbook's runtime packages that Colab ships,
        by name (pip takes Colab's versions from the constraints file); the pins the
        setup cells install because Colab lacks them; and the test tools at the pins of
        requirements.txt.
    """
    ours = requirement_pins(os.path.join(root, "requirements.txt"))
    theirs = requirement_pins(os.path.join(root, COLAB_CONSTRAINTS))
    runtime = [name for name in ours if name not in TEST_TOOLS + LOCAL_ONLY]
    colab = [name for name in runtime if name in theirs]
    setup_cells = [pin for pin in colab_packages(root)
                   if canonical(pin.split("==")[0]) not in theirs]
    tools = [ours[name] for name in TEST_TOOLS]
    return colab, setup_cells, tools


def installed_versions(python):
    """`{name: version}` of what a Python has installed (canonical names)."""
    result = subprocess.run([python, "-m", "pip", "list", "--format=json"], capture_output=True,
                            text=True, check=True)
    return {canonical(item["name"]): item["version"] for item in json.loads(result.stdout)}


def ensure_colab_venv(environ, system=None):
    """`.venv-colab`: Python 3.13 with Colab's versions, what the setup cells add, the
    test tools and helpers. Fails if installing the test tools changed a Colab version."""
    venv = venv_dir({}, default=".venv-colab")
    python = create_venv(venv, environ, system, wanted=(COLAB_PYTHON,))
    digest = requirements_digest(names=("requirements.txt", "pyproject.toml", COLAB_CONSTRAINTS))
    if is_current(venv, digest):
        return python
    colab, setup_cells, tools = colab_install_plan()
    log = os.path.join(venv, "install.log")
    print(f"Installing Colab's versions into {os.path.relpath(venv)} (a few minutes the first "
          f"time). Its progress: {follow(log, system)}", flush=True)
    pip = [python, "-m", "pip", "install", "--disable-pip-version-check"]
    steps = [pip + ["-c", COLAB_CONSTRAINTS] + colab + setup_cells]
    if not run_steps(steps, log):
        raise WorkbookError(f"Installing Colab's versions failed; the whole log is in {log}.")
    before = installed_versions(python)
    if not run_steps([pip + tools, pip + ["--no-deps", "-e", "."]], log + ".tools"):
        raise WorkbookError(f"Installing the test tools failed; the log is in {log}.tools.")
    after = installed_versions(python)
    changed = [f"{name} {before[name]} -> {after.get(name)}" for name in before
               if after.get(name) != before[name]]
    if changed:
        raise WorkbookError("Installing the test tools changed Colab's versions ("
                            + ", ".join(changed) + "): pin test tools that leave them alone.")
    with open(stamp_path(venv), "w") as f:
        f.write(digest + "\n")
    return python


def colab_test_command(python, extra):
    """The pytest command of `workbook colab`: the check and helper tests, and every
    notebook in quick mode with errors failing (outputs are not compared: the stored ones
    come from the pinned versions)."""
    tests = ["tests/test_checks_*.py", "tests/test_helpers.py", "tests/test_data.py",
             "tests/test_plots.py", "tests/test_progress.py", "tests/test_text.py",
             "tests/test_student_copies.py", "tests/test_colab.py"]
    import glob

    files = sorted({path for pattern in tests for path in glob.glob(pattern)})
    return [python, "-m", "pytest", "-o", "addopts=", "-p", "no:cacheprovider", "-n", "2",
            "--dist", "loadfile", "--nbval-lax", "--nbval-current-env",
            "--nbval-cell-timeout=240", *files, "solutions", *extra]


def run(command):
    """Runs a command and returns its exit code.

    Ctrl-C belongs to the command (JupyterLab asks before it stops, pytest reports what
    ran): this process ignores it and waits, as a shell's `exec` would have.
    """
    process = subprocess.Popen(command)
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # after Popen: not inherited
    try:
        return process.wait()
    finally:
        signal.signal(signal.SIGINT, previous)


def main(argv=None, environ=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    environ = dict(os.environ if environ is None else environ)
    command = argv.pop(0) if argv else "help"
    caller = os.getcwd()
    os.chdir(ROOT)
    scripts = {"release": ["-m", "helpers.release"], "bench": ["scripts/benchmark.py"],
               "uitest": ["scripts/uitest.py"], "test": ["-m", "pytest"],
               "gradescope": ["-m", "helpers.grade.gradescope", "build"],
               "classroom": ["-m", "helpers.grade.classroom", "workflow"]}
    # A relative path (a notebook, --out) is the user's, from the folder the command was
    # typed in.
    os.environ["WORKBOOK_CALLER_DIR"] = caller
    try:
        if command in scripts:
            return run([ensure_venv(environ)] + scripts[command] + argv)
        if command == "lab":
            python = ensure_venv(environ)
            extra = []
            # Jupyter refuses to start as root (containers, some cloud machines) unless asked.
            if hasattr(os, "geteuid") and os.geteuid() == 0:
                extra.append("--allow-root")
            return run([python, "-m", "jupyterlab", "--ServerApp.root_dir=notebooks"]
                       + extra + argv)
        if command == "check":
            python = ensure_venv(environ)
            return run([python, "scripts/check_notebook.py"] + argv)
        if command == "colab":
            return run(colab_test_command(ensure_colab_venv(environ), argv))
    except WorkbookError as error:
        print(error, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    print(USAGE)
    return 0 if command in ("help", "-h", "--help") else 2


if __name__ == "__main__":
    sys.exit(main())
