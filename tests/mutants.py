"""Shared pieces of the mutation tests in tests/test_checks_*.py.

Each of those files has the same layout:

* `REFERENCES`: the exercise name mapped to a reference solution. A reference
  may take keyword-only switches (e.g. `vgg_block(x, n, f, *, padding="same")`)
  whose defaults give the right answer and whose other values give a known
  wrong version.
* `MUTANTS`: the wrong versions, as tuples `(exercise name, wrong function,
  regex the check's message must match)`. Each wrong function is a lambda in
  the list: the reference with one switch flipped, or a one-line wrong formula.
* `class TestChecks(CheckTests)`, which names the check module, `REFERENCES`
  and `MUTANTS`: `CheckTests` runs, for every exercise, the helpers below,
  which prove that the check passes its reference with one success line,
  explains a result passed instead of the function, rejects every wrong version
  with a message that names the mistake, and has at least three wrong versions,
  and read chosen messages in full (`MESSAGES`). (That every check reports the
  release stub as "not attempted yet" is tested once, for every test line, in
  tests/test_release.py.)
* tests of that module's own cases, after it.
"""

import numpy as np
import pytest

from helpers.checks.core import CheckError, NotAttemptedError
from helpers.notebook_format import parse_success_line


def mutant_ids(mutants):
    """Test ids like `softmax-3`: the exercise name and the mutant's index."""
    return [f"{name}-{i}" for i, (name, _, _) in enumerate(mutants)]


def assert_reference_passes(check_module, name, fn, capsys):
    """Asserts that the check `name` passes `fn` and prints exactly one success line.

    The line must read as a success line (`helpers.notebook_format`) for the
    exercise `name`; its id is not repeated here, since the notebook tests
    prove that ids and notebooks agree.
    """
    __tracebackhide__ = True
    getattr(check_module, name)(fn)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1, lines
    parsed = parse_success_line(lines[0])
    assert parsed is not None, f"not a success line: {lines[0]!r}"
    assert parsed[1] == name, lines[0]


def assert_call_explained(check_module, name):
    """Asserts that passing a result (not the function) is explained: `check.f(f)`."""
    __tracebackhide__ = True
    with pytest.raises(CheckError, match=rf"check\.{name}\({name}\), without parentheses"):
        getattr(check_module, name)(np.ones(3))


def assert_rejected(check_module, name, wrong, message):
    """Asserts that the check `name` fails `wrong` with a message matching `message`.

    A `NotAttemptedError` does not count: that message is for stubs, not wrong answers.
    """
    __tracebackhide__ = True
    with pytest.raises(CheckError, match=message) as info:
        getattr(check_module, name)(wrong)
    assert not isinstance(info.value, NotAttemptedError), str(info.value)


def assert_message(check_module, name, wrong, start, fragments):
    """Asserts that the check `name` fails `wrong` with a message that starts with `start`
    (the exercise, the case and the part) and contains each of `fragments` (plain text)."""
    __tracebackhide__ = True
    with pytest.raises(CheckError) as info:
        getattr(check_module, name)(wrong)
    message = str(info.value)
    assert message.startswith(start), message
    missing = [fragment for fragment in fragments if fragment not in message]
    assert not missing, f"{missing} not in {message}"


def assert_enough_mutants(mutants, exercise_names, minimum=3):
    """Asserts that every exercise in `exercise_names` has at least `minimum` mutants."""
    __tracebackhide__ = True
    counts = {name: sum(m[0] == name for m in mutants) for name in exercise_names}
    assert min(counts.values()) >= minimum, counts


class CheckTests:
    """The tests every check module gets, from a test file's references and mutants.

    A test file subclasses it (the subclass's name starts with `Test`, so that
    pytest collects it) and sets three class attributes:

    * `check_module`: the module under test, e.g. `helpers.checks.deep_cnns`;
    * `references`: the exercise name mapped to its reference solution;
    * `mutants`: the list of `(exercise name, wrong function, message regex)`;
    * `messages` (optional): messages read in full, `(exercise name, wrong function,
      the message's exact start, [texts it must contain])`.
    """

    check_module = None
    references = None
    mutants = ()
    messages = ()

    def pytest_generate_tests(self, metafunc):
        """One test per exercise (`name`), per wrong version (`name, wrong, message`) or per
        message read in full (`name, wrong, start, fragments`)."""
        if "start" in metafunc.fixturenames:
            metafunc.parametrize("name, wrong, start, fragments", self.messages,
                                 ids=[f"{m[0]}-{i}" for i, m in enumerate(self.messages)])
        elif "wrong" in metafunc.fixturenames:
            metafunc.parametrize("name, wrong, message", self.mutants,
                                 ids=mutant_ids(self.mutants))
        elif "name" in metafunc.fixturenames:
            metafunc.parametrize("name", list(self.references))

    def test_reference_passes_with_one_success_line(self, name, capsys):
        assert_reference_passes(self.check_module, name, self.references[name], capsys)

    def test_a_result_instead_of_the_function_is_explained(self, name):
        assert_call_explained(self.check_module, name)

    def test_wrong_version_fails_with_reason(self, name, wrong, message):
        assert_rejected(self.check_module, name, wrong, message)

    def test_message_read_in_full(self, name, wrong, start, fragments):
        assert_message(self.check_module, name, wrong, start, fragments)

    def test_every_exercise_has_at_least_three_mutants(self):
        assert_enough_mutants(self.mutants, self.references)
