"""helpers.checks.tensor_modes: the modes a check calls a function in."""

import numpy as np
import pytest

from helpers.checks import tensor_modes
from helpers.checks.core import CheckError, Exercise


def mean_of_rows(x):
    import keras

    return keras.ops.sum(x, axis=1) / keras.ops.cast(keras.ops.shape(x)[0], "float32")


def mean_of_rows_static(x):
    import keras

    return keras.ops.sum(x, axis=1) / x.shape[0]


@pytest.mark.parametrize("mode", ["numpy", "tensor", "graph", "graph, batch unknown"])
def test_a_function_written_with_dynamic_shapes_works_in_every_mode(mode):
    ex = Exercise("99.1", "mean_of_rows", mean_of_rows)
    out = tensor_modes.call(ex, "c", mode, np.ones((4, 3), np.float32))
    assert np.allclose(tensor_modes.as_numpy(out), 0.75)


def test_a_static_batch_size_fails_only_with_the_batch_unknown():
    ex = Exercise("99.1", "mean_of_rows", mean_of_rows_static)
    tensor_modes.call(ex, "c", "graph", np.ones((4, 3), np.float32))
    with pytest.raises(CheckError) as info:
        tensor_modes.call(ex, "c", "graph, batch unknown", np.ones((4, 3), np.float32))
    message = str(info.value)
    assert "mean_of_rows_static" in message or "x.shape[0]" in message
    assert "keras.ops.shape(x)[0], not x.shape[0]" in message


def test_the_traced_case_is_the_last_case_again_with_its_mode():
    cases = tensor_modes.with_tensor_modes([("c", "numpy", np.ones(2))], unknown_batch=True)
    assert [(name, mode) for name, mode, _ in cases] == [
        ("c", "numpy"), ("float32 tensors (c)", "tensor"),
        ("float32 tensors inside tf.function (c)", "graph, batch unknown")]
    assert cases[-1][2].dtype == np.float32
    specs = tensor_modes.batch_unknown(tensor_modes.as_tensors([np.ones((4, 3)), 2.0]))
    assert specs[0].shape.as_list() == [None, 3] and specs[1] == 2.0


def sum_over_time(x, mask):
    import keras

    return keras.ops.sum(x * keras.ops.expand_dims(keras.ops.cast(mask, x.dtype), -1), axis=1)


def sum_over_time_static(x, mask):
    import keras

    steps = [x[:, t] * keras.ops.cast(mask[:, t:t + 1], x.dtype) for t in range(x.shape[1])]
    return sum(steps)


def sum_over_time_uncast(x, mask):
    import tensorflow as tf

    return tf.reduce_sum(x * tf.expand_dims(mask, -1), axis=1)  # float times bool: refused


def _sequences():
    x = np.arange(24, dtype=np.float64).reshape(2, 4, 3)
    return x, np.array([[1, 1, 0, 0], [1, 1, 1, 1]], bool)


def test_the_length_option_names_its_cases_and_keeps_ids_and_masks():
    x, mask = _sequences()
    ids = np.array([[3, 1], [2, 0]], np.int64)
    cases = tensor_modes.with_tensor_modes([("c", "numpy", x, mask, ids, 2.0)],
                                           unknown_batch=True, unknown_length=True,
                                           keep_dtypes=True)
    assert [(name, mode) for name, mode, *_ in cases] == [
        ("c", "numpy"), ("tensors (c)", "tensor"),
        ("tensors inside tf.function, batch and length unknown (c)",
         "graph, batch and length unknown")]
    assert [a.dtype for a in cases[-1][2:5]] == [np.float32, np.bool_, np.int32]
    assert cases[-1][5] == 2.0
    tensors = tensor_modes.as_tensors(cases[-1][2:5], keep_dtypes=True)
    assert [t.dtype.name for t in tensors] == ["float32", "bool", "int32"]
    assert [t.dtype.name for t in tensor_modes.as_tensors(cases[-1][2:5])] == ["float32"] * 3
    specs = tensor_modes.batch_unknown(tensors, unknown_length=True)
    assert [s.shape.as_list() for s in specs] == [[None, None, 3], [None, None], [None, None]]
    with pytest.raises(ValueError):
        tensor_modes.with_tensor_modes(cases[:1], unknown_length=True)


@pytest.mark.parametrize("mode", ["numpy", "tensor", "graph, batch and length unknown"])
def test_a_function_written_with_dynamic_lengths_works_with_the_length_unknown(mode):
    ex = Exercise("99.2", "sum_over_time", sum_over_time)
    x, mask = _sequences()
    out = tensor_modes.call(ex, "c", mode, x, mask, keep_dtypes=True)
    assert np.allclose(tensor_modes.as_numpy(out), (x * mask[..., None]).sum(axis=1))


def test_a_static_length_fails_only_with_the_length_unknown():
    ex = Exercise("99.2", "sum_over_time", sum_over_time_static)
    x, mask = _sequences()
    tensor_modes.call(ex, "c", "graph, batch unknown", x, mask, keep_dtypes=True)
    with pytest.raises(CheckError) as info:
        tensor_modes.call(ex, "c", "graph, batch and length unknown", x, mask,
                          keep_dtypes=True)
    assert tensor_modes.GRAPH_HINT + tensor_modes.LENGTH_HINT in str(info.value)


@pytest.mark.parametrize("mode", ["tensor", "graph, batch and length unknown"])
def test_an_explained_error_gets_its_hint_before_the_graph_hint(mode):
    ex = Exercise("99.2", "sum_over_time", sum_over_time_uncast)
    x, mask = _sequences()
    with pytest.raises(CheckError) as info:
        tensor_modes.call(ex, "c", mode, x, mask, keep_dtypes=True,
                          explain=lambda message: "cast the mask.")
    assert str(info.value).endswith("cast the mask.")
    assert "graph mode" not in str(info.value)
