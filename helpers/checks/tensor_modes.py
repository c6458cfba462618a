"""Calling an exercise the three ways training code calls it: on NumPy, on tensors, in tf.function.

A loss or a cost that a training loop differentiates (notebooks 04 and 10) must work on
NumPy arrays, on eager float32 tensors and on the symbolic tensors `tf.function` traces
(a Keras `train_step`, or a loop decorated with `@tf.function`). The checks of those
exercises run their NumPy cases, then the last case again on tensors, eagerly and
traced, with the helpers here. Where the notebook traces the function with the batch
size unknown (None), as a Keras model, `fit` or a `train_step` does, the check traces
it so too (`with_tensor_modes(..., unknown_batch=True)`), so that reading the batch
size statically (`x.shape[0]`, `len(x)`) fails in the check, with a message, rather
than later in the notebook's training cell; a function on sequences inside a model
built on `keras.Input(shape=(None, ...))` is traced with the length (axis 1) unknown
too (`unknown_length=True`). Ids and masks keep an integer or bool dtype with
`keep_dtypes=True`, as a Keras model or a training step passes them.
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

#: Added to GRAPH_HINT when the length is unknown too.
LENGTH_HINT = (" Here the length (axis 1) is unknown too: keras.ops.shape(x)[1], not "
               "x.shape[1].")


def tolerances(dtype):
    """Returns (rtol, atol) for results computed from inputs of `dtype`."""
    return (1e-4, 1e-5) if dtype == np.float32 else (1e-5, 1e-6)


def as_numpy(value):
    """Returns a tensor result as NumPy; anything else unchanged."""
    tf = import_tensorflow()
    return value.numpy() if tf.is_tensor(value) and hasattr(value, "numpy") else value


def as_tensors(args, keep_dtypes=False):
    """Returns arrays (and lists of arrays) as tensors; other arguments unchanged.

    Args:
        args: the arguments.
        keep_dtypes: False makes every array float32; True keeps integers and bools
            (floats become float32, integers int32), see `with_tensor_modes`.
    """
    tf = import_tensorflow()
    converted = []
    for a in args:
        a = _in_training_dtypes(a, keep_dtypes)
        if isinstance(a, np.ndarray):
            converted.append(tf.constant(a))
        elif _is_array_list(a):
            converted.append([tf.constant(x) for x in a])
        else:
            converted.append(a)
    return converted


def traced(fn, unknown_batch=False, unknown_length=False):
    """Returns `fn` traced by `tf.function`, so its arguments inside are symbolic tensors.

    Args:
        fn: the function.
        unknown_batch: True traces it with the first axis of every tensor argument
            unknown (None), as a Keras model or `train_step` does, before calling it
            on the real tensors.
        unknown_length: True (with `unknown_batch`) makes the second axis unknown too.
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
                graph_fn.get_concrete_function(*batch_unknown(args, unknown_length),
                                               **kwargs)
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


def batch_unknown(args, unknown_length=False):
    """Tensor specs for `args` with the first axis unknown (None), and the second too when
    `unknown_length`; other arguments as given.

    Example: a (4, 3) float32 tensor becomes `tf.TensorSpec((None, 3), tf.float32)`.
    """
    tf = import_tensorflow()
    axes = 2 if unknown_length else 1

    def spec(value):
        if tf.is_tensor(value) and value.shape.rank:
            shape = value.shape.as_list()
            return tf.TensorSpec([None] * min(len(shape), axes) + shape[axes:], value.dtype)
        if isinstance(value, list) and value and all(tf.is_tensor(v) for v in value):
            return [spec(v) for v in value]
        return value

    return [spec(a) for a in args]


#: The traced modes of `call`: (unknown_batch, unknown_length) of each.
_GRAPH_MODES = {"graph": (False, False), "graph, batch unknown": (True, False),
                "graph, batch and length unknown": (True, True)}


def call(ex, case, mode, *args, explain=None, keep_dtypes=False, **kwargs):
    """Calls the student's function on one case.

    Args:
        ex: the check's `Exercise`.
        case: the case's name, for messages.
        mode: "numpy" (the arguments as given), "tensor" (arrays and lists of arrays
            as float32 tensors), "graph" (the same, the function traced by
            tf.function), "graph, batch unknown" (traced with the first axis of
            every tensor unknown, see `traced`) or "graph, batch and length unknown"
            (the first two axes). Keyword arguments are passed as they are.
        explain: a function of a failure message that returns an extra hint for an
            error it recognises, or None (see `Exercise.call_explained`); in the
            traced modes the hint on graph mode follows when it returns None.
        keep_dtypes: True keeps integer and bool arrays so as tensors (see
            `with_tensor_modes`).

    Returns:
        The student's result.
    """
    __tracebackhide__ = True
    explain = explain or (lambda message: None)
    if mode == "numpy":
        return ex.call_explained(case, explain, *args, **kwargs)
    tensors = as_tensors(args, keep_dtypes)
    if mode == "tensor":
        return ex.call_explained(case, explain, *tensors, **kwargs)
    unknown_batch, unknown_length = _GRAPH_MODES[mode]
    in_graph = ex.sibling(traced(ex.fn, unknown_batch, unknown_length))
    hint = GRAPH_HINT + (LENGTH_HINT if unknown_length else "")
    return in_graph.call_explained(case, lambda message: explain(message) or hint, *tensors,
                                   **kwargs)


def with_tensor_modes(cases, unknown_batch=False, unknown_length=False, keep_dtypes=False):
    """Returns the NumPy cases, then the last one again on tensors: eagerly and traced.

    Args:
        cases: a list of `(case, mode, *arguments)` tuples, mode "numpy". The repeated
            case's arrays (and lists of arrays) become float32, as the tensors will be.
        unknown_batch: True when the notebook traces the function with the batch size
            unknown (a loss in `fit` or a `train_step`, a layer in a model): the traced
            case then is so too.
        unknown_length: True (with `unknown_batch`) when the length (axis 1) is unknown
            too, as in a model built on `keras.Input(shape=(None, ...))`.
        keep_dtypes: True keeps integer and bool arrays (ids, targets, masks) so, as a
            Keras model passes its mask (bool) and a loss gets its targets (int):
            floats become float32, integers int32, bools stay bool; the cases are
            then named "tensors (...)" rather than "float32 tensors (...)". Pass the
            same to `call`.
    """
    if unknown_length and not unknown_batch:
        raise ValueError("unknown_length needs unknown_batch: the batch size is unknown "
                         "wherever the length is.")
    name, _, *args = cases[-1]
    args = [_in_training_dtypes(a, keep_dtypes) for a in args]
    tensors = "tensors" if keep_dtypes else "float32 tensors"
    mode = ("graph, batch and length unknown" if unknown_length else
            "graph, batch unknown" if unknown_batch else "graph")
    where = ", batch and length unknown" if unknown_length else ""
    return cases + [
        (f"{tensors} ({name})", "tensor", *args),
        (f"{tensors} inside tf.function{where} ({name})", mode, *args),
    ]


def _is_array_list(value):
    return isinstance(value, list) and value and isinstance(value[0], np.ndarray)


def _in_training_dtypes(value, keep_dtypes):
    """An array (or a list of arrays) as float32; or, with `keep_dtypes`, floats as
    float32, integers as int32 and bools kept. Other values unchanged."""
    if _is_array_list(value):
        return [_in_training_dtypes(a, keep_dtypes) for a in value]
    if not isinstance(value, np.ndarray):
        return value
    if not keep_dtypes or value.dtype.kind == "f":
        return value.astype(np.float32)
    return value.astype(np.int32) if value.dtype.kind in "iu" else value
