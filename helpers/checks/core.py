"""The machinery shared by every exercise check.

A check module (one per notebook) declares one check per exercise with
`@exercise("NN.K")`, which builds the `Exercise`, prints the one stable success
line when the check returns and registers it in `CHECKS`. Every check has one
form:

- `_name_cases()` lists the cases: (case name, inputs...) tuples.
- The expected answer comes from an independent oracle (TensorFlow, Keras,
  scikit-learn, or a case worked by hand).
- `_name_answer(inputs..., **switches)` is the exercise's switch oracle: with
  no switches it is a plain implementation; each switch turns on one known
  mistake.
- `_NAME_MISTAKES = {description: switches}` names the known mistakes, and
  `mistakes_from(_name_answer, _NAME_MISTAKES, inputs...)` gives the answer
  each one produces.
- The check runs the student's function on each case with `Exercise.call` and
  compares with `Exercise.compare` (type, then shape, then dtype, then
  finiteness, then values; a result equal to a known mistake names it) or
  `Exercise.compare_sequence` (lists).

Checks of Keras builders are lists of `Exercise.require` over the model's
layers (`keras_models.leaf_layers` walks them).

Every failure raises `CheckError` (an AssertionError) with a message that names
the exercise and the case, shows expected and received, and gives a hint. A stub
that still raises NotImplementedError becomes `NotAttemptedError`.

In Jupyter a failed check shows as its message alone (`_render_traceback_`);
frames in this package also set `__tracebackhide__` for pytest and other
IPython front ends.
"""

import copy
import functools
import inspect
import math
import os
import sys
import sysconfig
import traceback

import numpy as np

from helpers import notebook_format

_HELPERS_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class CheckError(AssertionError):
    """An exercise check failed. The message says what was wrong and why."""

    def _render_traceback_(self):
        # Jupyter (IPython) shows this instead of a traceback: the message is the news.
        return notebook_format.shown_error(self)


class NotAttemptedError(CheckError):
    """The exercise still holds its `raise NotImplementedError()` stub."""


def describe(value, precision=4, limit=6, start=0):
    """Formats a value for a message in plain words: short, with its shape for arrays.

    A single number reads as "0.5 (a float)" or "3 (an int)", whether it is a
    Python number, a NumPy scalar or a 0-d array; an array shows its first
    values (or, with `start`, the values from that flat position on, and where
    that is), its shape and its dtype.
    """
    if isinstance(value, (bool, np.bool_)):
        return f"{bool(value)} (a bool)"
    if isinstance(value, (int, float, np.number)) or (
            (isinstance(value, np.ndarray) or _is_tensor(value)) and np.ndim(value) == 0):
        number = np.asarray(value)
        if number.dtype.kind in "iu":
            return f"{number.item()} (an int)"
        if number.dtype.kind == "f":
            return f"{number.item():.{precision + 2}g} (a float)"
    if isinstance(value, np.ndarray) or _is_tensor(value):
        array = np.asarray(value)
        flat = array.ravel()
        start = start if 0 < start < flat.size else 0
        shown = np.array2string(
            flat[start:start + limit], precision=precision, separator=", ", suppress_small=True
        )
        if flat.size > start + limit:
            shown = shown[:-1] + ", ...]"
        if start:
            where = tuple(int(i) for i in np.unravel_index(start, array.shape))
            return f"[..., {shown[1:]} (from index {where}, shape {array.shape}, " \
                   f"dtype {array.dtype})"
        return f"{shown} (shape {array.shape}, dtype {array.dtype})"
    text = repr(value)
    return text if len(text) < 120 else text[:117] + "..."


def describe_argument(value):
    """Formats an argument for a "called with" line: arrays by shape, the rest by value."""
    if isinstance(value, np.ndarray) and value.ndim > 0:
        return f"array of shape {value.shape}" + (
            f", dtype {value.dtype}" if value.dtype != np.float64 else "")
    if _is_tensor(value) and np.ndim(value) > 0:
        return f"tensor of shape {tuple(value.shape)}"
    if hasattr(value, "shape") and hasattr(value, "dtype"):  # a Keras tensor (no values yet)
        return f"{type(value).__name__} of shape {tuple(value.shape)}"
    if isinstance(value, (int, float, np.number, bool, np.bool_, str, type(None))):
        return repr(value.item() if isinstance(value, np.generic) else value)
    return describe(value)


def describe_pair(expected, received, precision=4):
    """Describes expected and received values, with more digits if they would print alike.

    Two arrays of one shape whose first values print alike are shown from the
    first position where they differ (beyond NumPy's default `isclose`), e.g.
    `[..., 0.5, 0.25] (from index (1, 0), shape (2, 2), dtype float64)`.
    """
    start = 0
    if describe(expected, precision) == describe(received, precision):
        start = _first_difference(expected, received)
    for digits in (precision, 10, 16):
        shown = describe(expected, digits, start=start), describe(received, digits, start=start)
        if shown[0] != shown[1]:
            break
    return shown


def _first_difference(expected, received):
    """The first flat position where two numeric arrays of one shape differ, else 0."""
    if not all(isinstance(a, np.ndarray) and a.ndim > 0 for a in (expected, received)) or \
            expected.shape != received.shape or not (_is_numeric(expected) and
                                                     _is_numeric(received)):
        return 0
    differ = ~np.isclose(expected, received, equal_nan=True)
    if not differ.any():
        differ = expected != received
    return int(np.argmax(differ.ravel())) if differ.any() else 0


def quiet(fn, *args, **kwargs):
    """Calls `fn` with NumPy's warnings off: for known wrong variants that may overflow or
    give NaN (they are compared, never shown as warnings)."""
    with np.errstate(all="ignore"):
        return fn(*args, **kwargs)


def mistakes_from(answer, table, *args, **kwargs):
    """The result each known mistake gives, for `Exercise.compare(mistakes=...)`.

    Args:
        answer: the exercise's switch oracle: `answer(*args, **kwargs)` is the right
            result, and each switch (a keyword argument) turns on one mistake.
        table: dict mapping a mistake's description to its switches, e.g.
            `{"exp(x) instead of exp(-x)": {"sign": 1}}`.
        *args, **kwargs: the case's inputs.

    Returns:
        A dict mapping each description to `answer(*args, **kwargs, **switches)`,
        computed with NumPy's warnings off (a mistake may overflow). A switch oracle
        returns None for a mistake that cannot happen on a case (e.g. an axis the
        input does not have): the comparisons skip it.

    Example:

    >>> def _relu_answer(x, *, slope=0.0):
    ...     return np.where(x > 0, x, slope * x)
    >>> mistakes_from(_relu_answer, {"the identity": {"slope": 1.0}}, np.array([-2.0]))
    {'the identity': array([-2.])}
    """
    return {description: quiet(answer, *args, **kwargs, **switches)
            for description, switches in table.items()}


def filled_in(table, **values):
    """A mistakes table whose descriptions name values of the case: each description's
    `{placeholders}` filled in from `values` (`str.format`).

    Example:

    >>> filled_in({"folds of n // k = {size}": {"sizes": "floor"}}, size=3)
    {'folds of n // k = 3': {'sizes': 'floor'}}
    """
    return {description.format(**values): switches for description, switches in table.items()}


def mistake_message(descriptions):
    """The sentence that names known mistakes a result matches.

    Several mistakes can give the same result on a case: the message names them all.

    Example:

    >>> mistake_message(["a sum, not a mean"])
    'your result matches a common mistake: a sum, not a mean.'
    """
    descriptions = list(dict.fromkeys(descriptions))
    if len(descriptions) == 1:
        return f"your result matches a common mistake: {descriptions[0]}."
    return ("your result matches common mistakes that give the same result here: " +
            "; or ".join(descriptions) + ".")


def first_mismatch(expected, received):
    """The first index where two sequences differ (the shorter length if one is a prefix)."""
    return next((i for i, (a, b) in enumerate(zip(expected, received)) if a != b),
                min(len(expected), len(received)))


def is_int(value):
    """Tells whether `value` is a whole-number type (Python or NumPy int, not bool)."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def random_values(seed, shape, scale=1.0):
    """Fixed test values: normal with mean 0 and standard deviation `scale`, from `seed`."""
    return np.random.default_rng(seed).normal(0.0, scale, size=shape)


def count_agrees(count, n, p, sigmas=5.0):
    """Tells whether `count` successes in `n` trials agree with probability `p`.

    The statistical cases of checks (dropout masks, masked tokens, random draws) use it:
    a count within `sigmas` standard deviations (plus 1.5 for small n) of n * p agrees,
    so a correct answer fails far less often than once in a million runs.
    """
    return abs(count - n * p) <= sigmas * math.sqrt(n * p * (1.0 - p)) + 1.5


def expected_count(n, p, sigmas=5.0):
    """Describes the count `count_agrees` accepts, in words, for messages."""
    spread = sigmas * math.sqrt(n * p * (1.0 - p)) + 1.5
    return f"about {n * p:.0f}, between {max(n * p - spread, 0):.0f} and {n * p + spread:.0f}"


def counts_follow(counts, trials, probs, sigmas=5.0):
    """Tells whether observed counts follow their probabilities, outcome by outcome.

    Each count out of `trials` tries must agree with its probability as `count_agrees`
    says; an outcome of probability 0 or 1 has no spread: it must come never, or every
    time.

    Args:
        counts: how often each outcome came (an array).
        trials: how many tries each count had (a number, or one per outcome).
        probs: each outcome's probability per try, of the shape of `counts`.
        sigmas: the tolerance in binomial standard deviations.
    """
    counts = np.ravel(np.asarray(counts, np.float64))
    probs = np.ravel(np.asarray(probs, np.float64))
    trials = np.broadcast_to(np.asarray(trials, np.float64), probs.shape).ravel()
    for count, n, p in zip(counts, trials, probs):
        if p in (0.0, 1.0):
            if count != n * p:
                return False
        elif not count_agrees(count, n, p, sigmas):
            return False
    return True


def compare_frequencies(ex, case, counts, trials, probs, *, problem, hint, mistakes=None,
                        observed="frequencies", tries="tries"):
    """Fails `case` unless the counts follow `probs` (`counts_follow`), naming a known
    mistake whose probabilities they follow instead.

    Args:
        ex, case: the `Exercise` and the case.
        counts, trials, probs: as for `counts_follow`.
        mistakes: dict mapping a description to the probabilities that mistake gives;
            those within 0.02 of `probs` everywhere cannot be told apart and are skipped.
            None: no known mistake.
        problem: function of the outcome that strays most (its index) -> the sentence
            that says so, for a mismatch no known mistake explains.
        hint: what to look at then.
        observed: what was counted, in words ("the draws match a common mistake").
        tries: what a try is, in words ("frequencies in 4000 draws").
    """
    __tracebackhide__ = True
    if counts_follow(counts, trials, probs):
        return
    counts, probs = np.asarray(counts, np.float64), np.asarray(probs, np.float64)
    shown = (f"\n  expected probabilities: {np.array2string(probs, precision=3)}"
             f"\n  frequencies in {trials} {tries}: "
             f"{np.array2string(counts / trials, precision=3)}")
    matched = [description for description, wrong in (mistakes or {}).items()
               if not np.allclose(wrong, probs, atol=0.02) and counts_follow(counts, trials, wrong)]
    if matched:
        ex.fail(case, mistake_message(matched).replace("your result matches",
                                                  f"the {observed} match", 1)
                + shown)
    worst = int(np.argmax(np.abs(counts - trials * probs)))
    ex.fail(case, problem(worst) + shown, hint)


#: What to do when a function touched NumPy's or Python's global random generator.
GLOBAL_GENERATORS_HINT = ("draw every random number from the generator you are given "
                          "(rng, or one made with np.random.default_rng(seed)); NumPy's and "
                          "Python's global generators belong to the rest of the notebook.")


def require_global_generators_untouched(ex, case, run, what="your function",
                                        hint=GLOBAL_GENERATORS_HINT):
    """Runs `run()` and fails `case` if it changed NumPy's or Python's global random
    generator (`np.random.seed`, `np.random.*`, `random.*`); returns what `run` returned.

    The generators are restored either way, so that the notebook's later cells draw
    what they would have drawn.

    Args:
        ex, case: the `Exercise` and the case name.
        run: a function without arguments that calls the student's code.
        what: what `run` does, in words, e.g. `"choosing 30 actions"`.
        hint: what to do instead.
    """
    __tracebackhide__ = True
    import random

    numpy_state, python_state = np.random.get_state(), random.getstate()
    try:
        result = run()
        after = np.random.get_state()
        touched = random.getstate() != python_state or not (
            np.array_equal(after[1], numpy_state[1]) and after[2:] == numpy_state[2:])
    finally:
        np.random.set_state(numpy_state)
        random.setstate(python_state)
    ex.require(case, not touched,
               f"{what} changed NumPy's or Python's global random generator: the code seeds "
               f"it (np.random.seed, random.seed) or draws from it (np.random.*, random.*), "
               f"which changes every later random number of the notebook.", hint)
    return result


def require_own_randomness(ex, case, call, *, what="result"):
    """Fails `case` unless a random function draws from the generator it is given, and
    from nothing else.

    `call(rng)` calls the student's function with the NumPy generator `rng` and
    returns what its draws decide (e.g. the mask of dropped elements). It runs three
    times: twice with generators of one seed, NumPy's and Python's global generators
    seeded differently before each; once with a generator of another seed. The first
    two results must be equal (else the function draws from `np.random.*` or
    `random.*`); the third must differ (else it ignores `rng`, e.g. it makes a generator
    of its own from a fixed seed); and no call may change the global generators (see
    `require_global_generators_untouched`: seeding them from `rng` repeats, but changes
    the rest of the notebook). The global generators are restored afterwards, so that
    the notebook's later cells draw what they would have drawn.

    Args:
        ex, case: the `Exercise` and the case name.
        call: function of a generator -> the part of the result the draws decide.
        what: that part, in words, e.g. `"the dropped elements"`.
    """
    __tracebackhide__ = True
    import random

    numpy_state, python_state = np.random.get_state(), random.getstate()
    try:
        results = []
        for seed, global_seed in ((1234, 1), (1234, 2), (4321, 1)):
            np.random.seed(global_seed)
            random.seed(global_seed)
            results.append(call(np.random.default_rng(seed)))
    finally:
        np.random.set_state(numpy_state)
        random.setstate(python_state)
    same = [np.array_equal(np.asarray(results[0]), np.asarray(r)) for r in results[1:]]
    ex.require(case, same[0],
               f"two generators made with the same seed gave different {what} when NumPy's "
               f"global seed changed: your function draws from np.random.* or random.*, not "
               f"from rng.",
               "draw with the rng argument only (rng.random, rng.integers, rng.choice, ...), "
               "so that the caller's generator decides every draw.")
    ex.require(case, not same[1],
               f"generators made with two different seeds gave the same {what}: your "
               f"function does not draw from rng (a generator of its own, made from a fixed "
               f"seed?).",
               "draw with the rng argument you are given; do not make a generator inside "
               "the function.")
    require_global_generators_untouched(
        ex, case, lambda: call(np.random.default_rng(1234)), f"drawing the {what}",
        "draw with the rng argument only (rng.random, rng.integers, rng.choice, ...); do not "
        "seed or use np.random.* or random.*.")


def import_tensorflow():
    """Imports TensorFlow on first use, quietly, so importing a check module stays cheap."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow

    return tensorflow


def import_keras():
    """Imports Keras (and TensorFlow, its backend here) on first use."""
    import_tensorflow()
    import keras

    return keras


def _is_tensor(value):
    return type(value).__module__.startswith(("tensorflow", "keras")) and hasattr(value, "numpy")


def _where_in_student_code(tb):
    """Finds the last traceback frame in the student's own code and quotes its line.

    Frames inside helpers, the standard library and installed packages (NumPy,
    TensorFlow, ...) are skipped: the student's line is what they can change.
    """
    library_dirs = (_HELPERS_DIR, sysconfig.get_paths()["stdlib"])
    for frame in reversed(traceback.extract_tb(tb)):
        path = os.path.abspath(frame.filename)
        in_packages = f"{os.sep}site-packages{os.sep}" in path or \
            f"{os.sep}dist-packages{os.sep}" in path
        if path.startswith(library_dirs) or in_packages:
            continue
        line = (frame.line or "").strip()
        return f" (in {frame.name}, line {frame.lineno}: `{line}`)" if line else ""
    return ""


#: What a student is told when their answer makes the check itself fail.
UNEXAMINED_HINT = ("write the answer in the form its docstring describes (what it takes "
                   "and returns); if it does, this is a bug in the workbook's check: "
                   "please report it with your code.")

#: Every declared check, by exercise id (`"04.1"`): filled by `exercise` as the check
#: modules are imported.
CHECKS = {}


def exercise(exercise_id):
    """Declares a check: the decorated function receives the `Exercise` and runs the cases.

    The decorator builds the `Exercise` for the student's function (named like the
    check), hides its own frames, prints the success line when the body returns, and
    registers the check in `CHECKS` under `exercise_id`. An exception other than a
    `CheckError` that escapes the body (inspecting a student's model raised, say)
    becomes a `CheckError` that says so: a student never sees a traceback from helpers.

    Args:
        exercise_id: the id of the exercise's `# TEST:` line, e.g. `"01.5"`.

    Example:

    >>> @exercise("01.5")
    ... def relu(ex):
    ...     x = np.array([-1.0, 2.0])
    ...     ex.compare("mixed signs", ex.call("mixed signs", x), np.maximum(x, 0))
    >>> relu(lambda x: np.maximum(x, 0))
    01.5 relu: all 1 case passed
    """
    def declare(body):
        name = body.__name__
        if exercise_id in CHECKS:
            raise ValueError(f"two checks declare the exercise {exercise_id}: "
                             f"{CHECKS[exercise_id].__name__} and {name}.")

        @functools.wraps(body)
        def check(student_fn):
            __tracebackhide__ = True
            ex = Exercise(exercise_id, name, student_fn)
            scopes = _keras_name_scopes()
            try:
                body(ex)
            except CheckError:
                raise
            except Exception as error:  # noqa: BLE001 - never a traceback from helpers
                where = _where_in_student_code(error.__traceback__)
                raise CheckError(
                    f"{ex.title}: the check could not examine your answer: "
                    f"{type(error).__name__}: {error}{where}\nHint: {UNEXAMINED_HINT}"
                ) from None
            finally:
                _restore_keras_name_scopes(scopes)
            ex.passed()

        check.exercise_id = exercise_id
        CHECKS[exercise_id] = check
        return check

    return declare


def _keras_name_scopes():
    """A copy of Keras's stack of open name scopes, or None before Keras is imported.

    A student's model that raises while Keras builds it can leave a scope open, and every
    variable the notebook makes afterwards would carry its name: a check puts the stack
    back as it found it (`_restore_keras_name_scopes`).
    """
    if "keras" not in sys.modules:
        return None
    from keras.src.backend.common import global_state

    return list(global_state.get_global_attribute("name_scope_stack", default=[]) or [])


def _restore_keras_name_scopes(scopes):
    if scopes is None:
        return
    from keras.src.backend.common import global_state

    global_state.set_global_attribute("name_scope_stack", scopes)


class Exercise:
    """One run of one exercise check.

    Args:
        exercise_id: the id in the notebook's `# TEST:` line, e.g. `"01.3"`.
        name: the graded function's name, e.g. `"relu"`.
        student_fn: what the student passed to the check (their function).

    Example:

    >>> ex = Exercise("01.3", "relu", relu)
    >>> out = ex.call("mixed signs", np.array([-1.0, 2.0]))
    >>> ex.compare("mixed signs", out, np.array([0.0, 2.0]))
    >>> ex.passed()
    01.3 relu: all 1 case passed
    """

    def __init__(self, exercise_id, name, student_fn):
        __tracebackhide__ = True
        self.exercise_id = exercise_id
        self.name = name
        self.fn = student_fn
        self.cases = set()
        if not callable(student_fn):
            raise CheckError(
                f"{self.title}: the check needs your function itself, received "
                f"{describe(student_fn)}. Call it as check.{name}({name}), without "
                f"parentheses after the second {name}."
            )

    @property
    def title(self):
        return f"{self.exercise_id} {self.name}"

    def sibling(self, student_fn):
        """An `Exercise` of the same id and name that calls `student_fn` instead: a method
        of the student's object, or their layer called in a wrapper. Its cases count as
        this one's, so the success line counts them all."""
        __tracebackhide__ = True
        other = Exercise(self.exercise_id, self.name, student_fn)
        other.cases = self.cases
        return other

    def fail(self, case, problem, hint=None, part=None):
        """Raises CheckError for `case` (and `part` of its result) with a problem and a hint."""
        __tracebackhide__ = True
        where = f"case '{case}'" + (f", {part}" if part else "")
        message = f"{self.title}, {where}: {problem}"
        if hint:
            message += f"\nHint: {hint}"
        raise CheckError(message) from None

    def fail_mistake(self, case, descriptions, details=None, hint=None, part=None):
        """Raises CheckError for `case`, naming the known mistake(s) the result matches.

        Args:
            case: name of the case, shown in messages.
            descriptions: a mistake's description, or a list of them (all give the
                received result; the message names each).
            details: more lines, e.g. `"expected: ...\n  received: ..."`.
            hint: what to look at, shown on failure.
            part: which part of a structured result this is.
        """
        __tracebackhide__ = True
        if isinstance(descriptions, str):
            descriptions = [descriptions]
        problem = mistake_message(descriptions) + (f"\n  {details}" if details else "")
        self.fail(case, problem, hint, part)

    def compare_sequence(self, case, received, expected, *, items, hint=None, mistakes=None,
                         part=None):
        """Fails `case` unless two lists are equal, naming the known mistakes that give the
        received list, then the first item that differs.

        Args:
            case: name of the case, shown in messages.
            received, expected: lists (of merges, tokens, decisions, ...).
            items: what the list holds, in words, e.g. `"merge"` (for "merge 3 differs").
            hint: what to look at.
            mistakes: dict mapping a mistake's description to the list it gives
                (`mistakes_from`); those equal to `expected` are skipped.
            part: which part of a structured result the list is, e.g. `"tokens"`.
        """
        __tracebackhide__ = True
        self.cases.add(case)
        if received == expected:
            return
        i = first_mismatch(expected, received)
        where = (f"{items} {i + 1} differs: expected {expected[i]!r}, received {received[i]!r}"
                 if i < min(len(expected), len(received)) else
                 f"expected {len(expected)} {items}s, received {len(received)}")
        details = f"{where}.\n  expected: {describe(expected)}\n  received: {describe(received)}"
        named = [name for name, wrong in (mistakes or {}).items()
                 if wrong != expected and wrong == received]
        if named:
            self.fail_mistake(case, named, details, hint, part)
        self.fail(case, details, hint, part)

    def call(self, case, *args, copy_inputs=True, returns_new=False, **kwargs):
        """Calls the student's function on one case and returns its result.

        Arguments are passed as copies; if the function changes its inputs in
        place the check fails, since callers do not expect that. Pass
        `copy_inputs=False` for arguments that must keep their identity (a
        Keras tensor copied would be cut off from its `keras.Input`). Pass
        `returns_new=True` for a function documented to return a new array: the
        check fails when an array of the result shares memory with an input (a view
        of it, or the input itself).

        Raises:
            NotAttemptedError: the function raised NotImplementedError.
            CheckError: the function raised any other exception, or changed
                an input array in place.
        """
        __tracebackhide__ = True
        self.cases.add(case)
        if copy_inputs:
            originals = copy.deepcopy((args, kwargs))
            passed_args, passed_kwargs = copy.deepcopy((args, kwargs))
        else:
            passed_args, passed_kwargs = args, kwargs
        try:
            result = self.fn(*passed_args, **passed_kwargs)
        except NotImplementedError:
            raise NotAttemptedError(
                f"{self.title}: {notebook_format.NOT_ATTEMPTED}. Replace "
                f"`{notebook_format.STUB[1]}` in "
                f"{self.name} with your code, run that cell, then run this one again."
            ) from None
        except Exception as error:  # the student's bug, reported without our frames
            where = _where_in_student_code(error.__traceback__)
            message = f"your function raised {type(error).__name__}: {error}{where}"
            self.fail(case, message, self._inputs_hint(args, kwargs))
        if copy_inputs:
            self._check_inputs_unchanged(case, originals, (passed_args, passed_kwargs))
        if returns_new:
            self._check_result_is_new(case, result, passed_args, passed_kwargs)
        return result

    def _check_result_is_new(self, case, result, args, kwargs):
        __tracebackhide__ = True
        names = self.parameter_names()
        inputs = list(zip(names, args)) + list(kwargs.items())
        for part in _arrays_in(result):
            for name, value in inputs:
                if any(np.shares_memory(part, array) for array in _arrays_in(value)):
                    self.fail(case, f"your function returned the input `{name}` itself, or a "
                                    f"view of it (they share memory): whoever changes the "
                                    f"result would change `{name}` too.",
                              "return a new array: compute it with operations that make one, "
                              "or end with .copy() (slicing and reshape give views).")

    def call_explained(self, case, explain, *args, copy_inputs=True, **kwargs):
        """`call`, with one more hint when the student's function raises a known error.

        For errors that a known mistake causes deep inside a library (e.g. Keras
        refusing a layer's input shape), where the student's line alone does not
        say what to change.

        Args:
            case: name of the case, shown in messages.
            explain: a function of the failure message that returns the extra
                hint for an error it recognises, or None to leave the message
                as it is.
            *args, copy_inputs, **kwargs: as for `call`.

        Raises:
            NotAttemptedError: the function raised NotImplementedError (unchanged).
            CheckError: as for `call`, the extra hint added after the message's hint.
        """
        __tracebackhide__ = True
        try:
            return self.call(case, *args, copy_inputs=copy_inputs, **kwargs)
        except NotAttemptedError:
            raise
        except CheckError as error:
            message = str(error)
            extra = explain(message)
            if not extra:
                raise
            raise CheckError(message + ("\n" if "\nHint: " in message else "\nHint: ")
                             + extra) from None

    def call_expecting_error(self, case, error_type, why, *args, hint=None, **kwargs):
        """Calls the student's function on a bad input that it must refuse.

        Args:
            case: name of the case, shown in messages.
            error_type: the exception class the function must raise, e.g. ValueError.
            why: why this input is bad, e.g. `"label 4 is outside [0, 4)"`.
            *args, **kwargs: the bad input.
            hint: what to do instead, shown on failure.

        Raises:
            NotAttemptedError: the function raised NotImplementedError.
            CheckError: the function returned a result, or raised another exception.
        """
        __tracebackhide__ = True
        self.cases.add(case)
        try:
            self.fn(*copy.deepcopy(args), **copy.deepcopy(kwargs))
        except NotImplementedError:
            self.call(case, *args, **kwargs)  # reports "not attempted yet"
        except error_type:
            return
        except Exception as error:  # the wrong kind of error, reported with the student's line
            where = _where_in_student_code(error.__traceback__)
            self.fail(case, f"{why}, so your function must raise {error_type.__name__}; "
                            f"it raised {type(error).__name__}: {error}{where}", hint)
        self.fail(case, f"{why}, so your function must raise {error_type.__name__}; it "
                        f"returned a result instead.", hint)

    def _inputs_hint(self, args, kwargs):
        names = self.parameter_names()
        parts = [f"{name}={describe_argument(a)}" for name, a in zip(names, args)]
        parts += [f"{k}={describe_argument(v)}" for k, v in kwargs.items()]
        return "it was called with " + ", ".join(parts) if parts else None

    def _check_inputs_unchanged(self, case, before, after):
        __tracebackhide__ = True
        names = self.parameter_names()
        (args0, kwargs0), (args1, kwargs1) = before, after
        pairs = list(zip(names, args0, args1)) + [(k, kwargs0[k], kwargs1[k]) for k in kwargs0]
        for name, old, new in pairs:
            if not _unchanged(old, new):
                if isinstance(old, np.ndarray):
                    hint = (f"work on a copy (`{name} = {name}.copy()`) or build a new array "
                            f"instead of assigning into `{name}`.")
                else:
                    hint = ("build and return new containers (e.g. a dict comprehension); "
                            "`p -= ...` or `d[key] = ...` change the caller's data.")
                self.fail(case, f"your function changed its input `{name}` in place.", hint)

    def parameter_names(self):
        """Names for the positional arguments, e.g. ["x", "p"], then "argument 3", ..."""
        try:
            parameters = inspect.signature(self.fn).parameters.values()
            names = [p.name for p in parameters
                     if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        except (TypeError, ValueError):
            names = []
        return names + [f"argument {i + 1}" for i in range(len(names), 32)]

    def compare(self, case, received, expected, *, rtol=1e-5, atol=1e-6, kind="array",
                hint=None, shape_hint=None, mistakes=None, nonfinite_hint=None, part=None):
        """Compares one result with the expected value and fails on the first problem.

        The order is type, shape, dtype, finiteness, values. Before reporting
        a shape or value problem it tries `mistakes`: when the received value
        equals one of those known wrong answers, the message names the mistake.

        Args:
            case: name of the case, shown in messages.
            received: what the student's function returned.
            expected: the oracle's answer (array-like).
            rtol: relative tolerance.
            atol: absolute tolerance.
            kind: `"array"` (a NumPy array is required), `"scalar"` (a single
                number: Python, NumPy or 0-d array) or `"tensor"` (a TF tensor
                or a NumPy array).
            hint: what to look at when the values differ.
            shape_hint: what to look at when the shape is wrong (or an array
                came back where one number was expected); defaults to `hint`.
            mistakes: dict mapping a description of a known mistake to the
                value that mistake would produce.
            nonfinite_hint: what to look at when the result holds NaN or inf.
            part: which part of a structured result this is, e.g.
                `"grads['w1']"`; shown in messages, not counted as a case.
        """
        __tracebackhide__ = True
        self.cases.add(case)
        expected = np.asarray(expected)
        shape_hint = hint if shape_hint is None else shape_hint
        array = self._check_type(case, received, kind, part, shape_hint)
        self._check_mistakes(case, array, expected, rtol, atol, mistakes, part)
        if array.shape != expected.shape:
            self.fail(
                case,
                f"wrong shape.\n  expected shape: {expected.shape}\n  received shape: "
                f"{array.shape}",
                shape_hint or "check which axes you reduce or sum over.",
                part,
            )
        self._check_dtype(case, array, expected, part)
        finite = np.isfinite(expected) if _is_numeric(expected) else True
        if _is_numeric(array) and np.any(~np.isfinite(array) & finite):
            bad = np.argwhere(~np.isfinite(array) & finite)
            self.fail(
                case,
                f"your result holds {len(bad)} NaN or infinite value(s) where finite "
                f"numbers were expected, first at index {tuple(int(i) for i in bad[0])}."
                f"\n  received: {describe(array)}",
                nonfinite_hint
                or "look for exp() of large numbers, log(0) or a division by zero.",
                part,
            )
        if _is_numeric(expected):
            close = np.isclose(array, expected, rtol=rtol, atol=atol, equal_nan=True)
            if not np.all(close):
                diff = np.abs(array.astype(np.float64) - expected.astype(np.float64))
                worst = np.unravel_index(np.nanargmax(np.where(close, 0, diff)), diff.shape)
                worst = tuple(int(i) for i in worst)
                shown_expected, shown_received = describe_pair(expected, array)
                at = f" at index {worst}" if worst else ""
                self.fail(
                    case,
                    f"values differ at {int(np.sum(~close))} of {close.size} position(s)."
                    f"\n  expected: {shown_expected}\n  received: {shown_received}"
                    f"\n  largest difference {float(diff[worst]):.3g}{at}: expected "
                    f"{_digits(expected[worst], array[worst])}, received "
                    f"{_digits(array[worst], expected[worst])} (tolerance {atol:g} + "
                    f"{rtol:g} x |expected| = {atol + rtol * abs(float(expected[worst])):.3g})",
                    hint,
                    part,
                )
        elif not np.array_equal(array, expected):
            shown_expected, shown_received = describe_pair(expected, array)
            self.fail(case, f"expected {shown_expected}, received {shown_received}", hint, part)

    def _check_type(self, case, received, kind, part=None, hint=None):
        __tracebackhide__ = True
        if kind not in ("array", "scalar", "tensor"):
            raise ValueError(f"compare(kind=...) must be array, scalar or tensor, not {kind!r}")
        if received is None:
            self.fail(
                case,
                "your function returned None.",
                "end it with a `return` statement that returns the result.", part=part)
        if _is_tensor(received):
            if kind == "tensor":
                return np.asarray(received)
            self.fail(
                case,
                f"your function returned a TensorFlow tensor ({type(received).__name__}), "
                f"expected a NumPy {'number' if kind == 'scalar' else 'array'}.",
                "this exercise is written in NumPy: use np.* functions instead of tf.*.", part=part)
        if kind == "scalar":
            if isinstance(received, (int, float, np.number, np.bool_)) and not isinstance(
                received, bool
            ):
                return np.asarray(received)
            if isinstance(received, np.ndarray) and received.shape in ((), (1,)):
                return received.reshape(())
            if isinstance(received, np.ndarray):
                self.fail(
                    case,
                    f"expected a single number, received an array of shape {received.shape}.",
                    hint or "reduce the array to one number, or return a plain int or "
                            "float.", part=part)
            self.fail(case, f"expected a single number, received a {type(received).__name__}: "
                            f"{describe(received)}.", hint, part=part)
        if not isinstance(received, np.ndarray):
            self.fail(
                case,
                f"expected a NumPy array, received {type(received).__name__}: "
                f"{describe(received)}.",
                "build the result with NumPy operations, or wrap it in np.asarray(...).", part=part)
        return received

    def _check_dtype(self, case, array, expected, part=None):
        __tracebackhide__ = True
        float_expected = np.issubdtype(expected.dtype, np.floating)
        if float_expected and not np.issubdtype(array.dtype, np.floating):
            self.fail(
                case,
                f"expected floating-point values, received dtype {array.dtype}.",
                "start from a float array (e.g. np.zeros(shape, dtype=np.float32)) or "
                "convert with .astype(np.float32); integer arrays round every value.", part=part)
        if not float_expected and np.issubdtype(array.dtype, np.floating) and \
                _is_numeric(expected) and expected.dtype != np.bool_:
            if not np.all(np.mod(array, 1) == 0):
                self.fail(case, f"expected whole numbers, received dtype {array.dtype}.", part=part)

    def _check_mistakes(self, case, array, expected, rtol, atol, mistakes, part=None):
        __tracebackhide__ = True
        if not mistakes or not _is_numeric(array):
            return
        if array.shape == expected.shape and _is_numeric(expected) and np.allclose(
            array, expected, rtol=rtol, atol=atol, equal_nan=True
        ):
            return
        matched = []
        for description, wrong in mistakes.items():
            wrong = np.asarray(wrong)
            if wrong.shape != array.shape or not _is_numeric(wrong):
                continue
            if np.allclose(array, wrong, rtol=rtol, atol=atol, equal_nan=True):
                matched.append(description)
        if matched:
            shown_expected, shown_received = describe_pair(expected, array)
            self.fail_mistake(case, matched, f"expected: {shown_expected}\n  received: "
                                             f"{shown_received}", part=part)

    def require(self, case, condition, problem, hint=None, part=None):
        """Fails `case` (and `part` of its result) with `problem` unless `condition` is true."""
        __tracebackhide__ = True
        self.cases.add(case)
        if not condition:
            self.fail(case, problem, hint, part)

    def require_pair(self, case, result, names, hint):
        """Fails `case` unless `result` is a tuple or list of two values; returns them.

        For exercises that return two things, e.g. `return output, weights`.

        Args:
            case: name of the case, shown in messages.
            result: what the student's function returned.
            names: the pair in words, e.g. `"(output, weights)"`.
            hint: what to return instead, shown on failure.

        Returns:
            The two values, as a tuple.
        """
        __tracebackhide__ = True
        self.require(case, isinstance(result, (tuple, list)) and len(result) == 2,
                     f"expected a pair {names}, received {describe(result)}.", hint)
        return tuple(result)

    def passed(self):
        """Prints the stable success line, e.g. `01.3 relu: all 5 cases passed`."""
        print(notebook_format.success_line(self.exercise_id, self.name, len(self.cases)))


def _arrays_in(value):
    """The NumPy arrays in a value: itself, or those in a tuple, list or dict of them."""
    if isinstance(value, np.ndarray):
        return [value]
    if isinstance(value, (list, tuple)):
        return [a for v in value for a in _arrays_in(v)]
    if isinstance(value, dict):
        return [a for v in value.values() for a in _arrays_in(v)]
    return []


def _unchanged(old, new):
    """Tells whether an argument is still what it was (arrays, dicts and lists of them)."""
    if isinstance(old, np.ndarray):
        return isinstance(new, np.ndarray) and old.shape == new.shape and \
            np.array_equal(old, new, equal_nan=old.dtype.kind in "fc")
    if isinstance(old, dict):
        return isinstance(new, dict) and old.keys() == new.keys() and all(
            _unchanged(old[k], new[k]) for k in old)
    if isinstance(old, (list, tuple)):
        return type(old) is type(new) and len(old) == len(new) and all(
            _unchanged(a, b) for a, b in zip(old, new))
    return True


def _digits(value, other):
    """A number with 6 significant digits, or as many as it takes to differ from `other`."""
    for digits in (6, 10, 17):
        text = f"{float(value):.{digits}g}"
        if text != f"{float(other):.{digits}g}":
            break
    return text


def _is_numeric(array):
    return np.issubdtype(array.dtype, np.number) or array.dtype == np.bool_
