"""Calling an exercise the three ways training code calls it: on NumPy, on tensors, in tf.function.

A loss or a cost that a training loop differentiates (notebooks 04 and 10) must work on
NumPy arrays, on eager float32 tensors and on the symbolic tensors `tf.function` traces
(a Keras `train_step`, or a loop decorated with `@tf.function`). The checks of those
exercises run their NumPy cases, then the last case again on tensors, eagerly and
traced, with the helpers here. Where the notebook traces the function with the batch
size unknown (None), as a Keras model, `fit` or a `train_step` does, the check traces
it so too (`with_tensor_modes(..., unknown_batch=True)`), so that reading the batch
size statically (`x.shape[0]`, `len(x)`) fails in the check, with a message, rather
than later in the notebook's training cell.
"""

import functools

import numpy as np

from helpers.checks.core import import_tensorflow

GRAPH_HINT = (
    "the eager cases passed, so this is about graph mode: inside tf.function (how Keras "
    "runs a train_step, and how a training loop decorated with @tf.function runs), the "
    "arguments are symbolic tensors, and NumPy functions (np.exp, np.sum, np.log, ...) "
    "and .numpy() cannot take them. Use keras.ops (keras.ops.exp, keras.ops.sum, "
    "keras.ops.mean, ...), which take NumPy arrays and tensors alike. The batch size is "
    "also unknown there (None): read it with keras.ops.shape(x)[0], not x.shape[0] or "
    "len(x), or let keras.ops.mean average over the batch.")


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


def traced(fn, unknown_batch=False):
    """Returns `fn` traced by `tf.function`, so its arguments inside are symbolic tensors.

    Args:
        fn: the function.
        unknown_batch: True traces it with the first axis of every tensor argument
            unknown (None), as a Keras model or `train_step` does, before calling it
            on the real tensors.
    """
    tf = import_tensorflow()
    graph_fn = tf.function(fn, autograph=False)

    @functools.wraps(fn)  # keeps the student's signature for the messages
    def in_graph(*args, **kwargs):
        logger = tf.get_logger()
        level = logger.level
        logger.setLevel("ERROR")  # a new tf.function per check run warns about retracing
        try:
            if unknown_batch:
                graph_fn.get_concrete_function(*batch_unknown(args), **kwargs)
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


def batch_unknown(args):
    """Tensor specs for `args` with the first axis unknown (None); other arguments as given.

    Example: a (4, 3) float32 tensor becomes `tf.TensorSpec((None, 3), tf.float32)`.
    """
    tf = import_tensorflow()

    def spec(value):
        if tf.is_tensor(value) and value.shape.rank:
            return tf.TensorSpec([None] + value.shape.as_list()[1:], value.dtype)
        if isinstance(value, list) and value and all(tf.is_tensor(v) for v in value):
            return [spec(v) for v in value]
        return value

    return [spec(a) for a in args]


def call(ex, case, mode, *args, **kwargs):
    """Calls the student's function on one case.

    Args:
        ex: the check's `Exercise`.
        case: the case's name, for messages.
        mode: "numpy" (the arguments as given), "tensor" (arrays and lists of arrays
            as float32 tensors), "graph" (the same, the function traced by
            tf.function) or "graph, batch unknown" (traced with the first axis of
            every tensor unknown, see `traced`). Keyword arguments are passed as they
            are.

    Returns:
        The student's result.
    """
    __tracebackhide__ = True
    if mode == "numpy":
        return ex.call(case, *args, **kwargs)
    if mode == "tensor":
        return ex.call(case, *as_tensors(args), **kwargs)
    in_graph = ex.sibling(traced(ex.fn, unknown_batch=mode == "graph, batch unknown"))
    return in_graph.call_explained(case, lambda message: GRAPH_HINT, *as_tensors(args),
                                   **kwargs)


def with_tensor_modes(cases, unknown_batch=False):
    """Returns the NumPy cases, then the last one again on tensors: eagerly and traced.

    Args:
        cases: a list of `(case, mode, *arguments)` tuples, mode "numpy". The repeated
            case's arrays (and lists of arrays) become float32, as the tensors will be.
        unknown_batch: True when the notebook traces the function with the batch size
            unknown (a loss in `fit` or a `train_step`, a layer in a model): the traced
            case then is so too.
    """
    name, _, *args = cases[-1]
    args = [_float32(a) for a in args]
    return cases + [
        (f"float32 tensors ({name})", "tensor", *args),
        (f"float32 tensors inside tf.function ({name})",
         "graph, batch unknown" if unknown_batch else "graph", *args),
    ]


def _float32(value):
    if isinstance(value, np.ndarray):
        return value.astype(np.float32)
    if isinstance(value, list) and value and isinstance(value[0], np.ndarray):
        return [a.astype(np.float32) for a in value]
    return value
