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
    load_digits()               scikit-learn's 1,797 handwritten digits (8x8).
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

import datetime
import functools
import gzip
import hashlib
import importlib.metadata
import importlib.util
import os
import re

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
    package_dir = os.path.dirname(os.path.abspath(__file__))
    return os.path.join(os.path.dirname(package_dir), "data")


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

# ------------------------------------------------------------------ dates ---

#: The locales `make_dates` writes in by default (Babel's CLDR data).
DATE_LOCALES = ("en_US", "en_GB", "fr_FR", "de_DE", "es_ES")

#: Babel's named lengths ("short" ... "full": each locale's own CLDR pattern) and CLDR
#: patterns of our own. Years are `y` (the year as is) or `yy` (two digits), never `Y`:
#: that is the year of the ISO week, which writes 2024-12-30 as "... 2025".
DATE_FORMATS = ("short", "medium", "long", "full", "d MMM y", "dd.MM.yy", "EEEE, MMMM d, y",
                "MMMM d, y", "d MMMM y", "EEE d MMM y")

#: The (locale, format) pairs `make_dates` uses by default: every pair of DATE_LOCALES and
#: DATE_FORMATS but es_ES "short" (d/M/yy), which writes 3/4/21 for 3 April 2021, the
#: string en_US "short" (M/d/yy) writes for 4 March: one string, one date.
DATE_STYLES = tuple((locale, fmt) for locale in DATE_LOCALES for fmt in DATE_FORMATS
                    if (locale, fmt) != ("es_ES", "short"))

#: The calendar years of the dates, first and last: a span of 100 years, so that a
#: two-digit year (`yy`) stands for one year only (50-99: 1950-1999, 00-49: 2000-2049).
DATE_YEARS = (1950, 2049)

#: The share of the calendar days that each split of `dates_split` draws from.
DATE_SPLIT_FRACTIONS = (0.8, 0.1, 0.1)

_DATE_LENGTHS = ("short", "medium", "long", "full")


def make_dates(n, seed=0, styles=DATE_STYLES, years=DATE_YEARS):
    """Makes `n` random dates written as people write them, with their ISO form.

    Each date is drawn uniformly from the calendar days of `years` and written in
    one (locale, format) pair of `styles`, also drawn uniformly, with Babel's
    `format_date` and the CLDR data of the locale: "12/30/24", "30 déc. 2024",
    "Montag, 30. Dezember 2024", "lunes, 30 de diciembre de 2024", ... The same
    `n`, `seed`, `styles` and `years` give the same dates on every machine with
    the pinned Babel.

    Args:
        n: how many dates, an int >= 0.
        seed: the seed of the random generator (an int).
        styles: (locale, format) pairs. A locale is a name Babel knows ("en_US");
            a format is one of Babel's lengths "short", "medium", "long", "full"
            (the locale's own pattern) or a CLDR pattern such as "d MMM y". A
            pattern must hold a year (`y` or `yy`, never `Y`, the week-based
            year), a month (`M` or `L`) and a day (`d`); two styles may not
            write two different dates the same way (checked on dates whose day
            and month are both 1-12).
        years: `(first, last)`, the calendar years of the dates, inclusive; at
            most 100 years when a pattern writes the year with two digits.

    Returns:
        `(human, iso)`: two lists of `n` str, the dates as written and as
        "YYYY-MM-DD".

    Raises:
        ValueError: a bad `n`, `years` or style: an unknown locale, a pattern
            with `Y` or without a year, month or day, two styles that write one
            string for two dates, or two-digit years over more than 100 years.

    Example:

    >>> human, iso = make_dates(3, seed=0)
    >>> list(zip(human, iso))  # doctest: +NORMALIZE_WHITESPACE
    [('Wednesday, 24 January 2035', '2035-01-24'), ('12.09.13', '2013-09-12'),
     ('February 11, 2001', '2001-02-11')]
    """
    _require_count("n", n)
    resolved = _resolve_date_styles(_style_key(styles), _years_key(years))
    rng = np.random.default_rng(seed)
    days = rng.choice(_calendar_days(*_years_key(years)), size=n)
    return _write_dates(days, rng.integers(len(resolved), size=n), resolved)


def dates_split(sizes=(20000, 2000, 2000), seed=0, styles=DATE_STYLES, years=DATE_YEARS):
    """Makes a fixed training/validation/test split of dates and their ISO form.

    The calendar days of `years` are shuffled with `seed` and cut into three
    pools of 80%, 10% and 10% of the days (`DATE_SPLIT_FRACTIONS`); each split
    draws its dates from its own pool, so no calendar date is in two splits (a
    model cannot pass the test by remembering a date it saw written another
    way). A split takes each day of its pool once, in a random order, before
    it takes any day again. The dates are written as by `make_dates`, in styles drawn
    uniformly from `styles`.

    Args:
        sizes: `(n_train, n_validation, n_test)`, three ints >= 0.
        seed: the seed of the shuffle and of the draws (an int).
        styles: (locale, format) pairs, as for `make_dates`.
        years: `(first, last)` calendar years, as for `make_dates`.

    Returns:
        `(train, validation, test)`, each a pair `(human, iso)` of lists of str
        as `make_dates` returns.

    Raises:
        ValueError: bad sizes, or as for `make_dates`.

    Example:

    >>> train, validation, test = dates_split((1000, 100, 100))
    >>> len(train[0]), validation[0][0], validation[1][0]
    (1000, '26 April 1971', '1971-04-26')
    """
    if not isinstance(sizes, (tuple, list)) or len(sizes) != 3:
        raise ValueError(f"sizes must be (n_train, n_validation, n_test), received {sizes!r}.")
    for name, size in zip(("n_train", "n_validation", "n_test"), sizes):
        _require_count(name, size)
    resolved = _resolve_date_styles(_style_key(styles), _years_key(years))
    days = np.random.default_rng(seed).permutation(_calendar_days(*_years_key(years)))
    cuts = np.round(np.cumsum(DATE_SPLIT_FRACTIONS)[:-1] * len(days)).astype(int)
    splits = []
    for number, (pool, size) in enumerate(zip(np.split(days, cuts), sizes)):
        rng = np.random.default_rng([seed, number + 1])
        rounds = -(-size // len(pool))  # every day once per round, in a new order each round
        chosen = np.concatenate([pool[:0]] + [rng.permutation(pool) for _ in range(rounds)])
        chosen = chosen[:size]
        splits.append(_write_dates(chosen, rng.integers(len(resolved), size=size), resolved))
    return tuple(splits)


def _require_count(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f"{name} must be an int >= 0, received {value!r}.")


def _years_key(years):
    """`years` as a checked (first, last) pair of ints."""
    pair = tuple(years) if isinstance(years, (tuple, list)) else ()
    if len(pair) != 2 or not all(isinstance(y, (int, np.integer)) and not isinstance(y, bool)
                                 for y in pair) or not 1 <= pair[0] <= pair[1] <= 9999:
        raise ValueError(f"years must be (first, last), two ints with 1 <= first <= last <= "
                         f"9999, received {years!r}.")
    return int(pair[0]), int(pair[1])


def _style_key(styles):
    """`styles` as a tuple of (locale, format) pairs of str, for the cache."""
    try:
        key = tuple((str(locale), str(fmt)) for locale, fmt in styles)
    except (TypeError, ValueError):
        raise ValueError(f"styles must be (locale, format) pairs such as ('en_US', 'long'), "
                         f"received {styles!r}.") from None
    if not key:
        raise ValueError("styles is empty: give at least one (locale, format) pair.")
    return key


def _calendar_days(first, last):
    """Every day from January 1 of `first` to December 31 of `last`, as datetime64[D]."""
    return np.arange(np.datetime64(f"{first:04d}-01-01"), np.datetime64(f"{last + 1:04d}-01-01"))


@functools.lru_cache(maxsize=16)
def _resolve_date_styles(styles, years):
    """(Babel locale, CLDR pattern, name) for each style, checked: see `make_dates`."""
    from babel import Locale, UnknownLocaleError, dates

    resolved = []
    for locale_name, fmt in styles:
        name = f"({locale_name!r}, {fmt!r})"
        try:
            locale = Locale.parse(locale_name)
        except (UnknownLocaleError, ValueError, TypeError) as error:
            raise ValueError(f"Style {name}: Babel does not know the locale {locale_name!r} "
                             f"({error}). Use a name such as 'en_US' or 'fr_FR'.") from None
        pattern = dates.get_date_format(fmt, locale).pattern if fmt in _DATE_LENGTHS else fmt
        counts = {field[0]: field[1] for kind, field in dates.tokenize_pattern(pattern)
                  if kind == "field"}  # letter -> how many, e.g. {"d": 1, "M": 3, "y": 1}
        fields = set(counts)
        if "Y" in fields:
            raise ValueError(f"Style {name}: the pattern {pattern!r} writes the year with `Y`, "
                             f"the year of the ISO week, which differs from the calendar year "
                             f"around New Year (2024-12-30 is in week 1 of 2025). Use `y`.")
        missing = [part for part, letters in (("a year (y)", "y"), ("a month (M)", "ML"),
                                              ("a day (d)", "d")) if not fields & set(letters)]
        if missing:
            raise ValueError(f"Style {name}: the pattern {pattern!r} has no "
                             f"{' and no '.join(missing)}, so the date cannot be read back.")
        if counts.get("y") == 2 and years[1] - years[0] >= 100:
            raise ValueError(f"Style {name}: the pattern {pattern!r} writes two-digit years, "
                             f"which stand for one year only within 100 years; years "
                             f"{years[0]}-{years[1]} span {years[1] - years[0] + 1}.")
        resolved.append((locale, pattern, name))
    _require_one_reading(resolved, years)
    return tuple(resolved)


def _require_one_reading(resolved, years):
    """Raises ValueError when two styles write two different dates as the same string.

    Probes the dates whose day and month are both 1-12 (where day-first and
    month-first patterns meet) in the first and last years and in a year whose
    two digits are 1-12 too, if `years` holds one.
    """
    from babel import dates

    probe_years = {years[0], years[1]}
    probe_years |= {y for y in range(years[0], years[1] + 1) if 1 <= y % 100 <= 12}
    probe_years = sorted(probe_years)[:3] + sorted(probe_years)[-1:]
    seen = {}
    for year in probe_years:
        for month in range(1, 13):
            for day in range(1, 13):
                date = datetime.date(year, month, day)
                for locale, pattern, name in resolved:
                    text = dates.format_date(date, pattern, locale=locale)
                    other = seen.setdefault(text, (date, name))
                    if other[0] != date:
                        raise ValueError(
                            f"Styles {other[1]} and {name} both write {text!r}: the first for "
                            f"{other[0].isoformat()}, the second for {date.isoformat()}. "
                            f"Leave one of them out, so that every string has one date.")


def _write_dates(days, style_indices, resolved):
    """`(human, iso)` lists for datetime64[D] `days`, each written in its style."""
    from babel import dates

    human, iso = [], []
    for day, index in zip(days, style_indices):
        locale, pattern, _ = resolved[index]
        date = day.astype(datetime.date)
        human.append(dates.format_date(date, pattern, locale=locale))
        iso.append(date.isoformat())
    return human, iso

# ----------------------------------------------------------------- shapes ---

#: The classes of `make_shapes`, in label order (0-2).
SHAPE_CLASSES = ("circle", "square", "triangle")

#: `make_shapes` tries this many spots for one object, and starts an image's objects
#: afresh this many times, before it gives up.
_SHAPE_ATTEMPTS = 100


def make_shapes(n, seed=0, image_size=64, max_objects=3, min_size=12, max_size=28):
    """Makes `n` images of coloured shapes with their boxes and classes.

    Each image holds 1 to `max_objects` objects (the number drawn uniformly),
    each a filled circle, an axis-aligned square or an upright triangle (apex at
    the top), with the class drawn uniformly from `SHAPE_CLASSES`. An object
    fills a square of side `size` pixels (drawn uniformly from `min_size` to
    `max_size`): the circle touches its four sides, the triangle's base is its
    bottom row and its apex the middle of its top row. The background has one
    dark colour per image, each object one bright colour (unrelated to its
    class), and the whole image a little Gaussian noise (standard deviation
    0.03, then clipped to [0, 1]).

    No two objects overlap: their boxes keep at least one pixel of background
    between them. So the centres of two objects are at least `min_size` pixels
    apart along x or along y, and with `min_size` at least the size of a
    grid cell (`image_size / grid`) no two centres share a cell of that grid.

    Image `i` depends only on `seed` and `i`, so `make_shapes(100, seed)`
    starts with the 10 images of `make_shapes(10, seed)`; other seeds give
    other images.

    Args:
        n: how many images, an int >= 0.
        seed: the seed of the random generator, an int >= 0.
        image_size: the height and width of an image in pixels, an int >= 8.
        max_objects: the most objects in one image, an int >= 1.
        min_size: the smallest object side in pixels, an int >= 4.
        max_size: the largest object side in pixels, an int from `min_size` to
            `image_size`.

    Returns:
        `(images, boxes, labels)`: `images` a float32 array of shape
        `(n, image_size, image_size, 3)` with values in [0, 1]; `boxes` a list
        of `n` float32 arrays of shape `(k, 4)`, one row `(x1, y1, x2, y2)` per
        object: the corners of the smallest box that holds its pixels, divided
        by `image_size` (so in [0, 1]; pixel column `c` spans `c / image_size`
        to `(c + 1) / image_size`); `labels` a list of `n` int64 arrays of
        shape `(k,)` with values 0-2 (indices into `SHAPE_CLASSES`). `k`, from
        1 to `max_objects`, differs between images.

    Raises:
        ValueError: an argument is not an int in its range, `min_size` is
            larger than `max_size`, or `max_objects` objects of `min_size`
            cannot fit side by side in an image.

    Example:

    >>> images, boxes, labels = make_shapes(100, seed=0)
    >>> images.shape, images.dtype, boxes[0].dtype, labels[0].dtype
    ((100, 64, 64, 3), dtype('float32'), dtype('float32'), dtype('int64'))
    >>> [SHAPE_CLASSES[label] for label in labels[0]]
    ['square', 'triangle', 'square']
    >>> boxes[0][0] * 64  # pixel columns 21-42 and rows 11-32
    array([21., 11., 43., 33.], dtype=float32)
    """
    _require_count("n", n)
    _require_int("seed", seed, 0)
    _require_int("image_size", image_size, 8)
    _require_int("max_objects", max_objects, 1)
    _require_int("min_size", min_size, 4)
    _require_int("max_size", max_size, 4)
    if min_size > max_size:
        raise ValueError(f"min_size ({min_size}) must be <= max_size ({max_size}): swap them "
                         "or change one.")
    if max_size > image_size:
        raise ValueError(f"max_size ({max_size}) must be <= image_size ({image_size}): an "
                         "object must fit in the image.")
    per_side = (image_size + 1) // (min_size + 1)  # squares of min_size, 1 pixel apart
    if per_side * per_side < max_objects:
        raise ValueError(
            f"max_objects={max_objects} objects of at least min_size={min_size} pixels cannot "
            f"fit without overlapping in a {image_size}x{image_size} image (at most "
            f"{per_side * per_side}): lower max_objects or min_size, or raise image_size.")
    images = np.empty((n, image_size, image_size, 3), dtype=np.float32)
    boxes, labels = [], []
    for i in range(n):
        rng = np.random.default_rng([seed, i])
        images[i], corners, classes = _draw_shapes(rng, image_size, max_objects, min_size,
                                                   max_size)
        boxes.append(np.asarray(corners, dtype=np.float32).reshape(-1, 4) / image_size)
        labels.append(np.asarray(classes, dtype=np.int64))
    return images, boxes, labels


def _require_int(name, value, low):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"{name} must be an int >= {low}, received {value!r}.")


def _draw_shapes(rng, image_size, max_objects, min_size, max_size):
    """One image of `make_shapes`: `(image, pixel corners, classes)`."""
    count = int(rng.integers(1, max_objects + 1))
    corners = _place_squares(rng, count, image_size, min_size, max_size)
    classes = rng.integers(len(SHAPE_CLASSES), size=count)
    image = np.empty((image_size, image_size, 3), dtype=np.float32)
    image[:] = rng.uniform(0.0, 0.3, size=3)
    for (x1, y1, x2, y2), label in zip(corners, classes):
        colour = rng.uniform(0.4, 1.0, size=3)
        colour[rng.integers(3)] = 1.0  # at least one channel far above the background's
        image[y1:y2, x1:x2][_shape_mask(int(label), x2 - x1)] = colour
    image += rng.normal(0.0, 0.03, size=image.shape).astype(np.float32)
    return np.clip(image, 0.0, 1.0), corners, classes


def _place_squares(rng, count, image_size, min_size, max_size):
    """`count` squares as pixel corners `(x1, y1, x2, y2)`, 1 pixel or more apart."""
    for _ in range(_SHAPE_ATTEMPTS):
        placed = []
        while len(placed) < count:
            square = _free_square(rng, placed, image_size, min_size, max_size)
            if square is None:
                break
            placed.append(square)
        if len(placed) == count:
            return placed
    raise ValueError(
        f"make_shapes() could not place {count} objects of {min_size}-{max_size} pixels "
        f"without overlap in a {image_size}x{image_size} image ({_SHAPE_ATTEMPTS} tries): "
        "lower max_objects or max_size, or raise image_size.")


def _free_square(rng, placed, image_size, min_size, max_size):
    """A random square 1 pixel or more from all `placed` ones, or None if none was found."""
    for _ in range(_SHAPE_ATTEMPTS):
        size = int(rng.integers(min_size, max_size + 1))
        x1, y1 = (int(v) for v in rng.integers(0, image_size - size + 1, size=2))
        square = (x1, y1, x1 + size, y1 + size)
        if all(_apart(square, other) for other in placed):
            return square
    return None


def _apart(a, b):
    """True when squares `a` and `b` have at least one pixel between them."""
    return a[2] < b[0] or b[2] < a[0] or a[3] < b[1] or b[3] < a[1]


@functools.cache
def _shape_mask(label, size):
    """The pixels of one shape in a `size` x `size` square, a bool array."""
    rows, cols = np.mgrid[0:size, 0:size]
    x = cols + 0.5 - size / 2  # pixel centre, from the square's middle
    if SHAPE_CLASSES[label] == "circle":
        mask = x ** 2 + (rows + 0.5 - size / 2) ** 2 <= (size / 2) ** 2
    elif SHAPE_CLASSES[label] == "square":
        mask = np.ones((size, size), dtype=bool)
    else:  # triangle: half as wide as tall at each height, measured at a row's lower edge
        mask = np.abs(x) <= (rows + 1) / 2
    mask.setflags(write=False)
    return mask
