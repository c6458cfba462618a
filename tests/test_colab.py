"""The Colab path of the setup cell, by simulation.

A fake `google.colab` module makes the cell believe it runs in Colab; the
repository URL points at a local clone of this workbook (its committed HEAD);
pip installs helpers into a throw-away virtualenv with no index, so nothing
touches the network or the test environment. A notebook's Colab packages come
from a wheel made here, found through PIP_FIND_LINKS.
"""

import base64
import hashlib
import os
import site
import subprocess
import sys
import sysconfig
import zipfile

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


def _digest(text):
    """A file's hash as a wheel's RECORD writes it: urlsafe base64 of sha256, unpadded."""
    return base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()


def _wheel(folder, name, version):
    """Writes a wheel of one module, `name`, that says its version; returns the folder."""
    files = {f"{name}/__init__.py": f"VERSION = {version!r}\n",
             f"{name}-{version}.dist-info/METADATA":
                 f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
             f"{name}-{version}.dist-info/WHEEL":
                 "Wheel-Version: 1.0\nGenerator: test_colab\nRoot-Is-Purelib: true\n"
                 "Tag: py3-none-any\n"}
    record = [f"{path},sha256={_digest(text)},{len(text.encode())}" for path, text in files.items()]
    files[f"{name}-{version}.dist-info/RECORD"] = "\n".join(
        record + [f"{name}-{version}.dist-info/RECORD,,"]) + "\n"
    folder.mkdir()
    with zipfile.ZipFile(folder / f"{name}-{version}-py3-none-any.whl", "w") as wheel:
        for path, text in files.items():
            wheel.writestr(path, text)
    return folder


def test_setup_cell_installs_the_notebook_s_missing_colab_packages_only(sandbox, tmp_path):
    """numpy (importable, though not at the pinned version) is left alone; the missing
    package is installed, once: the second run finds it without pip."""
    setup = tmp_path / "setup_with_packages.py"
    setup.write_text(release.setup_cell_source(release.settings(),
                                               ["numpy==0.0.1", "wb-probe==0.1"]))
    (sandbox["content"] / "dl-workbook").mkdir()  # the workbook itself is there already
    probe = f"import google.colab\nexec(open({str(setup)!r}).read())\n" \
            f"import wb_probe\nprint(wb_probe.__file__, wb_probe.VERSION)"
    sandbox["env"]["PIP_FIND_LINKS"] = str(_wheel(tmp_path / "wheels", "wb_probe", "0.1"))
    first = run(sandbox, probe)
    assert first.returncode == 0, first.stdout + first.stderr
    assert first.stdout == f"{sandbox['purelib']}/wb_probe/__init__.py 0.1\n"
    del sandbox["env"]["PIP_FIND_LINKS"]  # pip would fail now: no index, no wheels
    second = run(sandbox, probe)
    assert second.returncode == 0 and second.stdout == first.stdout, second.stderr
