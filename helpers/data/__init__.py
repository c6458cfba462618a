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
    load_digits()               1,797 handwritten digits, 8x8 (scikit-learn's copy of UCI's).
    load_sample_image(name)     photographs: scikit-learn's two samples, and
                                scikit-image's cat and brick wall.
    load_co2()                  weekly Mauna Loa CO2, 1958-2001 (from statsmodels).
    load_devils_dictionary()    Ambrose Bierce's The Devil's Dictionary, as text.
    devils_dictionary_split()   its fixed training/validation split.
    load_fortunes(language)     quotations and sayings from Debian's fortune files in
                                English, German, Spanish, Italian or Russian.
    load_fortune_categories()   English fortunes labelled by topic (computers, politics,
                                science, work): a labelled text set.
    fortune_categories_split()  its stratified, seeded training/test split.
    load_unlabelled_fortunes()  8,342 more English fortunes without labels, none of them
                                in the labelled set or wisdom: text to pretrain on.
    load_kjv()                  the King James Bible, one verse per item.

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
import math
import os
import re

import numpy as np

from helpers.data.arguments import require_int

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
    "sklearn/digits.csv.gz": "09f66e6debdee2cd2b5ae59e0d6abbb73fc2b0e0185d2e1957e9ebb51e23aa22",
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
    "fortunes/en/computers": "a86be224d9f733b88eeaf8a46ea0427e05cc69c69edcf5f6db47ddf561ca37fd",
    "fortunes/en/politics": "b56ca45a046edd5c459090a5c6b335332661b436e814b41ac87bb58065ad6131",
    "fortunes/en/science": "7ab350b142ee6c70c1d8517c5a1b3790c09b190a62859427cad98e6e35a19fcc",
    "fortunes/en/work": "ad8a0e104160e2c4782fa86e143cd60ffab2872985d4293ffd0af6df19dbfa28",
    # The English fortune files of load_unlabelled_fortunes (UNLABELLED_FORTUNE_FILES).
    "fortunes/en/debian": "491dd04bf909b64152bcb554b9bc88df0ca50c0dc676d74d10742bf38aaa50de",
    "fortunes/en/definitions": "57be4744c353d931fa2ca95f50215d4b67539f5a527ae628a6441fb4a1258caa",
    "fortunes/en/disclaimer": "c085d66ea68686d5e28852cef77c3eeb3640895c5647b148deeaaada2c07fa7b",
    "fortunes/en/education": "ba13321d6d6beb7a6e65296a47450bfc87b24a319fff2e94762011b59a31aa35",
    "fortunes/en/food": "78077a65b9288df71e7b2a8e8258cd3b1005d1282f7c7e57ad53927f374df45d",
    "fortunes/en/goedel": "9d447862c803f22cdf7bb26cb70cca1a7f8a2a7992f2793ddcb43cfcf3302ab0",
    "fortunes/en/humorists": "ffdf67e1f4049133bf904b769c364de45e5ae0abfb3ea7c9afb54b87b89acfc4",
    "fortunes/en/kids": "82e51834990afd36f2ea2f25864b368e2f44f9c761aba034035b26061de6d5be",
    "fortunes/en/knghtbrd": "c25e8373b38a6f159a7b1d336f363d5c962224a6ddcc86279dec47aad3c869b3",
    "fortunes/en/law": "f04141f94e788b7899e0adb0490d182ce711f8fdbb8252343a5257e717e9279d",
    "fortunes/en/linux": "85b0e5eadf7adeea77da4e1fbd456c962ce3bd1dabbd053098ecf37de9169cf3",
    "fortunes/en/linuxcookie": "4f75959924ae5bb1955c30a5c985e641ec17cd5ebb7453d839f94b1988331202",
    "fortunes/en/love": "4d4fb7c540e5500e44643524dae41dd7d2b21b80be184253fd9f8541f6029fc5",
    "fortunes/en/magic": "b9553a1d84d966db55a24a779206cc4565bf3686c9ecbc31215f654129e3166e",
    "fortunes/en/medicine": "18b8c7b098e649024159c9d9f3e37a0832bbd2d5cf3e2317b313134761afd487",
    "fortunes/en/miscellaneous": "e3d81fd016f9f84a70ecb9aa197c4911aca01a8034e49345b81093f6751bba9c",
    "fortunes/en/news": "4b8eebae510353d6f628dfdaf52bf8cbdafb891a122b146421c805b74f389617",
    "fortunes/en/paradoxum": "85228975016fe975065eaf0baf55980d32d26f9e2fa99f69da4696d11ac02036",
    "fortunes/en/people": "2afb4b9f577be114d2dca279bc5590ee8415e1405295d7d7626c888d82f338e8",
    "fortunes/en/perl": "b19145eadf97c31add2e0a199d93ffa0eb92e00275c2724b7ad6b4e412113536",
    "fortunes/en/pets": "084472564bc55df566733a224f8a737d78717132ec43628be0c2af466ac41ecc",
    "fortunes/en/platitudes": "88448274efec3d2c0908cc11525c9b065b95a32c232a2c58c67a87dd88545ee5",
    "fortunes/en/songs-poems": "eb714d297b468da91b6ca32baefb000279a3e3740b09f8a87db24fe58e010b1a",
    "fortunes/en/sports": "b71dd524d7bca888ec1014fb849a8a15cf58017c59127e572d393ef7632c35c8",
    "fortunes/en/startrek": "7b2e4c235b99452b2de4c47d67aae0faac2ea508a2d644609e4ef5db7653c39c",
    "fortunes/en/tao": "4adddc35a122bb233a16c076abc0be0326ea3a68594146a6baee3b5f6489e12b",
    "fortunes/en/zippy": "b996a112c99a2d61782e1a9a1f3c5445122f18ac312485f2c78279e82ca33932",
    "kjv/kjv.txt.gz": "db215f1e32db82a8f6b38f934a65bb9052d1f36686717d459f5aa8c2460349df",
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


DIGITS = "sklearn/digits.csv.gz"


def load_digits():
    """Loads the small handwritten digits of scikit-learn (UCI, Alpaydin and Kaynak, 1998).

    1,797 images of the digits 0-9 written by 13 people, each an 8x8 grid of counts
    (0-16) of inked pixels in 4x4 blocks of a 32x32 bitmap: higher means more ink,
    as in Fashion-MNIST. The file is scikit-learn's `digits.csv.gz`, copied byte
    for byte (what `sklearn.datasets.load_digits` reads); data/README.md gives its
    source and licence.

    Returns:
        `(images, labels)`: `images` a uint8 array of shape `(1797, 8, 8)` with
        values 0-16, `labels` a uint8 array of shape `(1797,)` with values 0-9.

    Raises:
        DataError: the file is missing or damaged.

    Example:

    >>> images, labels = load_digits()
    >>> images.shape, int(images.max()), labels[:5].tolist()
    ((1797, 8, 8), 16, [0, 1, 2, 3, 4])
    """
    with gzip.open(path(DIGITS), "rt", encoding="ascii") as f:
        rows = np.loadtxt(f, delimiter=",", dtype=np.uint8)
    return rows[:, :64].reshape(-1, 8, 8), rows[:, 64]


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
    return _read_fortunes(FORTUNE_FILES[language])


def _read_fortunes(name):
    """The fortunes of one registered fortune file: split at "%" lines, stripped, none empty."""
    with open(path(name), "rb") as f:
        text = f.read().decode("utf-8")
    entries = (entry.strip() for entry in _FORTUNE_SEPARATOR.split(text))
    return [entry for entry in entries if entry]


#: The English fortune files of `load_fortune_categories`: category -> file (a key of
#: `FILES`), copied from Debian's `fortunes` package.
FORTUNE_CATEGORY_FILES = {
    "computers": "fortunes/en/computers",
    "politics": "fortunes/en/politics",
    "science": "fortunes/en/science",
    "work": "fortunes/en/work",
}

#: The categories of `load_fortune_categories`, sorted: label i is `FORTUNE_CATEGORIES[i]`.
FORTUNE_CATEGORIES = tuple(sorted(FORTUNE_CATEGORY_FILES))


def _fortune_categories(categories):
    """The sorted category names `categories` asks for, or a ValueError saying what to change."""
    choices = ", ".join(repr(name) for name in FORTUNE_CATEGORIES)
    if categories is None:
        return list(FORTUNE_CATEGORIES)
    if isinstance(categories, str) or not isinstance(categories, (list, tuple)):
        raise ValueError(
            f"categories must be a list of category names, e.g. ['computers', 'science'], "
            f"or None for all of them; received {categories!r}. Choose from {choices}."
        )
    for name in categories:
        if not isinstance(name, str) or name not in FORTUNE_CATEGORY_FILES:
            raise ValueError(f"Unknown fortune category {name!r}. Choose from {choices}.")
    if len(set(categories)) != len(categories):
        twice = sorted({name for name in categories if categories.count(name) > 1})
        raise ValueError(
            f"categories lists {', '.join(map(repr, twice))} more than once; "
            "name each category once."
        )
    if len(categories) < 2:
        raise ValueError(
            f"categories must name at least two categories for a classifier to tell apart, "
            f"received {list(categories)!r}. Choose from {choices}."
        )
    return sorted(categories)


def load_fortune_categories(categories=None):
    """Loads English fortunes labelled by their topic: a small labelled text set.

    Each fortune is labelled by the fortune file it comes from. Four files of
    Debian's `fortunes` package (the data of the Unix `fortune` program), each
    on one topic: `computers` (1,051 fortunes: programming, Unix, hackers),
    `politics` (703: government, war, liberty), `science` (625: physics,
    mathematics, scientists) and `work` (630: jobs, business, bosses); 3,009 in
    all, a median of 18 words each. Most are quotations or jokes; about half
    (1,568) end with a line naming their author ("\\t\\t-- Albert Einstein"). The files'
    compilers chose the topics, so some fortunes could sit in another file
    too ("Where are the calculations that go with a calculated risk?" is in
    `science`): labels are a little noisy, as labels made by people are.

    The texts are split and stripped exactly as `load_fortunes` does and kept
    as written, quirks included: some fortunes underline or accent with
    backspaces ("___\\b\\b\\bnot", "Ren'\\be"), a few in `computers` hold bell
    characters ("\\a") or curly quotes that were encoded twice ("donâ\\x80\\x99t").
    A text that occurs in more than one of the requested categories is
    dropped from all of them, since it has no single label (the four files
    share no text, so none is dropped; no file holds a text twice either).

    Source: Debian's package `fortunes` (BSD licence); see data/README.md.

    Args:
        categories: None for all of `FORTUNE_CATEGORIES`, or a list of at
            least two of them, e.g. `["computers", "politics"]`.

    Returns:
        `(texts, labels, class_names)`: `texts` a list of str, `labels` an
        int64 array of shape `(len(texts),)` with values
        `0..len(class_names) - 1`, `class_names` the sorted category names
        (a list); `texts[i]` comes from the file `class_names[labels[i]]`. The
        texts are grouped by class, in `class_names` order and in each file's
        order: shuffle (or use `fortune_categories_split`) before training.

    Raises:
        ValueError: `categories` is not None nor a list of at least two
            distinct names of `FORTUNE_CATEGORIES`.
        DataError: a category's file in data/fortunes/en/ is missing or
            damaged.

    Example:

    >>> texts, labels, class_names = load_fortune_categories()
    >>> class_names
    ['computers', 'politics', 'science', 'work']
    >>> len(texts), np.bincount(labels).tolist()
    (3009, [1051, 703, 625, 630])
    >>> first_science = int(np.flatnonzero(labels == 2)[0])
    >>> class_names[labels[first_science]], texts[first_science]
    ('science', '1 + 1 = 3, for large values of 1.')
    """
    class_names = _fortune_categories(categories)
    per_class = [_read_fortunes(FORTUNE_CATEGORY_FILES[name]) for name in class_names]
    classes_of = {}
    for label, fortunes in enumerate(per_class):
        for text in fortunes:
            classes_of.setdefault(text, set()).add(label)
    texts, labels = [], []
    for label, fortunes in enumerate(per_class):
        kept = [text for text in fortunes if len(classes_of[text]) == 1]
        texts.extend(kept)
        labels.extend([label] * len(kept))
    return texts, np.array(labels, dtype=np.int64), class_names


def fortune_categories_split(seed=0, test_fraction=0.2, categories=None):
    """Splits `load_fortune_categories()` into stratified training and test sets.

    A shuffled split made with scikit-learn's `train_test_split`, stratified by
    label: each class keeps (up to rounding) the same share in both sets. The
    test set holds `ceil(test_fraction * n)` of the `n` texts. The same `seed`
    gives the same split on every call (with the pinned scikit-learn and
    NumPy). With the defaults: 2,407 training and 602 test texts.

    Args:
        seed: int >= 0, the split's random seed.
        test_fraction: the share of texts held out for testing, a number
            strictly between 0 and 1.
        categories: None for all of `FORTUNE_CATEGORIES`, or a list of at
            least two of them (as for `load_fortune_categories`).

    Returns:
        `((train_texts, train_labels), (test_texts, test_labels),
        class_names)`: texts lists of str in shuffled order, labels int64
        arrays, `class_names` the sorted category names (a list).

    Raises:
        ValueError: `seed` is not an int >= 0, `test_fraction` is not
            strictly between 0 and 1 or leaves a set with fewer texts than
            classes, or `categories` is not valid.
        DataError: a category's file is missing or damaged.

    Example:

    >>> (x_train, y_train), (x_test, y_test), class_names = fortune_categories_split()
    >>> len(x_train), len(x_test), np.bincount(y_test).tolist()
    (2407, 602, [210, 141, 125, 126])
    """
    require_int("seed", seed, 0)
    if (isinstance(test_fraction, bool) or not isinstance(test_fraction, (int, float, np.floating))
            or not 0 < test_fraction < 1):
        raise ValueError(
            f"test_fraction must be a number strictly between 0 and 1, received "
            f"{test_fraction!r}. Use e.g. 0.2 to hold out 20% of the texts for testing."
        )
    texts, labels, class_names = load_fortune_categories(categories)
    n_test = math.ceil(test_fraction * len(texts))
    if min(n_test, len(texts) - n_test) < len(class_names):
        raise ValueError(
            f"test_fraction={test_fraction!r} gives {n_test} test and "
            f"{len(texts) - n_test} training texts, fewer than the {len(class_names)} "
            "classes in one of them: a stratified split needs at least one text of each "
            "class on each side. Use a test_fraction nearer 0.2."
        )
    from sklearn.model_selection import train_test_split

    x_train, x_test, y_train, y_test = train_test_split(
        texts, labels, test_size=n_test, random_state=seed, shuffle=True, stratify=labels
    )
    return (list(x_train), y_train), (list(x_test), y_test), class_names


#: The English fortune files of `load_unlabelled_fortunes`, in the order it reads them
#: (keys of `FILES`), copied from Debian's `fortunes` package.
UNLABELLED_FORTUNE_FILES = tuple(f"fortunes/en/{name}" for name in (
    "debian", "definitions", "disclaimer", "education", "food", "goedel", "humorists",
    "kids", "knghtbrd", "law", "linux", "linuxcookie", "love", "magic", "medicine",
    "miscellaneous", "news", "paradoxum", "people", "perl", "pets", "platitudes",
    "songs-poems", "sports", "startrek", "tao", "zippy",
))


def load_unlabelled_fortunes():
    """Loads English fortunes without labels: text to pretrain a language model on.

    The fortunes of 27 more files of Debian's `fortunes` package, `debian`
    to `zippy` in alphabetical order (`UNLABELLED_FORTUNE_FILES`): sayings,
    jokes, definitions, poems and songs, quotations from Usenet, IRC and Star
    Trek, on every topic. Of their 8,389 fortunes this returns 8,342: 223,956
    words (separated by white space; a median of 17 per fortune), 1,279,168
    characters.

    Two kinds of text are removed, comparing texts with white space
    collapsed (`" ".join(text.split())`):

    - 23 that also occur in a file of `FORTUNE_CATEGORY_FILES` (16) or in
      `wisdom` (7), so that a model pretrained on these texts has never seen
      a test text of `load_fortune_categories` (nor of `load_fortunes("en")`);
    - 24 repeats: a text that occurs more than once (in one file or in
      several) is kept once, where it first occurs.

    Not included: the package's `ethnic`, `men-women` and `drugs` (jokes about
    groups of people or about drugs: not for a course notebook), `art` (a few
    film-poster slogans unfit for a classroom), `cookie` (a passage with a
    homophobic slur; also the file that repeats the labelled texts most),
    `ascii-art` (pictures, not text), `translate-me` (notes to translators)
    and `pratchett` (two fortunes). The texts are split and stripped exactly as
    `load_fortunes` does and kept as written, quirks included: underlining and
    accents by backspace overstrike (120 backspaces), 26 bell characters
    ("\\a"), and a few characters encoded more than once ("Â£5" in `pets`,
    "donÃ¢Â\\x80Â\\x99t" in `law`).

    Source: Debian's package `fortunes` (BSD licence); see data/README.md.

    Returns:
        A list of 8,342 str, the fortunes of the files in the order of
        `UNLABELLED_FORTUNE_FILES` and each file's order, none empty, no two
        equal (nor equal up to white space).

    Raises:
        DataError: one of those files, a file of `FORTUNE_CATEGORY_FILES` or
            `wisdom` in data/fortunes/en/ is missing or damaged.

    Example:

    >>> fortunes = load_unlabelled_fortunes()
    >>> len(fortunes), sum(len(text.split()) for text in fortunes)
    (8342, 223956)
    >>> fortunes[2].splitlines()[0]
    'Packages should build-depend on what they should build-depend.'
    """
    held_out = {
        " ".join(text.split())
        for name in (*FORTUNE_CATEGORY_FILES.values(), FORTUNE_FILES["en"])
        for text in _read_fortunes(name)
    }
    fortunes = []
    for name in UNLABELLED_FORTUNE_FILES:
        for text in _read_fortunes(name):
            key = " ".join(text.split())
            if key not in held_out:
                held_out.add(key)
                fortunes.append(text)
    return fortunes


KJV = "kjv/kjv.txt.gz"


def load_kjv():
    """Loads the King James Bible (the Authorized Version of 1611), one verse per item.

    All 31,102 verses of the 66 books of the Protestant canon (1,189
    chapters), "In the beginning God created the heaven and the earth."
    (Genesis 1:1) to "The grace of our Lord Jesus Christ be with you all.
    Amen." (Revelation 22:21), in the order of the Bible: 789,634 words
    (separated by spaces), 4,106,747 characters, plain ASCII with its
    archaic spelling ("hath", "saith", "shew"). Only the verse text: no
    verse numbers, headings or marks for the words the translators supplied
    (which printed Bibles set in italics). The text is the one Debian's
    `bible` program prints (packages `bible-kjv-text` and `bible-kjv`, the
    Bible Retrieval System); data/README.md says exactly how the file was
    made. The file keeps each verse's reference ("Ge1:1 In the beginning
    ..."); this loader returns the text after it, stripped of surrounding
    spaces (Mark 10:19 ends with one in the source).

    Licence: public domain; the translation's copyright has expired (Debian's
    copyright file). See data/README.md.

    Returns:
        A list of 31,102 str, one per verse, in order, none empty.

    Raises:
        DataError: data/kjv/kjv.txt.gz is missing or damaged.

    Example:

    >>> verses = load_kjv()
    >>> len(verses), verses[0]
    (31102, 'In the beginning God created the heaven and the earth.')
    >>> verses[26558]  # John 11:35, the shortest verse
    'Jesus wept.'
    """
    with gzip.open(path(KJV), "rb") as f:
        lines = f.read().decode("ascii").splitlines()
    return [line.split(" ", 1)[1].strip() for line in lines]
