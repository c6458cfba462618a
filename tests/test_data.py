"""Unit tests of helpers.data: the registry, hash verification and the loaders."""

import hashlib
import os
import shutil

import numpy as np
import pytest

from helpers import data


def test_every_registered_file_is_present_and_matches_its_hash():
    for name, digest in data.FILES.items():
        with open(data.path(name), "rb") as f:
            assert hashlib.sha256(f.read()).hexdigest() == digest


def test_every_registered_file_is_documented():
    readme = open(os.path.join(data.data_dir(), "README.md"), encoding="utf-8").read()
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


def test_corrupted_file_names_the_file_and_both_hashes(copy_of_data):
    target = copy_of_data / "sklearn" / "china.jpg"
    content = bytearray(target.read_bytes())
    content[1000] ^= 0xFF
    target.write_bytes(bytes(content))
    with pytest.raises(data.DataError) as info:
        data.load_sample_image("china")
    message = str(info.value)
    assert "sklearn/china.jpg is corrupted" in message
    assert data.FILES["sklearn/china.jpg"] in message
    assert hashlib.sha256(bytes(content)).hexdigest() in message


def test_truncated_file_is_reported_not_misread(copy_of_data):
    target = copy_of_data / "fashion-mnist" / "train-labels-idx1-ubyte.gz"
    target.write_bytes(target.read_bytes()[:100])
    with pytest.raises(data.DataError, match="train-labels-idx1-ubyte.gz is corrupted"):
        data.load_fashion_mnist()


def test_verified_once_per_session(copy_of_data):
    data.path("sklearn/flower.jpg")
    assert str(copy_of_data / "sklearn" / "flower.jpg") in data._verified
