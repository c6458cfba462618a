"""Calling an exercise the three ways training code calls it: on NumPy, on tensors, in tf.function.

A loss or a cost that a training loop differentiates (notebooks 04 and 10) must work on
NumPy arrays, on eager float32 tensors and on the symbolic tensors `tf.function` traces
(a Keras `train_step`, or a loop decorated with `@tf.function`). The checks of those
exercises run their NumPy cases, then the last case again on tensors, eagerly and
traced, with the helpers here.
"""

import functools

import numpy as np

from helpers.checks.core import Exercise, import_tensorflow

GRAPH_HINT = (
    "the eager cases passed, so this is about graph mode: inside tf.function (how Keras "
    "runs a train_step, and how a training loop decorated with @tf.function runs), the "
    "arguments are symbolic tensors, and NumPy functions (np.exp, np.sum, np.log, ...) "
    "and .numpy() cannot take them. Use keras.ops (keras.ops.exp, keras.ops.sum, "
    "keras.ops.mean, ...), which take NumPy arrays and tensors alike.")


def tolerances(dtype):
    """Returns (rtol, atol) for results computed from inputs of `dtype`."""
    return (1e-4, 1e-5) if dtype == np.float32 else (1e-5, 1e-6)


def as_numpy(value):
    """Returns a tensor result as NumPy; anything else unchanged."""
    tf = import_tensorflow()
    return value.numpy() if tf.is_tensor(value) and hasattr(value, "numpy") else value


def as_tensors(args):
    """Returns arrays (and lists of arrays) as float32 tensors; other arguments unchanged."""
    tf = import_tensorflow()
    converted = []
    for a in args:
        if isinstance(a, np.ndarray):
            converted.append(tf.constant(a, tf.float32))
        elif isinstance(a, list) and a and isinstance(a[0], np.ndarray):
            converted.append([tf.constant(x, tf.float32) for x in a])
        else:
            converted.append(a)
    return converted


def traced(fn):
    """Returns `fn` traced by `tf.function`, so its arguments inside are symbolic tensors."""
    tf = import_tensorflow()
    graph_fn = tf.function(fn, autograph=False)

    @functools.wraps(fn)  # keeps the student's signature for the messages
    def in_graph(*args, **kwargs):
        logger = tf.get_logger()
        level = logger.level
        logger.setLevel("ERROR")  # a new tf.function per check run warns about retracing
        try:
            return graph_fn(*args, **kwargs)
        except NotImplementedError as error:
            if not str(error):  # the stub itself
                raise
            # NumPy on a symbolic tensor raises NotImplementedError, which Exercise.call
            # would take for the stub: report it as the error it is.
            raise TypeError(str(error)).with_traceback(error.__traceback__) from None
        finally:
            logger.setLevel(level)

    return in_graph


def call(ex, case, mode, *args, **kwargs):
    """Calls the student's function on one case.

    Args:
        ex: the check's `Exercise`.
        case: the case's name, for messages.
        mode: "numpy" (the arguments as given), "tensor" (arrays and lists of arrays
            as float32 tensors) or "graph" (the same, the function traced by
            tf.function). Keyword arguments are passed as they are.

    Returns:
        The student's result.
    """
    __tracebackhide__ = True
    if mode == "numpy":
        return ex.call(case, *args, **kwargs)
    if mode == "tensor":
        return ex.call(case, *as_tensors(args), **kwargs)
    in_graph = Exercise(ex.exercise_id, ex.name, traced(ex.fn))
    return in_graph.call_explained(case, lambda message: GRAPH_HINT, *as_tensors(args),
                                   **kwargs)


def with_tensor_modes(cases):
    """Returns the NumPy cases, then the last one again on tensors: eagerly and traced.

    Args:
        cases: a list of `(case, mode, *arguments)` tuples, mode "numpy". The repeated
            case's arrays (and lists of arrays) become float32, as the tensors will be.
    """
    name, _, *args = cases[-1]
    args = [_float32(a) for a in args]
    return cases + [
        (f"float32 tensors ({name})", "tensor", *args),
        (f"float32 tensors inside tf.function ({name})", "graph", *args),
    ]


def _float32(value):
    if isinstance(value, np.ndarray):
        return value.astype(np.float32)
    if isinstance(value, list) and value and isinstance(value[0], np.ndarray):
        return [a.astype(np.float32) for a in value]
    return value
