"""Data sets shipped with the workbook, verified by sha256.

Every file the workbook reads is listed in `FILES` with its sha256. Most live in
the workbook's `data/` folder; a name of the form `"package:path"` is a file
shipped inside an installed package (e.g. `"statsmodels:datasets/co2/co2.csv"`),
found without importing the package. A loader checks the hash the first time it
reads a file in a Python session, so a corrupted or missing file (or a package
version with different data) fails with a message that names the file and the
fix instead of a confusing error later on. `data/README.md` records the source
and licence of each file.

The `data/` folder is found in this order: the `WORKBOOK_DATA` environment
variable (the Colab setup cell sets it), then `data/` next to the `helpers`
package (a clone of the workbook).

Loaders:
    load_fashion_mnist()        the real Fashion-MNIST (60,000 + 10,000 images, 28x28).
    load_sample_image(name)     photographs: scikit-learn's two samples, and
                                scikit-image's cat and brick wall.
    load_co2()                  weekly Mauna Loa CO2, 1958-2001 (from statsmodels).
    load_devils_dictionary()    Ambrose Bierce's The Devil's Dictionary, as text.
    devils_dictionary_split()   its fixed training/validation split.
    load_fortunes(language)     quotations and sayings from Debian's fortune files in
                                English, German, Spanish, Italian or Russian.

Generators (seeded, nothing stored):
    make_dates()                dates written as people write them, with their ISO form.
    dates_split()               a fixed training/validation/test split of such dates in
                                which no calendar date is in two splits.
    make_shapes()               images of coloured circles, squares and triangles with
                                their boxes and classes, for object detection.
"""

import gzip
import hashlib
import importlib.metadata
import importlib.util
import os
import re

import numpy as np

# The seeded generators live in modules of their own; their public names are this package's.
from helpers.data.dates import (DATE_FORMATS, DATE_LOCALES, DATE_SPLIT_FRACTIONS,  # noqa: F401
                                DATE_STYLES, DATE_YEARS, dates_split, make_dates)
from helpers.data.shapes import SHAPE_CLASSES, make_shapes  # noqa: F401

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
    "sklearn/china.jpg": "8378025ad2519d649d02e32bd98990db4ab572357d9f09841c2fbfbb4fefad29",
    "sklearn/flower.jpg": "a77f6ec41e353afdf8bdff2ea981b2955535d8d83294f8cfa49cf4e423dd5638",
    "skimage/chelsea.png": "596aa1e7cb875eb79f437e310381d26b338a81c2da23439704a73c4651e8c4bb",
    "skimage/brick.png": "7966caf324f6ba843118d98f7a07746d22f6a343430add0233eca5f6eaaa8fcf",
    "devil/devil.dict.dz": "995ca92760d677965cb2780e78b808e982f9d49e8c12d795c1854476bbf13819",
    "fortunes/en/wisdom": "9b0bd6b9331a68c9172219784a411c417c055ed69734edc7b4406795b87d4e94",
    "fortunes/de/sprueche": "e56921e090c2eb023800cefd648204bced92eaa4ad6d5599cc88548f35e0cd29",
    "fortunes/es/sabiduria.fortunes": (
        "57c09f3d39b3aa2eb9ce5d5e5ce1380d720f4e6b38d3bb61cb9d956a43831d40"
    ),
    "fortunes/it/norm": "f50a97decd0f69f6b49bede9f4930fdda7df37d68b9a12c449c1477846d42366",
    "fortunes/ru/citates": "6d0b596ee1df820d100b3ef789809a7fd86cedf3e471176b9dca03be56f379c1",
    "statsmodels:datasets/co2/co2.csv": (
        "16695fa2786e53414e5a6b54767a3fdf5de99cfbc68617f69d1362d92776a92f"
    ),
}

#: Packages that ship registered files -> the version requirements.txt pins.
PACKAGES = {"statsmodels": "0.14.6"}

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

#: Sample photographs for `load_sample_image`: name -> registered file.
SAMPLE_IMAGE_FILES = {
    "china": "sklearn/china.jpg",
    "flower": "sklearn/flower.jpg",
    "chelsea": "skimage/chelsea.png",
    "brick": "skimage/brick.png",
}

SAMPLE_IMAGES = tuple(SAMPLE_IMAGE_FILES)

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
    helpers_dir = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return os.path.join(os.path.dirname(helpers_dir), "data")


def _package_dir(package):
    """Returns the folder of an installed package without importing it, or None."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    return next(iter(spec.submodule_search_locations))


def _locate(name):
    """Returns `(full path, what a hash mismatch means, the fix)` for a registered name."""
    package, is_packaged, inner = name.partition(":")
    if not is_packaged:
        fix = (
            "Restore it from the workbook's repository (`git checkout -- data/` in a "
            "clone, or clone the workbook again); see data/README.md for where each "
            "file comes from."
        )
        return os.path.join(data_dir(), name), "is corrupted", fix
    pin = f"{package}=={PACKAGES[package]}"
    folder = _package_dir(package)
    if folder is None:
        raise DataError(
            f"Data file {name} is missing: the package {package} is not installed. "
            f"Install the version the workbook pins: `pip install {pin}` "
            "(Colab has it preinstalled)."
        )
    try:
        installed = importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        installed = "unknown"
    fix = (
        f"The installed {package} is version {installed}; the workbook pins {pin} "
        f"(requirements.txt): `pip install {pin}`."
    )
    return os.path.join(folder, *inner.split("/")), "differs from the workbook's", fix


def path(name):
    """Returns the verified absolute path of one registered data file.

    Args:
        name: a key of `FILES`, e.g. `"sklearn/china.jpg"` (in `data/`) or
            `"statsmodels:datasets/co2/co2.csv"` (inside an installed package).

    Returns:
        The absolute path. The file's sha256 has been checked (once per session).

    Raises:
        DataError: the file (or the package that ships it) is missing, or its
            sha256 does not match.

    Example:

    >>> path("sklearn/china.jpg")  # doctest: +ELLIPSIS
    '.../data/sklearn/china.jpg'
    """
    if name not in FILES:
        known = ", ".join(sorted(FILES))
        raise ValueError(f"Unknown data file {name!r}. Known files: {known}.")
    full, mismatch, fix = _locate(name)
    if full in _verified:
        return full
    if not os.path.isfile(full):
        hint = ""
        if os.environ.get(DATA_ENV) and ":" not in name:
            hint = f" {DATA_ENV} is set to {os.environ[DATA_ENV]!r}; is that the data folder?"
        raise DataError(f"Data file {name} is missing: expected it at {full}.{hint} {fix}")
    digest = hashlib.sha256()
    with open(full, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    if digest.hexdigest() != FILES[name]:
        raise DataError(
            f"Data file {name} {mismatch}: its sha256 is {digest.hexdigest()}, "
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


def load_sample_image(name):
    """Loads one of the workbook's sample photographs as an RGB array.

    From scikit-learn: `"china"` (a temple) and `"flower"`, both (427, 640).
    From scikit-image: `"chelsea"` (a cat, (300, 451)) and `"brick"` (a brick
    wall, (512, 512), grayscale).
    A grayscale photograph comes back with its gray value in all three
    channels. data/README.md gives the source and licence of each.

    Args:
        name: one of `SAMPLE_IMAGES`: `"china"`, `"flower"`, `"chelsea"`
            or `"brick"`.

    Returns:
        A uint8 array of shape `(height, width, 3)`, RGB, values 0-255.

    Raises:
        ValueError: `name` is not one of `SAMPLE_IMAGES`.
        DataError: the image's file is missing or damaged.

    Example:

    >>> load_sample_image("china").shape
    (427, 640, 3)
    >>> load_sample_image("brick").shape
    (512, 512, 3)
    """
    if not isinstance(name, str) or name not in SAMPLE_IMAGE_FILES:
        raise ValueError(
            f"Unknown sample image {name!r}. Choose one of {', '.join(SAMPLE_IMAGES)}."
        )
    from PIL import Image

    with Image.open(path(SAMPLE_IMAGE_FILES[name])) as image:
        return np.asarray(image.convert("RGB"), dtype=np.uint8)


CO2 = "statsmodels:datasets/co2/co2.csv"
DEVIL = "devil/devil.dict.dz"

#: A Devil's Dictionary entry starts on a line after a blank line with its
#: capitalised headword ("ZEUS, n."); lines inside an entry never do.
_ENTRY_START = re.compile(r"\n\n(?=[A-Z])")


def load_co2():
    """Loads the weekly atmospheric CO2 at Mauna Loa, Hawaii, 1958-2001.

    2,284 weekly averages (weeks ending on Saturdays, 1958-03-29 to 2001-12-29)
    of the CO2 concentration in ppm, read from the copy that statsmodels ships
    (`statsmodels.datasets.co2`; statsmodels is located but not imported). 59
    weeks have no value in the source (no steady six-hour period was measured);
    they are filled by linear interpolation in time between the nearest measured
    weeks, and `missing` marks them. The first and last weeks are measured.

    Source: Keeling, C.D. and T.P. Whorf (2004), "Atmospheric CO2 concentrations
    derived from flask air samples at sites in the SIO network", Trends: A
    Compendium of Data on Global Change, CDIAC, Oak Ridge National Laboratory
    (Scripps Institution of Oceanography data). Licence: statsmodels' dataset
    says "This is public domain."

    Returns:
        `(weeks, ppm, missing)`: `weeks` a datetime64[D] array of shape
        `(2284,)`, `ppm` a float64 array of shape `(2284,)` with no NaN,
        `missing` a bool array of shape `(2284,)`, True where `ppm` was
        interpolated.

    Raises:
        DataError: statsmodels is not installed, or its co2.csv is not the one
            the workbook was made with.

    Example:

    >>> weeks, ppm, missing = load_co2()
    >>> str(weeks[0]), float(ppm[0]), int(missing.sum())
    ('1958-03-29', 316.1, 59)
    """
    with open(path(CO2), encoding="ascii") as f:
        rows = [line.strip().split(",") for line in f.read().splitlines()[1:]]
    weeks = np.array([f"{d[:4]}-{d[4:6]}-{d[6:8]}" for d, _ in rows], dtype="datetime64[D]")
    ppm = np.array([float(value) if value else np.nan for _, value in rows])
    missing = np.isnan(ppm)
    days = weeks.astype(np.int64)
    ppm[missing] = np.interp(days[missing], days[~missing], ppm[~missing])
    return weeks, ppm, missing


def load_devils_dictionary():
    """Loads The Devil's Dictionary by Ambrose Bierce (1911) as one string.

    Bierce's text only: his preface, then the 999 entries from "ABASEMENT" to
    "ZOOLOGY", as plain ASCII with the line breaks of the source. Each entry
    starts with its capitalised headword and part of speech ("ZEUS, n.  The
    chief of Grecian gods, ...") on a line after a blank line. What the dictd
    packaging adds is dropped: the `00-database-*` header entries (dictfmt
    version, URL, short name, the packager's note and the Internet Wiretap title
    page before "PREFACE") and the alphabet line at the end. The text starts with
    "PREFACE" and ends with the newline after the last entry: 382,679 characters.

    Source: Debian's `dict-devil` package (public domain, copyright expired);
    see data/README.md.

    Returns:
        A str of 382,679 characters.

    Raises:
        DataError: data/devil/devil.dict.dz is missing or damaged.

    Example:

    >>> text = load_devils_dictionary()
    >>> len(text), text[:7]
    (382679, 'PREFACE')
    """
    with gzip.open(path(DEVIL), "rb") as f:  # dictzip is gzip with an index
        raw = f.read().decode("ascii")
    start = raw.index("PREFACE\n")
    end = raw.rindex("\n abcdefghijklmnopqrstuvwxyz\n")
    return raw[start:end]


def devils_dictionary_split():
    """Splits The Devil's Dictionary into fixed training and validation text.

    The validation text is the last ~10% of `load_devils_dictionary()`, cut at
    the first entry that starts at or after 90% of the text. The training text
    is the preface and the 926 entries "ABASEMENT" to "TARIFF" (344,793
    characters, ending with the blank line after "TARIFF"); the validation text
    is the 73 entries "TECHNICALITY" to "ZOOLOGY" (37,886 characters). The split
    is the same on every call and every machine.

    Returns:
        `(train_text, validation_text)`: two str whose concatenation is
        `load_devils_dictionary()`.

    Raises:
        DataError: data/devil/devil.dict.dz is missing or damaged.

    Example:

    >>> train_text, validation_text = devils_dictionary_split()
    >>> len(train_text), len(validation_text), validation_text[:13]
    (344793, 37886, 'TECHNICALITY,')
    """
    text = load_devils_dictionary()
    cut = next(m.end() for m in _ENTRY_START.finditer(text) if m.end() >= 0.9 * len(text))
    return text[:cut], text[cut:]


#: The languages of `load_fortunes`: code -> name.
FORTUNE_LANGUAGES = {
    "en": "English",
    "de": "German",
    "es": "Spanish",
    "it": "Italian",
    "ru": "Russian",
}

#: The fortune file of each language (a key of `FILES`), copied from Debian's packages.
FORTUNE_FILES = {
    "en": "fortunes/en/wisdom",
    "de": "fortunes/de/sprueche",
    "es": "fortunes/es/sabiduria.fortunes",
    "it": "fortunes/it/norm",
    "ru": "fortunes/ru/citates",
}

#: A fortune file separates its entries with a line that holds only "%".
_FORTUNE_SEPARATOR = re.compile(r"^%$", re.MULTILINE)


def load_fortunes(language):
    """Loads the quotations and sayings of one language from Debian's fortune files.

    One file of the `fortune` program per language, all of them short
    quotations, sayings and aphorisms: English `wisdom` (425 fortunes), German
    `sprueche` (265), Spanish `sabiduria.fortunes` (744), Italian `norm` (834)
    and Russian `citates` (148). Most end with a line naming their author
    ("\t\t-- Stanislaw Lem"); the German sayings, all but two, do not. The
    text is the file's, as written: entries are only split at the "%" lines
    and stripped of surrounding whitespace (the tabs of an attribution inside
    an entry stay). Two quirks of the
    sources are kept, not corrected: the Italian file is ASCII and writes
    accented vowels as a vowel and an apostrophe ("e'" for "è", "perche'"),
    as fortune-it does throughout; one English fortune underlines a word the
    way old terminals did, with four backspaces ("____\b\b\b\bSOMEbody's").

    Source: Debian's packages `fortunes`, `fortunes-de`, `fortunes-es`,
    `fortunes-it` and `fortunes-ru`; see data/README.md for versions and
    licences.

    Args:
        language: one of the codes of `FORTUNE_LANGUAGES`: "en", "de", "es",
            "it" or "ru".

    Returns:
        A list of str, one per fortune, in the file's order, none empty.

    Raises:
        ValueError: `language` is not one of `FORTUNE_LANGUAGES`.
        DataError: the language's file in data/fortunes/ is missing or damaged.

    Example:

    >>> fortunes = load_fortunes("de")
    >>> len(fortunes)
    265
    >>> print(fortunes[0])
    Toleranz heißt, die Fehler des anderen zu entschuldigen.
    Takt, sie gar nicht erst zu bemerken.
    >>> {language: len(load_fortunes(language)) for language in FORTUNE_LANGUAGES}
    {'en': 425, 'de': 265, 'es': 744, 'it': 834, 'ru': 148}
    """
    if not isinstance(language, str) or language not in FORTUNE_FILES:
        choices = ", ".join(f"{code!r} ({name})" for code, name in FORTUNE_LANGUAGES.items())
        raise ValueError(f"Unknown language {language!r}. Choose one of {choices}.")
    with open(path(FORTUNE_FILES[language]), "rb") as f:
        text = f.read().decode("utf-8")
    entries = (entry.strip() for entry in _FORTUNE_SEPARATOR.split(text))
    return [entry for entry in entries if entry]
