"""Unit tests of helpers.checks.core: the order of comparisons and the messages."""

import numpy as np
import pytest

from helpers.checks.core import (CheckError, Exercise, NotAttemptedError, compare_frequencies,
                                 counts_follow, describe, first_mismatch, is_int,
                                 mistake_message, mistakes_from, quiet, random_values)


def identity(x):
    return x


def make(fn=identity):
    return Exercise("99.1", "f", fn)


def test_passed_prints_one_stable_line(capsys):
    ex = make()
    for case in ("a", "b", "a"):
        ex.compare(case, ex.call(case, np.ones(2)), np.ones(2))
    ex.passed()
    assert capsys.readouterr().out == "99.1 f: all 2 cases passed\n"
    ex1 = make()
    ex1.require("only", True, "never shown")
    ex1.passed()
    assert capsys.readouterr().out == "99.1 f: all 1 case passed\n"


def test_passing_something_that_is_not_a_function():
    with pytest.raises(CheckError, match=r"needs your function itself.*check\.f\(f\)"):
        Exercise("99.1", "f", np.ones(3))


def test_stub_is_not_attempted():
    def stub(x):
        raise NotImplementedError()

    with pytest.raises(NotAttemptedError, match="99.1 f: not attempted yet"):
        make(stub).call("a", 1)


def test_student_exception_is_reported_with_their_line():
    def broken(x):
        return x[10]

    with pytest.raises(CheckError) as info:
        make(broken).call("short input", np.ones(3))
    message = str(info.value)
    assert "99.1 f, case 'short input': your function raised IndexError" in message
    assert "return x[10]" in message
    assert info.value.__suppress_context__


def test_input_changed_in_place():
    def inplace(x):
        x -= 1
        return x

    with pytest.raises(CheckError, match="changed its input `x` in place"):
        make(inplace).call("a", np.ones(3))


@pytest.mark.parametrize("received, kind, message", [
    (None, "array", "returned None"),
    ([1.0, 2.0], "array", "expected a NumPy array, received list"),
    (np.ones(3), "scalar", r"expected a single number, received an array of shape \(3,\)"),
    ("1.0", "scalar", "expected a single number, received a str: '1.0'"),
])
def test_type_is_checked_first(received, kind, message):
    with pytest.raises(CheckError, match=message):
        make().compare("a", received, np.ones(2) if kind == "array" else 1.0, kind=kind)


def test_tensor_is_refused_in_numpy_exercises_but_accepted_as_tensor():
    import tensorflow as tf

    with pytest.raises(CheckError, match="returned a TensorFlow tensor"):
        make().compare("a", tf.ones(2), np.ones(2))
    make().compare("a", tf.ones(2), np.ones(2), kind="tensor")


def test_scalars_of_every_kind_are_accepted():
    for value in (1.0, np.float32(1.0), np.array(1.0), np.array([1.0])):
        make().compare("a", value, 1.0, kind="scalar")


def test_shape_then_dtype_then_finiteness_then_values():
    ex = make()
    with pytest.raises(CheckError, match=r"(?s)wrong shape.*expected shape: \(2, 3\).*"
                                         r"received shape: \(3, 2\)"):
        ex.compare("a", np.ones((3, 2)), np.ones((2, 3)))
    with pytest.raises(CheckError, match="expected floating-point values, received dtype int64"):
        ex.compare("a", np.ones(3, dtype=np.int64), np.ones(3))
    with pytest.raises(CheckError,
                       match="(?s)1 NaN or infinite value.*index \\(1,\\).*subtract the max"):
        ex.compare("a", np.array([1.0, np.nan]), np.ones(2), nonfinite_hint="subtract the max")
    with pytest.raises(CheckError) as info:
        ex.compare("a", np.array([1.0, 2.5]), np.array([1.0, 2.0]), hint="look at x")
    message = str(info.value)
    assert "values differ at 1 of 2 position(s)" in message
    assert "largest difference 0.5 at index (1,): expected 2, received 2.5" in message
    assert message.endswith("Hint: look at x")


def test_integer_results_where_integers_are_expected():
    make().compare("a", np.array([1.0, 2.0]), np.array([1, 2]))
    with pytest.raises(CheckError, match="expected whole numbers"):
        make().compare("a", np.array([1.5, 2.0]), np.array([1, 2]))


def test_known_mistakes_are_named_even_with_a_wrong_shape():
    mistakes = {"summed instead of averaged": np.array(6.0), "no keepdims": np.ones(3)}
    with pytest.raises(CheckError, match="common mistake: summed instead of averaged"):
        make().compare("a", np.array(6.0), np.array(2.0), kind="scalar", mistakes=mistakes)
    with pytest.raises(CheckError, match="common mistake: no keepdims"):
        make().compare("a", np.ones(3), np.ones((3, 1)), mistakes=mistakes)


def test_mistakes_that_give_the_same_result_are_all_named():
    mistakes = {"summed": np.array(6.0), "three times the mean": np.array(6.0),
                "no mean": np.array(5.0)}
    with pytest.raises(CheckError, match=r"common mistakes that give the same result here: "
                                         r"summed; or three times the mean\.\n  expected"):
        make().compare("a", np.array(6.0), np.array(2.0), kind="scalar", mistakes=mistakes)


def test_mistakes_from_calls_the_switch_oracle_once_per_mistake():
    def mean_answer(x, *, divide=True, square=False):
        x = x ** 2 if square else x
        return np.sum(x) / (len(x) if divide else 1)

    table = {"summed": {"divide": False}, "squared": {"square": True},
             "both": {"divide": False, "square": True}}
    found = mistakes_from(mean_answer, table, np.array([1.0, 3.0]))
    assert found == {"summed": 4.0, "squared": 5.0, "both": 10.0}
    with np.errstate(all="raise"):  # a mistake may overflow: computed quietly
        assert np.isinf(mistakes_from(np.exp, {"large": {}}, 1000.0)["large"])


def test_mistake_message_names_one_or_several_once_each():
    assert mistake_message("x") == mistake_message(["x"]) == \
        "your result matches a common mistake: x."
    assert mistake_message(["a", "b", "a"]) == \
        "your result matches common mistakes that give the same result here: a; or b."


def test_fail_mistake_adds_details_hint_and_part():
    with pytest.raises(CheckError) as info:
        make().fail_mistake("c", ["a", "b"], "expected: 1\n  received: 2", "look", part="y")
    assert str(info.value) == ("99.1 f, case 'c', y: your result matches common mistakes that "
                               "give the same result here: a; or b.\n  expected: 1\n  "
                               "received: 2\nHint: look")


def test_compare_sequence_names_the_first_difference_and_the_mistakes():
    assert first_mismatch([1, 2, 3], [1, 5, 3]) == 1
    assert first_mismatch([1, 2], [1, 2, 3]) == 2
    ex = make()
    ex.compare_sequence("same", ["a", "b"], ["a", "b"], items="token")
    with pytest.raises(CheckError, match=r"token 2 differs: expected 'b', received 'c'\.\n"
                                         r"  expected: \['a', 'b'\]\n  received: \['a', 'c'\]"
                                         r"\nHint: look"):
        ex.compare_sequence("other", ["a", "c"], ["a", "b"], items="token", hint="look")
    with pytest.raises(CheckError, match=r"expected 2 tokens, received 1"):
        ex.compare_sequence("short", ["a"], ["a", "b"], items="token")
    mistakes = {"reversed": ["b", "a"], "right anyway": ["a", "b"], "also reversed": ["b", "a"]}
    with pytest.raises(CheckError, match=r"'back': your result matches common mistakes that "
                                         r"give the same result here: reversed; or also "
                                         r"reversed\.\n  token 1 differs"):
        ex.compare_sequence("back", ["b", "a"], ["a", "b"], items="token", mistakes=mistakes)
    assert ex.cases == {"same", "other", "short", "back"}


def test_a_right_answer_that_equals_a_mistake_on_this_case_passes():
    make().compare("a", np.ones(2), np.ones(2), mistakes={"mistake": np.ones(2)})


def test_tolerance_is_respected():
    make().compare("a", np.array([1.0 + 1e-7]), np.array([1.0]))
    with pytest.raises(CheckError):
        make().compare("a", np.array([1.0 + 1e-3]), np.array([1.0]))
    make().compare("a", np.array([1.0 + 1e-3]), np.array([1.0]), atol=1e-2)


def test_bad_kind_is_a_programming_error():
    with pytest.raises(ValueError, match="kind"):
        make().compare("a", np.ones(1), np.ones(1), kind="list")


def test_describe_is_short():
    text = describe(np.arange(100.0))
    assert "..." in text and "shape (100,)" in text
    assert len(describe("x" * 500)) <= 120


def test_jupyter_shows_a_failed_check_as_its_message_alone():
    import helpers

    for error in (CheckError("99.1 f, case 'a': wrong"),
                  NotAttemptedError("99.1 f: not attempted yet"),
                  helpers.LearningCheckError("accuracy is 0.1")):
        lines = error._render_traceback_()
        assert len(lines) == 1 and lines[0].endswith(f": {error}")
        assert type(error).__name__ in lines[0]


def test_dict_inputs_changed_in_place_are_caught():
    def step(params):
        params["w"] -= 1.0
        return params

    ex = Exercise("99.2", "step", step)
    with pytest.raises(CheckError, match="(?s)changed its input `params` in place.*new containers"):
        ex.call("a", {"w": np.ones(2)})


def test_part_of_a_result_is_named_but_not_counted(capsys):
    ex = make()
    with pytest.raises(CheckError, match=r"case 'a', grads\['w'\]: values differ"):
        ex.compare("a", np.zeros(2), np.ones(2), part="grads['w']")
    ex = make()
    ex.compare("a", np.ones(2), np.ones(2), part="grads['w']")
    ex.compare("a", np.ones(2), np.ones(2), part="grads['b']")
    ex.passed()
    assert capsys.readouterr().out == "99.1 f: all 1 case passed\n"


def test_numbers_are_described_in_plain_words():
    assert describe(np.array(0.5625)) == "0.5625 (a float)"
    assert describe(np.float32(0.5)) == "0.5 (a float)"
    assert describe(3) == "3 (an int)"
    assert describe(np.int64(3)) == "3 (an int)"
    assert describe(np.array(7)) == "7 (an int)"
    assert describe(True) == "True (a bool)"
    assert describe(np.zeros((2, 3))).endswith("(shape (2, 3), dtype float64)")


def test_called_with_names_the_arguments():
    def pad(x, p):
        return x[100]

    with pytest.raises(CheckError, match=r"called with x=array of shape \(1, 3, 3, 1\), p=1$"):
        Exercise("99.5", "pad", pad).call("a", np.zeros((1, 3, 3, 1)), 1)

    def scaled(x, factor=2.0):
        return x[100]

    with pytest.raises(CheckError, match=r"x=array of shape \(2,\), dtype float32, "
                                         r"factor=0.5$"):
        Exercise("99.5", "scaled", scaled).call("a", np.zeros(2, np.float32), factor=0.5)


def test_values_that_print_alike_show_more_digits_and_the_tolerance():
    ex = make()
    with pytest.raises(CheckError) as info:
        ex.compare("close", np.array([1.00000123]), np.array([1.0]), rtol=1e-7, atol=0)
    message = str(info.value)
    # At 4 digits both would print as [1.]: more digits tell them apart.
    assert "received: [1.00000123] (shape (1,), dtype float64)" in message
    assert "expected 1, received 1.00000123" in message
    assert "tolerance 0 + 1e-07 x |expected| = 1e-07" in message
    with pytest.raises(CheckError) as info:
        make().compare("one number", 2.0000001, 2.0, kind="scalar", rtol=0, atol=1e-9)
    assert "expected 2, received 2.0000001" in str(info.value)


def test_scalar_shape_problems_use_the_callers_hint_not_a_guess():
    with pytest.raises(CheckError) as info:
        make().compare("a", np.ones(3), 1.0, kind="scalar")
    assert "average" not in str(info.value)
    assert "Hint: reduce the array to one number" in str(info.value)
    with pytest.raises(CheckError, match="Hint: the size is a whole number"):
        make().compare("a", np.ones(3), 1.0, kind="scalar", hint="the size is a whole number")
    with pytest.raises(CheckError, match="Hint: take the mean"):
        make().compare("a", np.ones(3), 1.0, kind="scalar", hint="values",
                       shape_hint="take the mean")


def test_is_int_and_random_values():
    assert is_int(3) and is_int(np.int32(3))
    assert not is_int(3.0) and not is_int(True) and not is_int(np.array(3))
    a, b = random_values(1, (2, 3)), random_values(1, (2, 3), scale=2.0)
    assert a.shape == (2, 3) and np.allclose(b, 2 * a)
    assert not np.allclose(random_values(2, (2, 3)), a)


def test_call_expecting_error():
    def strict(x):
        if x < 0:
            raise ValueError("negative")
        return x

    ex = Exercise("99.3", "strict", strict)
    ex.call_expecting_error("negative input", ValueError, "x = -1 is negative", -1)
    with pytest.raises(CheckError, match="x = 1 is fine.*must raise ValueError; it returned"):
        ex.call_expecting_error("no error", ValueError, "x = 1 is fine", 1)
    with pytest.raises(CheckError, match="must raise KeyError; it raised ValueError: negative"):
        ex.call_expecting_error("other error", KeyError, "x = -1", -1)

    def stub(x):
        raise NotImplementedError()

    with pytest.raises(NotAttemptedError):
        Exercise("99.3", "stub", stub).call_expecting_error("a", ValueError, "why", -1)


def test_error_location_skips_library_frames():
    def student(x):
        return np.linalg.inv(x)  # fails in a Python frame inside NumPy

    with pytest.raises(CheckError) as info:
        make(student).call("a", np.ones(3))
    assert "(in student, line" in str(info.value)
    assert "`return np.linalg.inv(x)  # fails" in str(info.value)


def test_call_can_pass_inputs_without_copying():
    seen = []
    marker = object()
    ex = Exercise("99.4", "keep", lambda x: seen.append(x) or 1)
    assert ex.call("identity kept", marker, copy_inputs=False) == 1
    assert seen == [marker]


def test_a_keras_tensor_argument_is_named_by_its_shape():
    import keras

    def block(x, filters):
        raise ValueError("broken")

    with pytest.raises(CheckError, match=r"called with x=KerasTensor of shape \(None, 8, 8, 3\), "
                                         r"filters=4$"):
        Exercise("99.6", "block", block).call("a", keras.Input(shape=(8, 8, 3)), 4,
                                              copy_inputs=False)


def test_call_explained_adds_a_hint_only_for_errors_it_knows():
    def broken(x):
        raise ValueError("expected ndim=3, found ndim=2")

    def explain(message):
        return "use return_sequences=True" if "ndim=3" in message else None

    with pytest.raises(CheckError, match=r"(?s)raised ValueError.*\nHint: .*\nuse "
                                         r"return_sequences=True$"):
        make(broken).call_explained("a", explain, np.ones(2))
    with pytest.raises(CheckError) as info:
        make(lambda x: x[10]).call_explained("a", explain, np.ones(2))
    assert "return_sequences" not in str(info.value)
    assert make().call_explained("a", explain, np.ones(2)).tolist() == [1.0, 1.0]

    def stub(x):
        raise NotImplementedError()

    with pytest.raises(NotAttemptedError):
        make(stub).call_explained("a", explain, 1)


def test_require_pair_returns_the_two_values_or_says_what_came_back():
    ex = make()
    assert ex.require_pair("a", [np.ones(1), 2], "(x, y)", "return both") == (np.ones(1), 2)
    assert ex.require_pair("a", (1, 2), "(x, y)", "return both") == (1, 2)
    for result in (np.ones(2), (1, 2, 3), None):
        with pytest.raises(CheckError, match=r"(?s)case 'b': expected a pair \(x, y\), "
                                             r"received .*\nHint: return both$"):
            ex.require_pair("b", result, "(x, y)", "return both")


def test_arrays_whose_first_values_print_alike_are_shown_where_they_differ():
    expected = np.zeros((3, 4))
    received = expected.copy()
    received[2, 1] = 0.5
    with pytest.raises(CheckError) as info:
        make().compare("late", received, expected)
    message = str(info.value)
    assert "expected: [..., 0., 0., 0.] (from index (2, 1), shape (3, 4), dtype float64)" \
        in message
    assert "received: [..., 0.5, 0. , 0. ] (from index (2, 1), shape (3, 4)" in message
    assert describe(np.arange(4.0), start=2) == "[..., 2., 3.] (from index (2,), shape (4,), " \
                                                "dtype float64)"
    # Arrays that already print apart, or of other shapes, are shown from the start.
    with pytest.raises(CheckError, match=r"received: \[1\., 0\., 0\., 0\.\] \(shape \(4,\)"):
        make().compare("early", np.eye(4)[0], np.zeros(4))


# ------------------------------------------------------ frequencies ---

def test_counts_follow_within_five_sigma_plus_one_and_a_half():
    # 1,000 tries at p = 0.5: sd 15.8, so 500 +- 80.6 agrees.
    assert counts_follow([580, 420], 1000, [0.5, 0.5])
    assert not counts_follow([582, 418], 1000, [0.5, 0.5])
    # trials per outcome
    assert counts_follow([50, 900], [100, 1000], [0.5, 0.9])


def test_counts_follow_wants_certain_outcomes_exactly():
    assert counts_follow([0, 100], 100, [0.0, 1.0])
    assert not counts_follow([1, 99], 100, [0.0, 1.0])


def test_compare_frequencies_names_the_mistake_the_counts_follow():
    ex = Exercise("99.1", "sampler", identity)
    with pytest.raises(CheckError) as info:
        compare_frequencies(ex, "two outcomes", np.array([900.0, 100.0]), 1000, [0.5, 0.5],
                            mistakes={"always the first": [1.0, 0.0], "nine to one": [0.9, 0.1]},
                            problem=lambda worst: f"outcome {worst} strays", hint="look",
                            observed="draws", tries="draws")
    message = str(info.value)
    assert "the draws match a common mistake: nine to one." in message
    assert "frequencies in 1000 draws: [0.9 0.1]" in message
    with pytest.raises(CheckError, match="outcome 0 strays(.|\n)*Hint: look"):
        compare_frequencies(ex, "two outcomes", np.array([700.0, 300.0]), 1000, [0.5, 0.5],
                            mistakes={"nine to one": [0.9, 0.1]},
                            problem=lambda worst: f"outcome {worst} strays", hint="look")
    compare_frequencies(ex, "two outcomes", np.array([510.0, 490.0]), 1000, [0.5, 0.5],
                        mistakes={}, problem=str, hint="")
    with pytest.raises(CheckError, match="the draws match common mistakes that give the same "
                                         "result here: nine to one; or ninety to ten."):
        compare_frequencies(ex, "two outcomes", np.array([900.0, 100.0]), 1000, [0.5, 0.5],
                            mistakes={"nine to one": [0.9, 0.1], "ninety to ten": [0.9, 0.1]},
                            problem=str, hint="", observed="draws")


def test_quiet_computes_without_warnings():
    with np.errstate(all="raise"):
        assert np.isinf(quiet(np.exp, 1000.0))


def test_an_exception_inside_a_check_becomes_a_check_message():
    from helpers.checks.core import exercise

    @exercise("99.7")
    def inspect_model(ex):
        ex.call("a", 1)
        raise NotImplementedError("Layer Block has no get_config")

    with pytest.raises(CheckError) as info:
        inspect_model(identity)
    message = str(info.value)
    assert message.startswith("99.7 inspect_model: the check could not examine your answer: "
                              "NotImplementedError: Layer Block has no get_config")
    assert "\nHint: write the answer in the form its docstring describes" in message
    from helpers.checks import core

    del core.CHECKS["99.7"]


def test_a_result_that_shares_memory_with_an_input_is_refused():
    make(lambda x: x * 2).call("a", np.ones(3), returns_new=True)
    for fn in (lambda x: x, lambda x: x[1:], lambda x: x.reshape(-1), lambda x: (x + 1, x.T)):
        with pytest.raises(CheckError, match="returned the input `x` itself, or a view of it"):
            make(fn).call("a", np.ones((2, 2)), returns_new=True)
    make(lambda x: x).call("a", np.ones(3))  # only when asked


def test_own_randomness_requires_the_generator_and_nothing_else():
    from helpers.checks.core import require_own_randomness

    def draws(fn):
        ex = make(fn)
        require_own_randomness(ex, "c", lambda rng: ex.call("c", np.zeros(50), rng),
                               what="draws")

    draws(lambda x, rng: x + rng.random(x.shape))
    with pytest.raises(CheckError, match="different draws when NumPy's global seed changed"):
        draws(lambda x, rng: x + np.random.random(x.shape))
    with pytest.raises(CheckError, match="two different seeds gave the same draws"):
        draws(lambda x, rng: x + np.random.default_rng(0).random(x.shape))
    np.random.seed(5)
    before = np.random.random()
    np.random.seed(5)
    draws(lambda x, rng: x + rng.random(x.shape))
    assert np.random.random() == before  # the global generator is as it was


def test_a_keras_name_scope_left_open_by_a_students_model_is_closed():
    import keras
    from keras.src.backend.common.name_scope import name_scope

    from helpers.checks import core
    from helpers.checks.core import exercise

    @exercise("99.8")
    def leaky(ex):
        ex.call("a", 1)
        name_scope("left_open").__enter__()  # as a model that raised inside Keras can

    leaky(identity)
    del core.CHECKS["99.8"]
    assert keras.Variable(np.zeros(1), name="probe").path == "probe"
