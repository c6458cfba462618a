"""Dates written as people write them, with their ISO form (notebook 06's data).

Seeded generators, nothing stored: `make_dates` writes random calendar dates with Babel's
CLDR patterns in several locales, and `dates_split` makes a fixed training, validation
and test split in which no calendar date is in two splits. `helpers.data` exports both.
"""

import datetime
import functools

import numpy as np

from helpers.data.arguments import require_int


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
    require_int("n", n, 0)
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
        require_int(name, size, 0)
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
