"""Data sets shipped with the workbook, verified by sha256.

Every file lives in the workbook's `data/` folder and is listed in `FILES` with
its sha256. A loader checks the hash the first time it reads a file in a Python
session, so a corrupted or missing file fails with a message that names the file
and the fix instead of a confusing error later on. `data/README.md` records the
source and licence of each file.

The folder is found in this order: the `WORKBOOK_DATA` environment variable (the
Colab setup cell sets it), then `data/` next to the `helpers` package (a clone of
the workbook).

Loaders:
    load_fashion_mnist()   the real Fashion-MNIST (60,000 + 10,000 images, 28x28).
    load_digits()          scikit-learn's 1,797 handwritten digits (8x8).
    load_sample_image()    scikit-learn's two sample photographs.
"""

import gzip
import hashlib
import os

import numpy as np

DATA_ENV = "WORKBOOK_DATA"

#: Relative path inside data/ -> sha256 of the file's bytes.
FILES = {
    "fashion-mnist/train-images-idx3-ubyte.gz": (
        "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7"
    ),
    "fashion-mnist/train-labels-idx1-ubyte.gz": (
        "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056"
    ),
    "fashion-mnist/t10k-images-idx3-ubyte.gz": (
        "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa"
    ),
    "fashion-mnist/t10k-labels-idx1-ubyte.gz": (
        "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05"
    ),
    "sklearn/digits.csv.gz": (
        "09f66e6debdee2cd2b5ae59e0d6abbb73fc2b0e0185d2e1957e9ebb51e23aa22"
    ),
    "sklearn/china.jpg": "8378025ad2519d649d02e32bd98990db4ab572357d9f09841c2fbfbb4fefad29",
    "sklearn/flower.jpg": "a77f6ec41e353afdf8bdff2ea981b2955535d8d83294f8cfa49cf4e423dd5638",
}

#: Fashion-MNIST class names, in label order (0-9).
FASHION_MNIST_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)

SAMPLE_IMAGES = ("china", "flower")

_verified = set()  # absolute paths whose hash matched in this session


class DataError(RuntimeError):
    """A data file is missing, corrupted or unreadable."""


def data_dir():
    """Returns the folder that holds the workbook's data files.

    Returns:
        An absolute path: `$WORKBOOK_DATA` if set, else `data/` beside the
        `helpers` package.
    """
    env = os.environ.get(DATA_ENV)
    if env:
        return os.path.abspath(env)
    package_dir = os.path.dirname(os.path.abspath(__file__))
    return os.path.join(os.path.dirname(package_dir), "data")


def path(name):
    """Returns the verified absolute path of one registered data file.

    Args:
        name: a key of `FILES`, e.g. `"sklearn/china.jpg"`.

    Returns:
        The absolute path. The file's sha256 has been checked (once per session).

    Raises:
        DataError: the file is missing or its sha256 does not match.

    Example:

    >>> path("sklearn/china.jpg")  # doctest: +ELLIPSIS
    '.../data/sklearn/china.jpg'
    """
    if name not in FILES:
        known = ", ".join(sorted(FILES))
        raise ValueError(f"Unknown data file {name!r}. Known files: {known}.")
    full = os.path.join(data_dir(), name)
    if full in _verified:
        return full
    fix = (
        "Restore it from the workbook's repository (`git checkout -- data/` in a "
        "clone, or clone the workbook again); see data/README.md for where each "
        "file comes from."
    )
    if not os.path.isfile(full):
        hint = ""
        if os.environ.get(DATA_ENV):
            hint = f" {DATA_ENV} is set to {os.environ[DATA_ENV]!r}; is that the data folder?"
        raise DataError(f"Data file {name} is missing: expected it at {full}.{hint} {fix}")
    digest = hashlib.sha256()
    with open(full, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    if digest.hexdigest() != FILES[name]:
        raise DataError(
            f"Data file {name} is corrupted: its sha256 is {digest.hexdigest()}, "
            f"expected {FILES[name]} ({full}). {fix}"
        )
    _verified.add(full)
    return full


def _read_idx(name, header_size):
    """Reads one gzip-compressed IDX file (the MNIST format) into uint8."""
    full = path(name)
    with gzip.open(full, "rb") as f:
        raw = f.read()
    return np.frombuffer(raw, dtype=np.uint8, offset=header_size)


def load_fashion_mnist():
    """Loads the real Fashion-MNIST data set (Xiao, Rasul and Vollgraf, 2017).

    70,000 grayscale 28x28 images of clothing in 10 classes, split into 60,000
    training and 10,000 test images. Class names are in
    `FASHION_MNIST_CLASSES`.

    Returns:
        `((x_train, y_train), (x_test, y_test))`: images are uint8 arrays of
        shape `(n, 28, 28)` with values 0-255, labels uint8 arrays of shape
        `(n,)` with values 0-9.

    Example:

    >>> (x_train, y_train), (x_test, y_test) = load_fashion_mnist()
    >>> x_train.shape, y_test.shape
    ((60000, 28, 28), (10000,))
    """
    x_train = _read_idx("fashion-mnist/train-images-idx3-ubyte.gz", 16).reshape(-1, 28, 28)
    y_train = _read_idx("fashion-mnist/train-labels-idx1-ubyte.gz", 8)
    x_test = _read_idx("fashion-mnist/t10k-images-idx3-ubyte.gz", 16).reshape(-1, 28, 28)
    y_test = _read_idx("fashion-mnist/t10k-labels-idx1-ubyte.gz", 8)
    return (x_train, y_train), (x_test, y_test)


def load_digits():
    """Loads scikit-learn's handwritten digits (a copy of the UCI test set).

    1,797 grayscale 8x8 images of the digits 0-9, values 0-16.

    Returns:
        `(images, labels)`: float32 images of shape `(1797, 8, 8)` and int64
        labels of shape `(1797,)`.

    Example:

    >>> images, labels = load_digits()
    >>> images.shape
    (1797, 8, 8)
    """
    table = np.loadtxt(path("sklearn/digits.csv.gz"), delimiter=",", dtype=np.float32)
    images = table[:, :-1].reshape(-1, 8, 8)
    labels = table[:, -1].astype(np.int64)
    return images, labels


def load_sample_image(name):
    """Loads one of scikit-learn's two sample photographs.

    Args:
        name: `"china"` (a temple) or `"flower"`.

    Returns:
        A uint8 array of shape `(427, 640, 3)`, RGB, values 0-255.

    Example:

    >>> load_sample_image("china").shape
    (427, 640, 3)
    """
    if name not in SAMPLE_IMAGES:
        raise ValueError(
            f"Unknown sample image {name!r}. Choose one of {', '.join(SAMPLE_IMAGES)}."
        )
    from PIL import Image

    with Image.open(path(f"sklearn/{name}.jpg")) as image:
        return np.asarray(image.convert("RGB"), dtype=np.uint8)
