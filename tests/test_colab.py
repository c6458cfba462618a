"""The Colab path of the setup cell, by simulation.

A fake `google.colab` module makes the cell believe it runs in Colab; the
repository URL points at a local clone of this workbook (its committed HEAD);
pip installs helpers into a throw-away virtualenv with no index, so nothing
touches the network or the test environment.
"""

import os
import site
import subprocess
import sys
import sysconfig

import pytest

from helpers import release

ROOT = release.ROOT
SETUP = release.setup_cell_source(release.settings())

PROBE = """
import google.colab  # Colab imports it at start-up
exec(open({setup!r}).read())
import helpers, helpers.data
print("helpers from", helpers.__file__)
print("data from", helpers.data.data_dir())
print("flower", helpers.data.load_sample_image("flower").shape)
"""


@pytest.fixture
def sandbox(tmp_path):
    if subprocess.run(["git", "-C", ROOT, "rev-parse", "HEAD"], capture_output=True).returncode:
        pytest.skip("the workbook is not a git clone with a commit")
    fake = tmp_path / "fake" / "google" / "colab"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    purelib = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    # The throw-away venv borrows numpy, pillow, pip and setuptools from the test environment.
    parent = [sysconfig.get_paths()["purelib"]] + site.getsitepackages()
    with open(os.path.join(purelib, "borrowed.pth"), "w") as f:
        f.write("\n".join(dict.fromkeys(parent)) + "\n")
    content = tmp_path / "content"
    content.mkdir()
    setup_file = tmp_path / "setup_cell.py"
    setup_file.write_text(SETUP)
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "PYTHONPATH": str(tmp_path / "fake"),
        "WORKBOOK_REPOSITORY": f"file://{ROOT}",
        "PIP_NO_INDEX": "1",
        "PIP_NO_BUILD_ISOLATION": "0",
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    }
    return {"python": str(python), "content": content, "env": env, "purelib": purelib,
            "setup": str(setup_file)}


def run(box, code):
    return subprocess.run([box["python"], "-c", code], cwd=box["content"], env=box["env"],
                          capture_output=True, text=True, timeout=300)


def test_setup_cell_in_colab_fetches_the_workbook_and_installs_helpers(sandbox):
    first = run(sandbox, PROBE.format(setup=sandbox["setup"]))
    assert first.returncode == 0, first.stdout + first.stderr
    lines = first.stdout.splitlines()
    clone = sandbox["content"] / "dl-workbook"
    assert (clone / "helpers" / "__init__.py").exists()
    assert lines[0].startswith(f"helpers from {sandbox['purelib']}"), lines
    assert lines[1] == f"data from {clone / 'data'}"
    assert lines[2] == "flower (427, 640, 3)"
    # Running the cell again (a second notebook, or a re-run) reuses the clone.
    marker = clone / "marker"
    marker.write_text("")
    second = run(sandbox, PROBE.format(setup=sandbox["setup"]))
    assert second.returncode == 0, second.stderr
    assert marker.exists()


def test_setup_cell_outside_colab_prints_and_does_nothing(sandbox, tmp_path):
    code = f"exec(open({sandbox['setup']!r}).read())"
    result = subprocess.run([sys.executable, "-c", code], cwd=sandbox["content"],
                            capture_output=True, text=True, check=True)
    assert result.stdout == "" and result.stderr == ""
    assert list(sandbox["content"].iterdir()) == []
