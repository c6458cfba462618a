"""Unit tests of helpers.data: the registry, hash verification, the loaders and the
date generators."""

import collections
import datetime
import gzip
import hashlib
import os
import re
import shutil
import statistics
import subprocess
import sys

import numpy as np
import pytest

from helpers import data
from helpers.data import dates


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


@pytest.mark.parametrize("name, shape", [
    ("china", (427, 640, 3)),
    ("flower", (427, 640, 3)),
    ("chelsea", (300, 451, 3)),
    ("brick", (512, 512, 3)),
])
def test_sample_images(name, shape):
    image = data.load_sample_image(name)
    assert image.shape == shape and image.dtype == np.uint8
    assert 0 < image.mean() < 255


def test_digits_shapes_values_and_classes():
    images, labels = data.load_digits()
    assert images.shape == (1797, 8, 8) and images.dtype == np.uint8
    assert labels.shape == (1797,) and labels.dtype == np.uint8
    assert images.min() == 0 and images.max() == 16
    assert sorted(np.unique(labels).tolist()) == list(range(10))
    assert np.bincount(labels).min() >= 170                 # 174-183 per digit


def test_digits_match_scikit_learn():
    datasets = pytest.importorskip("sklearn.datasets")
    reference = datasets.load_digits()
    images, labels = data.load_digits()
    np.testing.assert_array_equal(images, reference.images)
    np.testing.assert_array_equal(labels, reference.target)


def test_every_sample_image_is_tested():
    assert data.SAMPLE_IMAGES == ("china", "flower", "chelsea", "brick")


def test_grayscale_sample_image_has_its_gray_in_every_channel():
    brick = data.load_sample_image("brick")
    assert (brick[..., 0] == brick[..., 1]).all() and (brick[..., 0] == brick[..., 2]).all()
    assert brick.std() > 10  # a texture, not a flat gray
    cat = data.load_sample_image("chelsea")
    assert not (cat[..., 0] == cat[..., 2]).all()  # a colour photograph stays in colour


def test_unknown_names_say_what_exists():
    with pytest.raises(ValueError, match="Choose one of china, flower, chelsea, brick"):
        data.load_sample_image("cat")
    with pytest.raises(ValueError, match="Unknown sample image 3"):
        data.load_sample_image(3)
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
        ("skimage/chelsea.png", lambda: data.load_sample_image("chelsea")),
        ("skimage/brick.png", lambda: data.load_sample_image("brick")),
        (data.DIGITS, data.load_digits),
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



# --------------------------------------------------------------- fortunes ---

FORTUNE_DIGESTS = {
    "fortunes/en/wisdom": "9b0bd6b9331a68c9172219784a411c417c055ed69734edc7b4406795b87d4e94",
    "fortunes/de/sprueche": "e56921e090c2eb023800cefd648204bced92eaa4ad6d5599cc88548f35e0cd29",
    "fortunes/es/sabiduria.fortunes": (
        "57c09f3d39b3aa2eb9ce5d5e5ce1380d720f4e6b38d3bb61cb9d956a43831d40"),
    "fortunes/it/norm": "f50a97decd0f69f6b49bede9f4930fdda7df37d68b9a12c449c1477846d42366",
    "fortunes/ru/citates": "6d0b596ee1df820d100b3ef789809a7fd86cedf3e471176b9dca03be56f379c1",
}


FORTUNE_CATEGORY_DIGESTS = {
    "fortunes/en/computers": "a86be224d9f733b88eeaf8a46ea0427e05cc69c69edcf5f6db47ddf561ca37fd",
    "fortunes/en/politics": "b56ca45a046edd5c459090a5c6b335332661b436e814b41ac87bb58065ad6131",
    "fortunes/en/science": "7ab350b142ee6c70c1d8517c5a1b3790c09b190a62859427cad98e6e35a19fcc",
    "fortunes/en/work": "ad8a0e104160e2c4782fa86e143cd60ffab2872985d4293ffd0af6df19dbfa28",
}


#: The files of load_unlabelled_fortunes, in its order, with their sha256.
UNLABELLED_FORTUNE_DIGESTS = {
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
}


def test_fortune_files_are_registered_with_their_hashes():
    assert list(data.FORTUNE_LANGUAGES) == ["en", "de", "es", "it", "ru"]
    assert set(data.FORTUNE_FILES) == set(data.FORTUNE_LANGUAGES)
    assert sorted(data.FORTUNE_FILES.values()) == sorted(FORTUNE_DIGESTS)
    assert sorted(data.FORTUNE_CATEGORY_FILES.values()) == sorted(FORTUNE_CATEGORY_DIGESTS)
    assert data.UNLABELLED_FORTUNE_FILES == tuple(UNLABELLED_FORTUNE_DIGESTS)
    every = {**FORTUNE_DIGESTS, **FORTUNE_CATEGORY_DIGESTS, **UNLABELLED_FORTUNE_DIGESTS}
    for name, digest in every.items():
        assert data.FILES[name] == digest
        with open(data.path(name), "rb") as f:
            assert hashlib.sha256(f.read()).hexdigest() == digest
    # Every file in data/fortunes/ is registered.
    folder = os.path.join(data.data_dir(), "fortunes")
    on_disk = {f"fortunes/{language}/{name}" for language in os.listdir(folder)
               for name in os.listdir(os.path.join(folder, language))}
    assert on_disk == set(every)
    # Left out on purpose (data/README.md): not for a classroom.
    assert not {"fortunes/en/art", "fortunes/en/cookie"} & set(data.FILES)


@pytest.mark.parametrize("language, count, characters", [
    ("en", 425, 60332), ("de", 265, 19701), ("es", 744, 85717), ("it", 834, 113086),
    ("ru", 148, 14727),
])
def test_fortune_counts_per_language(language, count, characters):
    fortunes = data.load_fortunes(language)
    assert (len(fortunes), sum(map(len, fortunes))) == (count, characters)
    assert all(isinstance(fortune, str) and fortune for fortune in fortunes)
    assert all(fortune == fortune.strip() for fortune in fortunes)
    assert not any(line == "%" for fortune in fortunes for line in fortune.split("\n"))


def test_fortunes_are_the_files_text_as_written():
    german = data.load_fortunes("de")
    assert german[0] == ("Toleranz heißt, die Fehler des anderen zu entschuldigen.\n"
                         "Takt, sie gar nicht erst zu bemerken.")
    assert data.load_fortunes("en")[3] == (
        "A dream will always triumph over reality, once it is given the chance.\n"
        "\t\t-- Stanislaw Lem")
    # The quirks data/README.md documents are kept: four backspaces in one English
    # fortune, none elsewhere; Italian written in ASCII (e' for è).
    backspaces = {language: sum(f.count("\b") for f in data.load_fortunes(language))
                  for language in data.FORTUNE_LANGUAGES}
    assert backspaces == {"en": 4, "de": 0, "es": 0, "it": 0, "ru": 0}
    italian = data.load_fortunes("it")
    assert all(fortune.isascii() for fortune in italian)
    assert sum(fortune.count(" e' ") for fortune in italian) == 315  # the word è
    assert any("ß" in fortune for fortune in german)
    assert any("ñ" in fortune for fortune in data.load_fortunes("es"))


def test_russian_fortunes_are_cyrillic():
    russian = data.load_fortunes("ru")
    letters = [c for fortune in russian for c in fortune if c.isalpha()]
    cyrillic = [c for c in letters if "\u0400" <= c <= "\u04ff"]
    assert len(cyrillic) / len(letters) > 0.999
    assert all(any("\u0400" <= c <= "\u04ff" for c in fortune) for fortune in russian)
    assert russian[1] == "Музыка будет по-немецки, вы не поймете.\n\t\t-- Оскар Уайльд"


def test_fortunes_split_only_at_lines_holding_only_a_percent_sign(tmp_path, monkeypatch):
    sample = tmp_path / "sample"
    sample.write_bytes(b"%\n  first,\n50% off\n%\n%\n\t\n%\n%%\n second \n%\n")
    monkeypatch.setattr(data, "path", lambda name: str(sample))
    assert data.load_fortunes("en") == ["first,\n50% off", "%%\n second"]


@pytest.mark.parametrize("language", ["fr", "EN", "english", "", None, 1])
def test_unknown_fortune_language_says_what_exists(language):
    with pytest.raises(ValueError) as info:
        data.load_fortunes(language)
    message = str(info.value)
    assert f"Unknown language {language!r}." in message
    assert ("Choose one of 'en' (English), 'de' (German), 'es' (Spanish), 'it' (Italian), "
            "'ru' (Russian).") in message


def test_damaged_fortune_file_names_the_file_and_both_hashes(copy_of_data):
    name = "fortunes/ru/citates"
    target = copy_of_data / name
    content = bytearray(target.read_bytes())
    content[1000] ^= 0xFF
    target.write_bytes(bytes(content))
    assert data.load_fortunes("de")  # the other languages still load
    with pytest.raises(data.DataError) as info:
        data.load_fortunes("ru")
    message = str(info.value)
    assert f"{name} is corrupted" in message
    assert data.FILES[name] in message
    assert hashlib.sha256(bytes(content)).hexdigest() in message
    assert "git checkout -- data/" in message


def test_missing_fortune_file_names_the_file(copy_of_data):
    os.remove(copy_of_data / "fortunes" / "it" / "norm")
    with pytest.raises(data.DataError, match="fortunes/it/norm is missing.*git checkout"):
        data.load_fortunes("it")


# ------------------------------------------------------- fortune categories ---

CATEGORY_COUNTS = {"computers": 1051, "politics": 703, "science": 625, "work": 630}


def test_fortune_categories_counts_labels_and_order():
    texts, labels, class_names = data.load_fortune_categories()
    assert class_names == ["computers", "politics", "science", "work"]
    assert list(data.FORTUNE_CATEGORIES) == class_names
    assert labels.dtype == np.int64 and labels.shape == (len(texts),) == (3009,)
    assert np.bincount(labels).tolist() == list(CATEGORY_COUNTS.values())
    # Grouped by class in class_names order, each file's fortunes in the file's order,
    # split and stripped as load_fortunes splits them.
    assert (np.diff(labels) >= 0).all()
    for label, name in enumerate(class_names):
        fortunes = data._read_fortunes(f"fortunes/en/{name}")
        assert [t for t, y in zip(texts, labels) if y == label] == fortunes
    assert all(isinstance(t, str) and t and t == t.strip() for t in texts)
    assert texts[0] == "!07/11 PDP a ni deppart m'I  !pleH"
    assert texts[1].startswith("101 USE SFOR A DEAD MICROPROCESSOR\n\t(1)  Scarecrow")
    assert texts[int(np.flatnonzero(labels == 2)[0])] == "1 + 1 = 3, for large values of 1."
    assert statistics.median(len(t.split()) for t in texts) == 18


def test_fortune_categories_share_no_text():
    texts, labels, _ = data.load_fortune_categories()
    assert len(set(texts)) == len(texts)  # no text twice, in one class or across two
    # Nor nearly: the same words, whatever the spacing and case.
    by_words = {}
    for text, label in zip(texts, labels):
        by_words.setdefault(" ".join(text.lower().split()), set()).add(int(label))
    assert all(len(found) == 1 for found in by_words.values())


def test_fortune_categories_keep_the_files_quirks():
    texts, labels, class_names = data.load_fortune_categories()
    backspaces = {name: sum(t.count("\b") for t, y in zip(texts, labels) if y == label)
                  for label, name in enumerate(class_names)}
    assert backspaces == {"computers": 44, "politics": 12, "science": 40, "work": 17}
    assert sum(t.count("\a") for t in texts) == 15
    assert sum("\u00e2\u0080\u0099" in t for t in texts) == 2  # a twice-encoded apostrophe
    assert "Ren'\be de Visme Williamson" in "".join(texts)


def test_fortune_categories_subset():
    texts, labels, class_names = data.load_fortune_categories(["work", "politics"])
    assert class_names == ["politics", "work"]
    assert np.bincount(labels).tolist() == [703, 630]
    assert texts[:703] == data._read_fortunes("fortunes/en/politics")
    assert data.load_fortune_categories(("science", "computers"))[2] == ["computers", "science"]


def test_texts_in_two_categories_are_dropped_from_both(tmp_path, monkeypatch):
    files = {
        "fortunes/en/computers": "Shared.\n%\nBytes.\n%\n  Shared.  \n%\n",
        "fortunes/en/politics": "Votes.\n%\nShared.\n%\n",
        "fortunes/en/science": "Atoms.\n%\nVotes.\n%\nQuarks.\n%\n",
        "fortunes/en/work": "Desks.\n%\n",
    }
    for name, text in files.items():
        (tmp_path / name.replace("/", "_")).write_text(text, encoding="utf-8")
    monkeypatch.setattr(data, "path", lambda name: str(tmp_path / name.replace("/", "_")))
    texts, labels, class_names = data.load_fortune_categories()
    assert texts == ["Bytes.", "Atoms.", "Quarks.", "Desks."]
    assert labels.tolist() == [0, 2, 2, 3] and len(class_names) == 4
    # Only the categories asked for count: without politics, "Votes." has one class.
    texts, labels, _ = data.load_fortune_categories(["science", "work"])
    assert texts == ["Atoms.", "Votes.", "Quarks.", "Desks."] and labels.tolist() == [0, 0, 0, 1]


def test_fortune_categories_split_is_stratified_and_complete():
    texts, labels, class_names = data.load_fortune_categories()
    (x_train, y_train), (x_test, y_test), names = data.fortune_categories_split()
    assert names == class_names
    assert (len(x_train), len(x_test)) == (2407, 602)  # the test set is ceil(0.2 * 3009)
    assert y_train.dtype == y_test.dtype == np.int64
    assert isinstance(x_train, list) and isinstance(x_test, list)
    assert np.bincount(y_test).tolist() == [210, 141, 125, 126]
    counts = np.bincount(labels)
    assert np.abs(np.bincount(y_test) - 0.2 * counts).max() <= 1
    # Every text lands in exactly one set, with its own label.
    label_of = dict(zip(texts, labels.tolist()))
    assert sorted(x_train + x_test) == sorted(texts)
    assert [label_of[t] for t in x_train] == y_train.tolist()
    assert [label_of[t] for t in x_test] == y_test.tolist()
    # Shuffled, not grouped by class.
    assert len(set(y_test[:20].tolist())) > 1


def test_fortune_categories_split_is_seeded():
    first = data.fortune_categories_split(seed=3, test_fraction=0.25)
    again = data.fortune_categories_split(seed=3, test_fraction=0.25)
    assert first[0][0] == again[0][0] and first[1][0] == again[1][0]
    np.testing.assert_array_equal(first[1][1], again[1][1])
    other = data.fortune_categories_split(seed=4, test_fraction=0.25)
    assert other[1][0] != first[1][0]
    assert len(first[1][0]) == 753  # ceil(0.25 * 3009)
    _, (x_test, y_test), names = data.fortune_categories_split(categories=["science", "work"])
    assert names == ["science", "work"] and len(x_test) == 251  # ceil(0.2 * 1255)
    assert np.bincount(y_test).tolist() == [125, 126]
    # A NumPy float is a number too.
    assert len(data.fortune_categories_split(test_fraction=np.float32(0.25))[1][0]) == 753


@pytest.mark.parametrize("categories, message", [
    (["computers", "poetry"], "Unknown fortune category 'poetry'. Choose from 'computers', "
                              "'politics', 'science', 'work'."),
    (["Computers", "work"], "Unknown fortune category 'Computers'"),
    ([3, "work"], "Unknown fortune category 3"),
    ("computers", r"categories must be a list of category names, e\.g\. \['computers', "
                  r"'science'\], or None for all of them; received 'computers'"),
    ({"computers", "work"}, "categories must be a list of category names"),
    (["work", "science", "work"], "categories lists 'work' more than once; name each "
                                  "category once"),
    (["work"], r"at least two categories for a classifier to tell apart, received \['work'\]"),
    ([], r"at least two categories .* received \[\]"),
])
def test_fortune_categories_bad_categories_say_what_to_change(categories, message):
    with pytest.raises(ValueError, match=message):
        data.load_fortune_categories(categories)
    with pytest.raises(ValueError, match=message):
        data.fortune_categories_split(categories=categories)


@pytest.mark.parametrize("kwargs, message", [
    ({"test_fraction": 0}, "test_fraction must be a number strictly between 0 and 1, "
                           "received 0. Use e.g. 0.2"),
    ({"test_fraction": 1.0}, "strictly between 0 and 1, received 1.0"),
    ({"test_fraction": 1.5}, "strictly between 0 and 1, received 1.5"),
    ({"test_fraction": -0.2}, "strictly between 0 and 1, received -0.2"),
    ({"test_fraction": "0.2"}, "strictly between 0 and 1, received '0.2'"),
    ({"test_fraction": True}, "strictly between 0 and 1, received True"),
    ({"test_fraction": 0.0005}, r"test_fraction=0.0005 gives 2 test and 3007 training texts, "
                                r"fewer than the 4 classes in one of them.*nearer 0.2"),
    ({"test_fraction": 0.9995}, "gives 3008 test and 1 training texts"),
    ({"seed": -1}, "seed must be an int >= 0, received -1"),
    ({"seed": 1.5}, "seed must be an int >= 0, received 1.5"),
])
def test_fortune_categories_split_bad_arguments_say_what_to_change(kwargs, message):
    with pytest.raises(ValueError, match=message):
        data.fortune_categories_split(**kwargs)


def test_damaged_fortune_category_file_names_the_file(copy_of_data):
    target = copy_of_data / "fortunes" / "en" / "science"
    target.write_bytes(target.read_bytes().replace(b"large values", b"small values"))
    assert data.load_fortune_categories(["computers", "work"])  # the others still load
    with pytest.raises(data.DataError, match="fortunes/en/science is corrupted"):
        data.fortune_categories_split()
    os.remove(target)
    with pytest.raises(data.DataError, match="fortunes/en/science is missing.*git checkout"):
        data.load_fortune_categories()


# ---------------------------------------------------- unlabelled fortunes ---

#: Fortunes per file of load_unlabelled_fortunes, as Debian's `.dat` indexes count them.
UNLABELLED_FILE_COUNTS = {
    "debian": 85, "definitions": 1203, "disclaimer": 284, "education": 203, "food": 198,
    "goedel": 54, "humorists": 197, "kids": 150, "knghtbrd": 540, "law": 206, "linux": 336,
    "linuxcookie": 103, "love": 150, "magic": 30, "medicine": 74, "miscellaneous": 651,
    "news": 53, "paradoxum": 72, "people": 1251, "perl": 273, "pets": 52, "platitudes": 500,
    "songs-poems": 720, "sports": 147, "startrek": 227, "tao": 82, "zippy": 548,
}


def _spaced(text):
    """A text with its white space collapsed, as load_unlabelled_fortunes compares texts."""
    return " ".join(text.split())


def _held_out_fortunes():
    """The labelled fortunes and wisdom's, white space collapsed: category files, wisdom."""
    categories = {_spaced(text) for name in data.FORTUNE_CATEGORY_FILES.values()
                  for text in data._read_fortunes(name)}
    wisdom = {_spaced(text) for text in data.load_fortunes("en")}
    return categories, wisdom


def test_unlabelled_fortunes_counts_and_order():
    fortunes = data.load_unlabelled_fortunes()
    assert isinstance(fortunes, list) and len(fortunes) == 8342
    assert sum(len(text.split()) for text in fortunes) == 223956
    assert sum(map(len, fortunes)) == 1279168
    assert statistics.median(len(text.split()) for text in fortunes) == 17
    assert all(isinstance(text, str) and text and text == text.strip() for text in fortunes)
    per_file = {name: data._read_fortunes(name) for name in data.UNLABELLED_FORTUNE_FILES}
    assert [name.split("/")[-1] for name in per_file] == list(UNLABELLED_FILE_COUNTS)
    assert [len(texts) for texts in per_file.values()] == list(UNLABELLED_FILE_COUNTS.values())
    # The files' fortunes in the order of UNLABELLED_FORTUNE_FILES and of each file, as
    # _read_fortunes splits them, with some left out: a subsequence of them all.
    pool = iter(text for texts in per_file.values() for text in texts)
    assert all(text in pool for text in fortunes)
    assert fortunes[0].startswith("I think it's a little fantastic to try to form a picture")
    assert fortunes[2] == ("Packages should build-depend on what they should build-depend.\n"
                           "\t\t-- Santiago Vila on debian-devel")
    assert fortunes[-1] == "Zippy's brain cells are straining to bridge synapses ..."
    assert data.load_unlabelled_fortunes() == fortunes


def test_unlabelled_fortunes_hold_no_labelled_text_nor_repeat():
    fortunes = data.load_unlabelled_fortunes()
    categories, wisdom = _held_out_fortunes()
    spaced = [_spaced(text) for text in fortunes]
    assert not set(spaced) & (categories | wisdom)
    assert len(set(spaced)) == len(spaced)  # no text twice, nor twice up to white space
    # In particular no test text of the labelled split is pretrained on.
    _, (x_test, _), _ = data.fortune_categories_split()
    assert not {_spaced(text) for text in x_test} & set(spaced)
    # What was left out: 16 texts of the category files, 7 of wisdom, 24 repeats.
    pool = [text for name in data.UNLABELLED_FORTUNE_FILES for text in data._read_fortunes(name)]
    assert len(pool) == sum(UNLABELLED_FILE_COUNTS.values()) == 8389
    assert sum(_spaced(text) in categories for text in pool) == 16
    assert sum(_spaced(text) in wisdom for text in pool) == 7
    kept = [text for text in pool if _spaced(text) not in categories | wisdom]
    assert len(kept) - len(fortunes) == 24
    # Each kept where it first occurs, as written there.
    first = {}
    for text in kept:
        first.setdefault(_spaced(text), text)
    assert fortunes == list(first.values())
    # Comparing with white space collapsed matters: 1 of the 23 texts differs from its
    # labelled or wisdom twin only in spacing.
    as_written = {text for name in [*data.FORTUNE_CATEGORY_FILES.values(), "fortunes/en/wisdom"]
                  for text in data._read_fortunes(name)}
    assert sum(text in as_written for text in pool) == 22


def test_unlabelled_fortunes_drop_held_out_texts_and_repeats(tmp_path, monkeypatch):
    files = {
        "fortunes/en/computers": "Bytes.\n%\n",
        "fortunes/en/politics": "Votes.\n%\n",
        "fortunes/en/science": "Atoms  and\nvoid.\n%\n",
        "fortunes/en/work": "Desks.\n%\n",
        "fortunes/en/wisdom": "Know thyself.\n%\n",
        "fortunes/en/debian": ("Art is long.\n%\n  Atoms and void.\n%\nArt  is\nlong.\n%\n"
                               "Know\tthyself.\n%\n\n%\nPaint.\n%\n"),
        "fortunes/en/zippy": "Yow!\n%\nArt is long.\n%\nvotes.\n%\n\tArt is\tlong. \n%\n",
    }
    for name, text in files.items():
        (tmp_path / name.replace("/", "_")).write_text(text, encoding="utf-8")
    monkeypatch.setattr(data, "path", lambda name: str(tmp_path / name.replace("/", "_")))
    monkeypatch.setattr(data, "UNLABELLED_FORTUNE_FILES",
                        ("fortunes/en/debian", "fortunes/en/zippy"))
    # Labelled and wisdom texts go, whatever their spacing; repeats go, in one file or
    # across files; case counts ("votes." is not "Votes.").
    assert data.load_unlabelled_fortunes() == ["Art is long.", "Paint.", "Yow!", "votes."]


def test_unlabelled_fortunes_keep_the_files_quirks():
    fortunes = data.load_unlabelled_fortunes()
    assert sum(text.count("\b") for text in fortunes) == 120
    assert sum(text.count("\a") for text in fortunes) == 26
    assert sum("\u00c2\u00a35" in text for text in fortunes) == 1  # a pound sign, twice encoded
    assert sum("don\u00c3\u00a2\u00c2\u0080\u00c2\u0099t" in text for text in fortunes) == 1
    assert any("Linuxkongre\u00df" in text for text in fortunes)
    assert sum(not text.isascii() for text in fortunes) == 4


def test_damaged_unlabelled_fortune_file_names_the_file(copy_of_data):
    target = copy_of_data / "fortunes" / "en" / "zippy"
    target.write_bytes(target.read_bytes().replace(b"Zippy", b"Zappy", 1))
    with pytest.raises(data.DataError, match="fortunes/en/zippy is corrupted"):
        data.load_unlabelled_fortunes()
    os.remove(target)
    with pytest.raises(data.DataError, match="fortunes/en/zippy is missing.*git checkout"):
        data.load_unlabelled_fortunes()


@pytest.mark.parametrize("name", ["fortunes/en/work", "fortunes/en/wisdom"])
def test_unlabelled_fortunes_need_the_texts_they_leave_out(copy_of_data, name):
    # Without the labelled files or wisdom it cannot tell what to leave out: it stops.
    os.remove(copy_of_data / name)
    with pytest.raises(data.DataError, match=f"{name} is missing.*git checkout"):
        data.load_unlabelled_fortunes()


# -------------------------------------------------------------------- kjv ---

#: sha256 of data/kjv/kjv.txt.gz after gunzip: the `bible` program's output (data/README.md).
KJV_TEXT_SHA256 = "cd45f0c9cedab8e4439bd6486c8952c77cc8b0ecc5d1f6ae3513f2039f47229d"
KJV_REFERENCE = re.compile(r"(\d?[A-Za-z]+)(\d+):(\d+) (.+)")


def _kjv_lines():
    with gzip.open(data.path(data.KJV), "rb") as f:
        raw = f.read()
    assert hashlib.sha256(raw).hexdigest() == KJV_TEXT_SHA256
    return raw.decode("ascii").splitlines()


def test_kjv_verses_counts_and_order():
    verses = data.load_kjv()
    assert len(verses) == 31102
    assert verses[0] == "In the beginning God created the heaven and the earth."
    assert verses[1].startswith("And the earth was without form, and void;")
    assert verses[-1] == "The grace of our Lord Jesus Christ be with you all. Amen."
    assert verses[26558] == "Jesus wept." == min(verses, key=len)  # John 11:35
    assert sum(len(verse.split()) for verse in verses) == 789634
    assert sum(map(len, verses)) == 4106747
    assert all(verse and verse == verse.strip() and verse.isascii() for verse in verses)
    assert not any(KJV_REFERENCE.match(verse) for verse in verses)  # references dropped
    assert data.load_kjv() == verses


def test_kjv_file_holds_every_verse_once_in_order_with_its_reference():
    lines = _kjv_lines()
    assert len(lines) == 31102
    references = [KJV_REFERENCE.fullmatch(line).groups() for line in lines]
    books = list(dict.fromkeys(book for book, _, _, _ in references))
    assert len(books) == 66 and books[:2] == ["Ge", "Exo"] and books[-2:] == ["Jude", "Rev"]
    assert books[39] == "Mat"  # 39 books of the Old Testament, then the New
    assert len({(book, chapter) for book, chapter, _, _ in references}) == 1189
    previous = None
    for book, chapter, verse, _ in references:
        here = (book, int(chapter), int(verse))
        if previous and previous[0] == book:
            assert here[1:] in [(previous[1], previous[2] + 1), (previous[1] + 1, 1)], here
        else:
            assert here[1:] == (1, 1), here
        previous = here
    text = [verse.strip() for _, _, _, verse in references]
    assert text == data.load_kjv()
    assert lines[26558] == "John11:35 Jesus wept."


def test_kjv_is_documented_with_the_hash_of_its_text():
    with open(os.path.join(data.data_dir(), "README.md"), encoding="utf-8") as f:
        readme = f.read()
    assert KJV_TEXT_SHA256 in readme and "Gen1:1-Rev22:21" in readme


def test_kjv_missing_or_damaged(copy_of_data):
    target = copy_of_data / "kjv" / "kjv.txt.gz"
    target.write_bytes(target.read_bytes()[:-10])
    with pytest.raises(data.DataError, match="kjv/kjv.txt.gz is corrupted"):
        data.load_kjv()
    os.remove(target)
    with pytest.raises(data.DataError, match="kjv/kjv.txt.gz is missing.*git checkout"):
        data.load_kjv()

# ------------------------------------------------------------------ dates ---

def _read_date(text, locale_name, pattern):
    """Reads a date written with a CLDR `pattern` back, with Babel's names for the locale.

    Independent of helpers.data: it turns the pattern's fields into a regular
    expression. Two-digit years are read in the window 1950-2049; a weekday, if
    written, must be the date's.
    """
    from babel import Locale, dates

    locale = Locale.parse(locale_name)
    regex, fields = "", []
    for kind, value in dates.tokenize_pattern(pattern):
        if kind == "chars":
            regex += re.escape(value)
            continue
        letter, count = value
        names = None
        if letter in "ML" and count >= 3:
            names = dates.get_month_names("abbreviated" if count == 3 else "wide",
                                          "format" if letter == "M" else "stand-alone", locale)
        elif letter == "E":
            names = dates.get_day_names("wide" if count == 4 else "abbreviated", "format", locale)
        if names:
            by_name = {name: number for number, name in names.items()}
            regex += "(" + "|".join(map(re.escape, sorted(by_name, key=len, reverse=True))) + ")"
        else:
            regex += r"(\d{2})" if count == 2 else r"(\d+)"
        fields.append((letter, count, by_name if names else None))
    match = re.fullmatch(regex, text)
    assert match, (text, locale_name, pattern)
    parts = {}
    for (letter, count, by_name), found in zip(fields, match.groups()):
        number = by_name[found] if by_name else int(found)
        if letter == "y" and count == 2:
            number += 1900 if number >= 50 else 2000
        parts["M" if letter == "L" else letter] = number
    date = datetime.date(parts["y"], parts["M"], parts["d"])
    assert parts.get("E", date.weekday()) == date.weekday(), (text, pattern)  # 0 = Monday
    return date


def _patterns(styles):
    """Each style's (locale name, CLDR pattern), as the generator resolves it."""
    resolved = dates._resolve_date_styles(dates._style_key(styles), data.DATE_YEARS)
    return [(locale_name, pattern) for (locale_name, _), (_, pattern, _) in zip(styles, resolved)]


def test_make_dates_is_seeded_and_writes_iso_dates_in_range():
    human, iso = data.make_dates(500, seed=3)
    assert (human, iso) == data.make_dates(500, seed=3)
    assert data.make_dates(500, seed=4) != (human, iso)
    assert len(human) == len(iso) == 500 and all(isinstance(h, str) for h in human)
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", d) for d in iso)
    assert "1950-01-01" <= min(iso) and max(iso) <= "2049-12-31"
    assert len(set(human)) > 450 and len({d[:4] for d in iso}) > 90
    assert data.make_dates(0) == ([], [])


def test_make_dates_example_is_stable_with_the_pinned_babel():
    """The docstring's example: a different Babel (CLDR) version would change it."""
    assert list(zip(*data.make_dates(3, seed=0))) == [
        ("Wednesday, 24 January 2035", "2035-01-24"), ("12.09.13", "2013-09-12"),
        ("February 11, 2001", "2001-02-11")]


def test_every_default_style_is_used_and_reads_back():
    for style, (locale_name, pattern) in zip(data.DATE_STYLES, _patterns(data.DATE_STYLES)):
        human, iso = data.make_dates(30, seed=1, styles=[style])
        for text, date in zip(human, iso):
            assert _read_date(text, locale_name, pattern).isoformat() == date, (style, text)
    locales = {locale for locale, _ in data.DATE_STYLES}
    formats = {fmt for _, fmt in data.DATE_STYLES}
    assert locales == set(data.DATE_LOCALES) and formats == set(data.DATE_FORMATS)


def test_dates_around_new_year_read_back_as_the_calendar_year():
    """Dec 29-31 and Jan 1-3: where the ISO week's year (`Y`) differs from the year."""
    days = [np.datetime64(f"{year}-{month_day}") for year in (1950, 1999, 2000, 2020, 2021,
                                                                2024, 2025, 2049)
            for month_day in ("01-01", "01-02", "01-03", "12-29", "12-30", "12-31")]
    patterns = _patterns(data.DATE_STYLES)
    resolved = dates._resolve_date_styles(dates._style_key(data.DATE_STYLES), data.DATE_YEARS)
    for index, (locale_name, pattern) in enumerate(patterns):
        human, iso = dates._write_dates(days, [index] * len(days), resolved)
        assert iso == [str(day) for day in days]
        for text, date in zip(human, iso):
            assert _read_date(text, locale_name, pattern).isoformat() == date, (pattern, text)


def test_the_week_based_year_is_refused_and_would_misdate_new_year():
    from babel import dates

    # What `Y` does: 2024-12-30 is in ISO week 1 of 2025.
    written = dates.format_date(datetime.date(2024, 12, 30), "d MMM YYYY", locale="en_US")
    assert written == "30 Dec 2025"
    assert _read_date(written, "en_US", "d MMM y") == datetime.date(2025, 12, 30)
    with pytest.raises(ValueError, match="`Y`, the year of the ISO week.*Use `y`"):
        data.make_dates(5, styles=[("en_US", "d MMM YYYY")])


def test_default_styles_give_every_string_one_date():
    """Over whole years, around both ends of the two-digit window: one string, one date."""
    resolved = dates._resolve_date_styles(dates._style_key(data.DATE_STYLES), data.DATE_YEARS)
    days = np.concatenate([dates._calendar_days(1950, 1951), dates._calendar_days(2000, 2001),
                           dates._calendar_days(2049, 2049)])
    seen = {}
    for index in range(len(resolved)):
        human, iso = dates._write_dates(days, [index] * len(days), resolved)
        for text, date in zip(human, iso):
            assert seen.setdefault(text, date) == date, (text, seen[text], date)


def test_styles_that_write_two_dates_alike_are_refused():
    with pytest.raises(ValueError, match=r"\('es_ES', 'short'\) and \('en_US', 'short'\) both "
                                         r"write '2/1/50': the first for 1950-01-02, the second "
                                         r"for 1950-02-01"):
        data.make_dates(5, styles=[("en_US", "short"), ("es_ES", "short")])
    with pytest.raises(ValueError, match="both write"):
        data.make_dates(5, styles=[("de_DE", "yy.MM.dd"), ("de_DE", "dd.MM.yy")])


@pytest.mark.parametrize("kwargs, message", [
    ({"n": -1}, "n must be an int >= 0, received -1"),
    ({"n": 2.5}, "n must be an int >= 0"),
    ({"years": (2049, 1950)}, r"years must be \(first, last\)"),
    ({"years": (1950.0, 2049)}, r"years must be \(first, last\), two ints"),
    ({"years": (1900, 2049)}, ("writes two-digit years, which stand for one year only within "
                               "100 years; years 1900-2049 span 150")),
    ({"styles": [("xx_YY", "long")]}, "Babel does not know the locale 'xx_YY'"),
    ({"styles": [("en_US", "MMM y")]}, r"has no a day \(d\), so the date cannot be read back"),
    ({"styles": []}, "styles is empty"),
    ({"styles": ["long"]}, r"styles must be \(locale, format\) pairs"),
])
def test_bad_arguments_say_what_was_received(kwargs, message):
    kwargs = {"n": 3, **kwargs}
    with pytest.raises(ValueError, match=message):
        data.make_dates(**kwargs)


def test_four_digit_years_may_span_more_than_a_century():
    styles = [("en_GB", "long"), ("de_DE", "medium")]
    _, iso = data.make_dates(200, seed=2, styles=styles, years=(1800, 2099))
    assert min(iso) < "1850" and max(iso) > "2050"


def test_dates_split_is_fixed_and_its_calendar_dates_never_overlap():
    train, validation, test = data.dates_split()
    assert [len(split[0]) for split in (train, validation, test)] == [20000, 2000, 2000]
    assert data.dates_split() == (train, validation, test)
    days = [set(split[1]) for split in (train, validation, test)]
    assert not (days[0] & days[1] or days[0] & days[2] or days[1] & days[2])
    # A split takes each day of its pool once before any again (29,220 / 3,652 / 3,653 days).
    assert [len(d) for d in days] == [20000, 2000, 2000]
    other = data.dates_split(seed=1)
    assert other[2][1] != test[1]
    # The docstring's example.
    small = data.dates_split((1000, 100, 100))
    assert (len(small[0][0]), small[1][0][0], small[1][1][0]) == (1000, "26 April 1971",
                                                                  "1971-04-26")


def test_dates_split_pools_cover_the_calendar():
    """Splits as large as their pools hold exactly the 36,525 days of 1950-2049, each once."""
    sizes = (29220, 3652, 3653)
    splits = data.dates_split(sizes)
    assert [len(set(split[1])) for split in splits] == list(sizes)
    everything = set().union(*(split[1] for split in splits))
    assert everything == {str(day) for day in dates._calendar_days(1950, 2049)}
    # Past its pool a split takes every day again, still only its own.
    small = data.dates_split((10, 10, 2 * 3653 + 1))
    counts = collections.Counter(small[2][1])
    assert len(counts) == 3653 and set(counts.values()) <= {2, 3}
    assert not set(counts) & set(splits[0][1])


def test_dates_split_refuses_bad_sizes():
    with pytest.raises(ValueError, match=r"sizes must be \(n_train, n_validation, n_test\)"):
        data.dates_split((100, 10))
    with pytest.raises(ValueError, match="n_validation must be an int >= 0, received -5"):
        data.dates_split((100, -5, 10))


def test_generated_data_is_documented():
    with open(os.path.join(data.data_dir(), "README.md"), encoding="utf-8") as f:
        readme = f.read()
    generated = readme[readme.index("## Generated data"):]
    assert "make_dates" in generated and "dates_split" in generated
    assert "make_shapes" in generated


# ----------------------------------------------------------------- shapes ---


def _drawn_pixels(image, box):
    """Rows and columns inside `box` (pixels) whose colour differs from the background."""
    x1, y1, x2, y2 = box
    patch = image[y1:y2, x1:x2]
    background = np.median(image.reshape(-1, 3), axis=0)
    rows, cols = np.nonzero(np.abs(patch - background).max(axis=-1) > 0.3)
    return rows + y1, cols + x1


def test_make_shapes_shapes_dtypes_and_ranges():
    images, boxes, labels = data.make_shapes(200, seed=1)
    assert images.shape == (200, 64, 64, 3) and images.dtype == np.float32
    assert images.min() >= 0 and images.max() <= 1
    assert len(boxes) == len(labels) == 200
    counts = [len(b) for b in boxes]
    assert set(counts) == {1, 2, 3}
    for b, lab in zip(boxes, labels):
        assert b.dtype == np.float32 and b.shape == (len(lab), 4)
        assert lab.dtype == np.int64 and set(lab.tolist()) <= {0, 1, 2}
        assert (b >= 0).all() and (b <= 1).all()
        assert (b[:, 2] > b[:, 0]).all() and (b[:, 3] > b[:, 1]).all()
        sides = (b[:, 2:] - b[:, :2]) * 64
        assert (sides >= 12).all() and (sides <= 28).all()
        np.testing.assert_array_equal(sides[:, 0], sides[:, 1])  # each shape fills a square
    assert set(np.concatenate(labels).tolist()) == {0, 1, 2}
    assert data.SHAPE_CLASSES == ("circle", "square", "triangle")


def test_make_shapes_is_seeded_and_image_i_does_not_depend_on_n():
    images, boxes, labels = data.make_shapes(20, seed=3)
    again = data.make_shapes(20, seed=3)
    np.testing.assert_array_equal(images, again[0])
    for b, lab, b2, lab2 in zip(boxes, labels, again[1], again[2]):
        np.testing.assert_array_equal(b, b2)
        np.testing.assert_array_equal(lab, lab2)
    first = data.make_shapes(5, seed=3)
    np.testing.assert_array_equal(images[:5], first[0])
    other = data.make_shapes(20, seed=4)
    assert not np.array_equal(images, other[0])
    assert data.make_shapes(0)[0].shape == (0, 64, 64, 3)


def test_make_shapes_example_is_stable():
    """The docstring's example."""
    _, boxes, labels = data.make_shapes(100, seed=0)
    assert [data.SHAPE_CLASSES[label] for label in labels[0]] == ["square", "triangle",
                                                                  "square"]
    np.testing.assert_array_equal(boxes[0][0] * 64, [21, 11, 43, 33])


def test_make_shapes_objects_never_overlap_nor_share_a_grid_cell():
    _, boxes, _ = data.make_shapes(500, seed=2, max_objects=4)
    for b in boxes:
        pixels = np.round(b * 64).astype(int)
        for i in range(len(b)):
            for j in range(i + 1, len(b)):
                a, c = pixels[i], pixels[j]
                assert a[2] < c[0] or c[2] < a[0] or a[3] < c[1] or c[3] < a[1], (a, c)
        # A 6x6 grid has cells of 64 / 6 < 12 = min_size pixels: one centre per cell.
        centres = (b[:, :2] + b[:, 2:]) / 2
        cells = {tuple(cell) for cell in np.floor(centres * 6).astype(int).tolist()}
        assert len(cells) == len(b)


def test_make_shapes_boxes_tightly_enclose_the_drawn_pixels():
    images, boxes, labels = data.make_shapes(100, seed=5)
    for image, b, lab in zip(images, boxes, labels):
        for box, label in zip(np.round(b * 64).astype(int), lab):
            x1, y1, x2, y2 = box
            rows, cols = _drawn_pixels(image, box)
            assert (rows.min(), rows.max() + 1, cols.min(), cols.max() + 1) == (y1, y2, x1, x2)
            filled = len(rows) / ((x2 - x1) * (y2 - y1))
            low, high = {0: (0.7, 0.85), 1: (1.0, 1.0), 2: (0.45, 0.65)}[int(label)]
            assert low <= filled <= high, (data.SHAPE_CLASSES[label], filled)
        # Nothing is drawn outside the boxes: all else is background and its noise.
        outside = np.ones((64, 64), dtype=bool)
        for x1, y1, x2, y2 in np.round(b * 64).astype(int):
            outside[y1:y2, x1:x2] = False
        background = np.median(image.reshape(-1, 3), axis=0)
        assert np.abs(image[outside] - background).max() < 0.2


def test_make_shapes_triangle_points_up_and_circle_is_round():
    images, boxes, labels = data.make_shapes(60, seed=6)
    seen = set()
    for image, b, lab in zip(images, boxes, labels):
        for box, label in zip(np.round(b * 64).astype(int), lab):
            x1, y1, x2, y2 = box
            rows, _ = _drawn_pixels(image, box)
            widths = np.bincount(rows - y1, minlength=y2 - y1)
            if label == 2:  # narrow at the top, the full side at the bottom
                assert widths[0] <= 2 and widths[-1] == x2 - x1
                assert (np.diff(widths) >= 0).all()
            if label == 0:  # narrow at top and bottom, the full side in the middle
                assert widths[0] < x2 - x1 and widths[-1] < x2 - x1
                assert widths.max() == x2 - x1
            seen.add(int(label))
    assert seen == {0, 1, 2}


def test_make_shapes_other_sizes():
    images, boxes, _ = data.make_shapes(30, seed=0, image_size=32, max_objects=1, min_size=8,
                                        max_size=8)
    assert images.shape == (30, 32, 32, 3)
    assert all(len(b) == 1 for b in boxes)
    np.testing.assert_allclose(np.concatenate(boxes)[:, 2:] - np.concatenate(boxes)[:, :2],
                               8 / 32)


@pytest.mark.parametrize("kwargs, message", [
    ({"n": -1}, "n must be an int >= 0, received -1"),
    ({"n": 2.0}, "n must be an int >= 0, received 2.0"),
    ({"seed": -1}, "seed must be an int >= 0, received -1"),
    ({"image_size": 4}, "image_size must be an int >= 8, received 4"),
    ({"max_objects": 0}, "max_objects must be an int >= 1, received 0"),
    ({"min_size": 2}, "min_size must be an int >= 4, received 2"),
    ({"max_size": 12.5}, "max_size must be an int >= 4, received 12.5"),
    ({"min_size": 20, "max_size": 16}, r"min_size \(20\) must be <= max_size \(16\)"),
    ({"max_size": 70}, r"max_size \(70\) must be <= image_size \(64\)"),
    ({"max_objects": 30}, "max_objects=30 objects of at least min_size=12 pixels cannot fit"),
    ({"max_objects": 9, "min_size": 20, "max_size": 20},
     r"could not place \d objects of 20-20 pixels"),
])
def test_make_shapes_bad_arguments_say_what_was_received(kwargs, message):
    kwargs = {"n": 5, **kwargs}
    with pytest.raises(ValueError, match=message):
        data.make_shapes(**kwargs)
