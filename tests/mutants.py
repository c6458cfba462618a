"""Shared pieces of the mutation tests in tests/test_checks_*.py.

Each of those files lists its wrong versions ("mutants") as tuples
`(exercise name, wrong function, regex the check's message must match)` and uses
these helpers to prove that every check rejects them with a useful message.
"""

import pytest

from helpers.checks.core import CheckError, NotAttemptedError


def mutant_ids(mutants):
    """Test ids like `softmax-3`: the exercise name and the mutant's index."""
    return [f"{name}-{i}" for i, (name, _, _) in enumerate(mutants)]


def assert_rejected(check_module, name, wrong, message):
    """Asserts that the check `name` fails `wrong` with a message matching `message`.

    A `NotAttemptedError` does not count: that message is for stubs, not wrong answers.
    """
    __tracebackhide__ = True
    with pytest.raises(CheckError, match=message) as info:
        getattr(check_module, name)(wrong)
    assert not isinstance(info.value, NotAttemptedError), str(info.value)


def assert_enough_mutants(mutants, exercise_names, minimum=3):
    """Asserts that every exercise in `exercise_names` has at least `minimum` mutants."""
    __tracebackhide__ = True
    counts = {name: sum(m[0] == name for m in mutants) for name in exercise_names}
    assert min(counts.values()) >= minimum, counts
