"""Unit tests of helpers.data: the registry, hash verification and the loaders."""

import hashlib
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from helpers import data


def test_every_registered_file_is_present_and_matches_its_hash():
    for name, digest in data.FILES.items():
        with open(data.path(name), "rb") as f:
            assert hashlib.sha256(f.read()).hexdigest() == digest


def test_every_registered_file_is_documented():
    with open(os.path.join(data.data_dir(), "README.md"), encoding="utf-8") as f:
        readme = f.read()
    for name, digest in data.FILES.items():
        assert name in readme, f"{name} missing from data/README.md"
        assert digest in readme, f"sha256 of {name} missing from data/README.md"


def test_fashion_mnist_shapes_and_values():
    (x_train, y_train), (x_test, y_test) = data.load_fashion_mnist()
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert y_train.shape == (60000,) and y_test.shape == (10000,)
    assert x_train.dtype == np.uint8 and y_train.dtype == np.uint8
    assert np.bincount(y_train).tolist() == [6000] * 10
    assert np.bincount(y_test).tolist() == [1000] * 10
    assert len(data.FASHION_MNIST_CLASSES) == 10
    # First training image is an ankle boot (label 9) in the original files.
    assert y_train[0] == 9 and x_train[0].max() == 255


def test_digits_match_scikit_learn():
    sklearn_datasets = pytest.importorskip("sklearn.datasets")
    images, labels = data.load_digits()
    reference = sklearn_datasets.load_digits()
    assert images.shape == (1797, 8, 8)
    np.testing.assert_array_equal(images, reference.images)
    np.testing.assert_array_equal(labels, reference.target)


@pytest.mark.parametrize("name", data.SAMPLE_IMAGES)
def test_sample_images(name):
    image = data.load_sample_image(name)
    assert image.shape == (427, 640, 3) and image.dtype == np.uint8


def test_unknown_names_say_what_exists():
    with pytest.raises(ValueError, match="Choose one of china, flower"):
        data.load_sample_image("cat")
    with pytest.raises(ValueError, match="Known files:.*sklearn/china.jpg"):
        data.path("sklearn/cat.jpg")


@pytest.fixture
def copy_of_data(tmp_path, monkeypatch):
    """A private copy of data/ that a test may damage; WORKBOOK_DATA points at it."""
    target = tmp_path / "data"
    shutil.copytree(data.data_dir(), target)
    monkeypatch.setenv(data.DATA_ENV, str(target))
    monkeypatch.setattr(data, "_verified", set())
    return target


def test_missing_file_names_the_file_and_the_fix(copy_of_data):
    os.remove(copy_of_data / "fashion-mnist" / "t10k-labels-idx1-ubyte.gz")
    with pytest.raises(data.DataError) as info:
        data.load_fashion_mnist()
    message = str(info.value)
    assert "fashion-mnist/t10k-labels-idx1-ubyte.gz is missing" in message
    assert "git checkout -- data/" in message
    assert "WORKBOOK_DATA is set to" in message


@pytest.mark.parametrize(
    "name, load",
    [
        ("sklearn/china.jpg", lambda: data.load_sample_image("china")),
        (data.DEVIL, data.devils_dictionary_split),
    ],
)
def test_corrupted_file_names_the_file_and_both_hashes(copy_of_data, name, load):
    target = copy_of_data / name
    content = bytearray(target.read_bytes())
    content[1000] ^= 0xFF
    target.write_bytes(bytes(content))
    with pytest.raises(data.DataError) as info:
        load()
    message = str(info.value)
    assert f"{name} is corrupted" in message
    assert data.FILES[name] in message
    assert hashlib.sha256(bytes(content)).hexdigest() in message


def test_truncated_file_is_reported_not_misread(copy_of_data):
    target = copy_of_data / "fashion-mnist" / "train-labels-idx1-ubyte.gz"
    target.write_bytes(target.read_bytes()[:100])
    with pytest.raises(data.DataError, match="train-labels-idx1-ubyte.gz is corrupted"):
        data.load_fashion_mnist()


def test_verified_once_per_session(copy_of_data):
    data.path("sklearn/flower.jpg")
    assert str(copy_of_data / "sklearn" / "flower.jpg") in data._verified


def test_co2_shapes_dates_and_missing_weeks():
    weeks, ppm, missing = data.load_co2()
    assert weeks.shape == ppm.shape == missing.shape == (2284,)
    assert weeks.dtype == np.dtype("datetime64[D]") and ppm.dtype == np.float64
    assert missing.dtype == bool
    assert str(weeks[0]) == "1958-03-29" and str(weeks[-1]) == "2001-12-29"
    assert (np.diff(weeks) == np.timedelta64(7, "D")).all()
    assert int(missing.sum()) == 59 and not missing[0] and not missing[-1]
    assert np.isfinite(ppm).all() and 310 < ppm.min() and ppm.max() < 380


def test_co2_filled_weeks_lie_between_their_measured_neighbours():
    _, ppm, missing = data.load_co2()
    measured = np.flatnonzero(~missing)
    for i in np.flatnonzero(missing):
        before = ppm[measured[measured < i][-1]]
        after = ppm[measured[measured > i][0]]
        assert min(before, after) <= ppm[i] <= max(before, after)


def test_co2_matches_statsmodels():
    co2 = pytest.importorskip("statsmodels.datasets.co2")
    reference = co2.load_pandas().data["co2"]
    weeks, ppm, missing = data.load_co2()
    np.testing.assert_array_equal(weeks, reference.index.values.astype("datetime64[D]"))
    np.testing.assert_array_equal(missing, reference.isna().values)
    np.testing.assert_array_equal(ppm[~missing], reference.dropna().values)


def test_co2_reads_statsmodels_without_importing_it():
    code = (
        "import sys; from helpers import data; data.load_co2(); "
        "assert 'statsmodels' not in sys.modules, 'statsmodels was imported'"
    )
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    subprocess.run([sys.executable, "-c", code], cwd=root, check=True)


def test_package_dir_finds_a_package_or_none():
    assert os.path.basename(data._package_dir("statsmodels")) == "statsmodels"
    assert data._package_dir("no_such_package_in_the_workbook") is None


def test_pinned_package_versions_match_requirements():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with open(os.path.join(root, "requirements.txt"), encoding="utf-8") as f:
        requirements = f.read()
    for package, version in data.PACKAGES.items():
        assert f"\n{package}=={version}\n" in requirements


@pytest.fixture
def fake_statsmodels(tmp_path, monkeypatch):
    """A copy of statsmodels' co2.csv in a folder the registry takes for the package."""
    folder = tmp_path / "statsmodels"
    (folder / "datasets" / "co2").mkdir(parents=True)
    shutil.copy(data.path(data.CO2), folder / "datasets" / "co2" / "co2.csv")
    monkeypatch.setattr(data, "_package_dir", lambda package: str(folder))
    monkeypatch.setattr(data, "_verified", set())
    return folder


def test_co2_without_statsmodels_says_how_to_install_it(monkeypatch):
    monkeypatch.setattr(data, "_package_dir", lambda package: None)
    monkeypatch.setattr(data, "_verified", set())
    with pytest.raises(data.DataError) as info:
        data.load_co2()
    message = str(info.value)
    assert "statsmodels:datasets/co2/co2.csv is missing" in message
    assert "package statsmodels is not installed" in message
    assert "`pip install statsmodels==0.14.6`" in message and "Colab" in message


def test_co2_from_another_statsmodels_names_the_pinned_version(fake_statsmodels, monkeypatch):
    target = fake_statsmodels / "datasets" / "co2" / "co2.csv"
    assert data.load_co2()[1][0] == 316.1  # the copy is good
    monkeypatch.setattr(data, "_verified", set())
    target.write_bytes(target.read_bytes().replace(b"19580329,316.1", b"19580329,316.2"))
    with pytest.raises(data.DataError) as info:
        data.load_co2()
    message = str(info.value)
    assert "co2.csv differs from the workbook's" in message
    assert data.FILES[data.CO2] in message
    assert hashlib.sha256(target.read_bytes()).hexdigest() in message
    assert "the workbook pins statsmodels==0.14.6" in message


def test_co2_file_missing_from_the_package(fake_statsmodels):
    os.remove(fake_statsmodels / "datasets" / "co2" / "co2.csv")
    with pytest.raises(data.DataError, match="co2.csv is missing: expected it at .*statsmodels"):
        data.load_co2()


def test_devils_dictionary_is_bierces_text_only():
    text = data.load_devils_dictionary()
    assert len(text) == 382679 and text.isascii()
    assert text.startswith("PREFACE\n\n_The Devil's Dictionary_ was begun")
    assert text.endswith("sheds its horn every two years.\n")
    assert "00-database" not in text and "wiretap" not in text.lower()
    assert len(data._ENTRY_START.findall(text)) == 999


def test_devils_dictionary_split_is_fixed_and_cut_at_an_entry():
    text = data.load_devils_dictionary()
    train_text, validation_text = data.devils_dictionary_split()
    assert (len(train_text), len(validation_text)) == (344793, 37886)
    assert train_text + validation_text == text
    assert 0.09 < len(validation_text) / len(text) < 0.11
    # The validation text starts with a headword, right after a blank line.
    assert train_text.endswith("\n\n") and validation_text.startswith("TECHNICALITY, n.")
    assert data._ENTRY_START.match(text, len(train_text) - 2)
    assert len(data._ENTRY_START.findall(validation_text)) == 72  # 73 entries
    assert data.devils_dictionary_split() == (train_text, validation_text)


def test_devils_dictionary_missing(copy_of_data):
    os.remove(copy_of_data / "devil" / "devil.dict.dz")
    with pytest.raises(data.DataError, match="devil/devil.dict.dz is missing.*git checkout"):
        data.devils_dictionary_split()
