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
