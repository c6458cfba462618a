"""The entry point scripts/workbook.py: which Python it picks, the virtualenv's layout,
and what it says when no Python fits, on Linux, macOS and Windows.

Most cases use a fake PATH (`which`) and fake versions (`version_of`), so the Windows and
macOS ones run here too. Two use real processes: fake interpreters (shell scripts) on a
real PATH, and the POSIX wrapper `./workbook` itself.
"""

import os
import re
import shutil
import stat
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import workbook  # scripts/workbook.py, importable once scripts/ is on the path


def fake_system(programs):
    """`which` and `version_of` for a PATH holding `programs`: {name: version or None}.

    None is a program that exists but does not run as Python (a pyenv shim of an
    inactive version, a Windows Store alias).
    """
    def which(name):
        if os.path.isabs(name):
            return name if name in programs else None
        return f"/fake/bin/{name}" if name in programs else None

    def version_of(command):
        name = command[0] if command[0] in programs else os.path.basename(command[0])
        key = " ".join([name] + command[1:])
        return programs.get(key, programs.get(name) if len(command) == 1 else None)

    return which, version_of


def find(programs, system, environ=None, **kwargs):
    which, version_of = fake_system(programs)
    return workbook.find_python(environ or {}, system, which=which, version_of=version_of,
                                **kwargs)


def test_candidates_on_linux_and_macos_are_the_newest_first_then_python3():
    for system in ("Linux", "Darwin"):
        assert workbook.candidates({}, system) == [
            ["python3.13"], ["python3.12"], ["python3.11"], ["python3"]]


def test_candidates_on_windows_start_with_the_py_launcher():
    assert workbook.candidates({}, "Windows") == [
        ["py", "-3.13"], ["py", "-3.12"], ["py", "-3.11"],
        ["python3.13"], ["python3.12"], ["python3.11"], ["python3"], ["python"]]


def test_python_variable_is_the_only_candidate():
    assert workbook.candidates({"PYTHON": "/opt/py/bin/python3.12"}, "Linux") == [
        ["/opt/py/bin/python3.12"]]


def test_linux_picks_the_newest_supported_python():
    command, version = find({"python3.12": (3, 12, 3), "python3": (3, 12, 3),
                             "python3.13": (3, 13, 1)}, "Linux")
    assert command == ["/fake/bin/python3.13"] and version == (3, 13, 1)


def test_linux_skips_a_pyenv_shim_that_does_not_run():
    command, version = find({"python3.13": None, "python3.12": None, "python3": (3, 11, 7)},
                            "Linux")
    assert command == ["/fake/bin/python3"] and version == (3, 11, 7)


def test_macos_with_python3_of_3_14_and_a_brew_3_13():
    command, _ = find({"python3": (3, 14, 0), "python3.13": (3, 13, 5)}, "Darwin")
    assert command == ["/fake/bin/python3.13"]


def test_windows_uses_the_py_launcher_version_that_is_installed():
    command, version = find({"py -3.13": None, "py -3.12": (3, 12, 8), "py": (3, 14, 0),
                             "python": (3, 14, 0)}, "Windows")
    assert command == ["/fake/bin/py", "-3.12"] and version == (3, 12, 8)


def test_windows_falls_back_to_python_on_the_path():
    command, _ = find({"python": (3, 11, 9)}, "Windows")
    assert command == ["/fake/bin/python"]


def test_only_python_3_14_names_the_versions_that_work_and_how_to_get_one():
    with pytest.raises(workbook.WorkbookError) as raised:
        find({"python3": (3, 14, 0)}, "Darwin")
    message = str(raised.value)
    assert "needs Python 3.11, 3.12 or 3.13" in message
    assert "/fake/bin/python3 is 3.14.0" in message
    assert "no wheels for newer ones" in message
    assert "brew install python@3.13" in message
    assert "python.org/downloads/macos" in message
    assert "Colab" in message


def test_no_python_on_windows_says_py_install_and_colab():
    with pytest.raises(workbook.WorkbookError) as raised:
        find({"py -3.13": None, "py -3.12": None, "py -3.11": None}, "Windows")
    message = str(raised.value)
    assert "No Python 3 was found on the PATH" in message
    assert "py install 3.13" in message
    assert "python.org/downloads/windows" in message
    assert "Colab" in message


def test_only_an_old_python_on_linux_says_apt_and_pyenv():
    with pytest.raises(workbook.WorkbookError) as raised:
        find({"python3": (3, 10, 12)}, "Linux")
    message = str(raised.value)
    assert "/fake/bin/python3 is 3.10.12" in message
    assert "Older Pythons cannot install TensorFlow 2.21" in message
    assert "sudo apt install python3 python3-venv" in message
    assert 'pyenv install 3.13, then PYTHON="$(pyenv prefix 3.13)/bin/python"' in message


def test_python_variable_that_does_not_run_is_named():
    with pytest.raises(workbook.WorkbookError, match="PYTHON is set to '/nope/python'"):
        find({"python3": (3, 12, 0)}, "Linux", environ={"PYTHON": "/nope/python"})


def test_python_variable_of_the_wrong_version_is_refused():
    with pytest.raises(workbook.WorkbookError, match="/opt/python3.10 is 3.10.4"):
        find({"/opt/python3.10": (3, 10, 4)}, "Linux", environ={"PYTHON": "/opt/python3.10"})


def test_colab_step_wants_python_3_13_only():
    with pytest.raises(workbook.WorkbookError, match="needs Python 3.13"):
        find({"python3": (3, 12, 0)}, "Linux", wanted=(workbook.COLAB_PYTHON,))


def test_intel_macs_are_sent_to_colab():
    message = workbook.unsupported_machine("Darwin", "x86_64")
    assert "no wheels for Intel Macs" in message and "Colab" in message
    assert workbook.unsupported_machine("Darwin", "arm64") is None
    assert workbook.unsupported_machine("Linux", "x86_64") is None
    assert workbook.unsupported_machine("Windows", "AMD64") is None


@pytest.mark.parametrize("system, relative", [
    ("Linux", ("bin", "python")), ("Darwin", ("bin", "python")),
    ("Windows", ("Scripts", "python.exe"))])
def test_virtualenv_layout(system, relative):
    assert workbook.venv_python("/w/.venv", system) == os.path.join("/w/.venv", *relative)


def test_install_log_is_followed_with_a_command_of_the_system():
    assert workbook.follow(os.path.join(ROOT, "x.log"), "Linux").startswith("tail -f ")
    assert workbook.follow(os.path.join(ROOT, "x.log"), "Windows").startswith(
        "powershell Get-Content -Wait ")


def test_venv_folder_can_be_moved_with_workbook_venv():
    assert workbook.venv_dir({}, root="/w") == os.path.join("/w", ".venv")
    assert workbook.venv_dir({"WORKBOOK_VENV": ".venv-3.12"}, root="/w") == os.path.join(
        "/w", ".venv-3.12")


def test_digest_follows_the_requirements(tmp_path):
    for name in ("requirements.txt", "pyproject.toml"):
        (tmp_path / name).write_text("numpy==2.4.6\n")
    first = workbook.requirements_digest(str(tmp_path))
    venv = tmp_path / ".venv"
    venv.mkdir()
    (venv / ".requirements.sha256").write_text(first + "\n")
    assert workbook.is_current(str(venv), first)
    (tmp_path / "requirements.txt").write_text("numpy==2.4.7\n")
    assert not workbook.is_current(str(venv), workbook.requirements_digest(str(tmp_path)))


FAKE_PYTHON = """#!/bin/sh
# A fake interpreter: says its version and "creates" a virtualenv of itself.
if [ "$1" = "-c" ]; then echo {version}; exit 0; fi
if [ "$1" = "-m" ] && [ "$2" = "venv" ]; then
    mkdir -p "$3/bin" && cp "$0" "$3/bin/python" && touch "$3/pyvenv.cfg"; exit 0
fi
exit 1
"""


def fake_python(folder, name, version):
    path = folder / name
    if version is None:  # like a pyenv shim of an inactive version
        path.write_text("#!/bin/sh\necho \"pyenv: $0: command not found\" >&2\nexit 127\n")
    else:
        path.write_text(FAKE_PYTHON.format(version=version))
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


posix_only = pytest.mark.skipif(os.name != "posix", reason="fake interpreters are sh scripts")


@posix_only
def test_real_probe_on_a_fake_path(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake_python(bin_dir, "python3.13", None)
    fake_python(bin_dir, "python3.12", "3.12.1")
    fake_python(bin_dir, "python3", "3.14.0")
    command, version = workbook.find_python(
        {}, "Linux", which=lambda name: shutil.which(name, path=str(bin_dir)))
    assert command == [str(bin_dir / "python3.12")] and version == (3, 12, 1)


@posix_only
def test_a_venv_of_another_python_is_recreated_with_the_one_asked_for(tmp_path, capsys):
    venv = tmp_path / ".venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "pyvenv.cfg").write_text("")
    fake_python(venv / "bin", "python", "3.11.7")
    (venv / "kept-by-mistake").write_text("")
    asked = fake_python(tmp_path, "python3.12", "3.12.1")
    python = workbook.create_venv(str(venv), {"PYTHON": asked}, "Linux")
    assert python == str(venv / "bin" / "python")
    assert workbook.probe([python]) == (3, 12, 1)
    assert "has Python 3.11.7 and PYTHON asks for 3.12.1" in capsys.readouterr().out
    # Asked again, the same venv is kept.
    assert workbook.create_venv(str(venv), {"PYTHON": asked}, "Linux") == python
    assert "Recreating" not in capsys.readouterr().out


@posix_only
def test_a_folder_in_the_way_is_not_deleted(tmp_path):
    venv = tmp_path / ".venv"
    (venv / "bin").mkdir(parents=True)
    fake_python(venv / "bin", "python", "3.9.0")
    (venv / "notes.txt").write_text("mine")
    with pytest.raises(workbook.WorkbookError, match="not a virtualenv: move it away"):
        workbook.create_venv(str(venv), {}, "Linux")
    assert (venv / "notes.txt").read_text() == "mine"


def test_main_says_what_to_do_without_a_traceback(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    code = workbook.main(["test"], {"PYTHON": str(tmp_path / "missing-python"),
                                    "WORKBOOK_VENV": str(tmp_path / "venv")})
    err = capsys.readouterr().err
    assert code == 1
    assert "PYTHON is set to" in err and "Traceback" not in err
    assert not (tmp_path / "venv").exists()


def test_help_lists_every_command(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    assert workbook.main(["help"], {}) == 0
    out = capsys.readouterr().out
    for command in ("lab", "test", "release", "bench", "check NB", "uitest", "colab"):
        assert re.search(rf"^  workbook {command} ", out, re.M), command
    assert workbook.main(["no-such-command"], {}) == 2


@posix_only
def test_posix_wrapper_without_any_python_says_so(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    os.symlink(shutil.which("dirname"), bin_dir / "dirname")
    result = subprocess.run(["/bin/sh", os.path.join(ROOT, "workbook"), "lab"],
                            env={"PATH": str(bin_dir)}, capture_output=True, text=True)
    assert result.returncode == 1
    assert "needs Python 3.11, 3.12 or 3.13" in result.stderr and "Colab" in result.stderr


@posix_only
def test_posix_wrapper_runs_the_entry_point(tmp_path):
    result = subprocess.run(["/bin/sh", os.path.join(ROOT, "workbook"), "help"],
                            capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "workbook colab" in result.stdout


def test_windows_wrapper_runs_the_entry_point_with_crlf_lines():
    with open(os.path.join(ROOT, "workbook.cmd"), "rb") as f:
        text = f.read()
    assert b"\r\n" in text and b"\n" not in text.replace(b"\r\n", b"")
    assert b"scripts\\workbook.py" in text
    for way in (b'"%PYTHON%" "%ENTRY%" %*', b'py -3 "%ENTRY%" %*', b'python "%ENTRY%" %*'):
        assert way in text


def test_colab_plan_takes_colab_versions_and_adds_what_setup_cells_install():
    colab, setup_cells, tools = workbook.colab_install_plan()
    assert "tensorflow" in colab and "keras" in colab and "numpy" in colab
    assert all("==" not in name for name in colab), "Colab's versions come from constraints"
    assert "keras-tuner==1.4.8" in setup_cells
    assert "pytest==9.2.0" in tools and "nbval==0.11.0" in tools
    everything = colab + setup_cells + tools
    assert not any(name.startswith(("jupyterlab", "playwright")) for name in everything)


def test_colab_constraints_name_their_source_and_python():
    path = os.path.join(ROOT, workbook.COLAB_CONSTRAINTS)
    with open(path) as f:
        header = "".join(line for line in f if line.startswith("#"))
    assert re.search(r"googlecolab/backend-info.*commit\s*#?\s*[0-9a-f]{40}", header, re.S)
    major, minor = workbook.COLAB_PYTHON
    assert f"Python {major}.{minor}" in header
    pins = workbook.requirement_pins(path)
    assert pins["tensorflow"].startswith("tensorflow==") and pins["keras"].startswith("keras==")
    assert not any(" @ " in pin for pin in pins.values())
