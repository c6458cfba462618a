"""Checks for notebook 02, the CNN pipeline: output sizes, zero padding, a
convolution layer, pooling, global average pooling, parameter counts, a Keras CNN,
an augmentation pipeline and Grad-CAM.

Each check runs the student's function on the cases of its `_name_cases()` and
compares the results with an independent oracle: `tf.nn.conv2d`, `tf.pad`,
Keras's pooling layers, `keras.layers.Conv2D.count_params()` and values worked
out by hand, and for Grad-CAM a GradientTape run through the model's layers one by
one. Each exercise's switch oracle `_name_answer` computes the known
wrong answers of its table `_NAME_MISTAKES` (kernel flipped, bias missing,
windows stepped by 1 instead of the stride, padding on the wrong side or twice,
pooling across channels, ...), so that a message can name the mistake. The
Keras builders are checked structurally.

Example:

>>> from helpers.checks import cnn_pipeline as check
>>> check.conv2d_forward(conv2d_forward)
02.3 conv2d_forward: all 8 cases passed
"""

import math

import numpy as np

from helpers.checks.core import (exercise, describe, filled_in, import_keras,
                                 import_tensorflow, is_int, mistakes_from, random_values)
from helpers.checks.keras_models import (activation_name, activation_of, chain, conv_layers,
                                         count_params_from_config, describe_convs, describe_layer,
                                         is_nonlinear, is_subclassed_model, layer_names,
                                         leaf_layers, require_built_model,
                                         require_probabilities, require_relu_after)

__all__ = [
    "conv_output_size", "zero_pad", "conv2d_forward", "pool2d_forward",
    "global_average_pool", "count_conv_params", "build_cnn", "build_augmentation", "grad_cam",
]


# ---------------------------------------------------------------- oracles ---

def _tf_conv(x, w, b, stride, pads):
    """tf.nn.conv2d in float64 with explicit padding ((top, bottom), (left, right)), plus b."""
    tf = import_tensorflow()
    padding = [[0, 0], list(pads[0]), list(pads[1]), [0, 0]]
    out = tf.nn.conv2d(tf.constant(x, tf.float64), tf.constant(w, tf.float64),
                       strides=stride, padding=padding).numpy()
    return out + np.asarray(b, np.float64)


def _tf_same_pads(size, f, stride, rule="tf"):
    """'same' padding along one axis, (before, after): TensorFlow's, or a known mistake.

    TensorFlow pads max((out - 1) * stride + f - size, 0) zeros in total, with
    out = ceil(size / stride): half before, and the odd one after.

    Args:
        rule: "tf" (TensorFlow's), "as for stride 1" ((f - 1) // 2 before, the rest
            after, whatever the stride), "extra on top" (the odd zero before) or
            "f // 2" (f // 2 on each side for an even f; TensorFlow's for an odd f).
    """
    out = -(-size // stride)
    total = max((out - 1) * stride + f - size, 0)
    before, after = total // 2, total - total // 2
    if rule == "as for stride 1":
        return (f - 1) // 2, f - 1 - (f - 1) // 2
    if rule == "extra on top":
        return after, before
    if rule == "f // 2" and f % 2 == 0:
        return f // 2, f // 2
    return before, after


# ------------------------------------------------------- conv_output_size ---

def _conv_output_size_cases():
    """(case, n, f, p, s) for 02.1."""
    return [
        ("5x5 image, 3x3 filter, no padding, stride 1", 5, 3, 0, 1),
        ("28x28 image, 5x5 filter, padding 2, stride 1", 28, 5, 2, 1),
        ("7x7 image, 3x3 filter, stride 2", 7, 3, 0, 2),
        ("8x8 image, 3x3 filter, stride 2 (the last step does not fit)", 8, 3, 0, 2),
        ("32x32 image, 3x3 filter, padding 1, stride 2", 32, 3, 1, 2),
        ("227x227 image, 11x11 filter, stride 4 (AlexNet)", 227, 11, 0, 4),
        ("6x6 image, 2x2 pooling window, stride 2", 6, 2, 0, 2),
        ("3x3 image, 5x5 filter, padding 1 (the filter just fits)", 3, 5, 1, 1),
    ]


def _conv_output_size_answer(n, f, p, s, *, rounding="down", plus_one=True, sides=2,
                             stride=True):
    """The output size of a convolution, floor((n + 2p - f) / s) + 1.

    Switches (each one mistake):
        rounding: "none" keeps the fraction (/ instead of //); "up" rounds up.
        plus_one: False leaves out the + 1.
        sides: 1 counts the padding once (n + p - f).
        stride: False leaves out the division by s.
    """
    span = n + sides * p - f
    divisor = s if stride else 1
    if rounding == "none":
        steps = span / divisor
    elif rounding == "up":
        steps = math.ceil(span / divisor)
    else:
        steps = span // divisor
    return steps + 1 if plus_one else steps


_CONV_OUTPUT_SIZE_MISTAKES = {
    "no rounding down: when the filter does not fit a whole number of steps, the last "
    "partial step is dropped (use // for the division)": {"rounding": "none"},
    "rounded up instead of down: a step the filter cannot complete gives no output":
        {"rounding": "up"},
    "+ 1 missing: the first position of the filter counts too": {"plus_one": False},
    "padding counted once: p zeros go on both sides, so the padded size is n + 2p":
        {"sides": 1},
    "stride ignored: the division by s is missing": {"stride": False},
}


@exercise("02.1")
def conv_output_size(ex):
    """Checks `conv_output_size(n, f, p, s)` against the shape `tf.nn.conv2d` produces."""
    tf = import_tensorflow()
    results = []
    for case, n, f, p, s in _conv_output_size_cases():
        out = ex.call(case, n, f, p, s)
        conv = tf.nn.conv2d(tf.zeros((1, n, n, 1)), tf.zeros((f, f, 1, 1)), strides=s,
                            padding=[[0, 0], [p, p], [p, p], [0, 0]])
        ex.compare(
            case, out, int(conv.shape[1]), kind="scalar",
            mistakes=mistakes_from(_conv_output_size_answer, _CONV_OUTPUT_SIZE_MISTAKES,
                                   n, f, p, s),
            hint="the output size is floor((n + 2p - f) / s) + 1.",
        )
        results.append((case, out))
    for case, out in results:  # values first: a wrong value says more than a float type
        ex.require(
            case, is_int(out),
            f"the value is right, but it is a {type(out).__name__}; an output size is "
            "a whole number of pixels.",
            "return an int: use integer division (//) rather than / and math.floor.",
        )


# --------------------------------------------------------------- zero_pad ---

def _zero_pad_cases():
    """(case, x, p) for 02.2."""
    return [
        ("one 3x3 image, one channel, p=1", np.arange(1.0, 10.0).reshape(1, 3, 3, 1), 1),
        ("batch of 2, 4x5 images, 3 channels, p=2", random_values(1, (2, 4, 5, 3)), 2),
        ("float32 batch of 3, 2x3 images, 2 channels, p=1",
         random_values(2, (3, 2, 3, 2)).astype(np.float32), 1),
        ("p=0 leaves the images as they are", random_values(3, (2, 3, 3, 2)), 0),
    ]


def _zero_pad_answer(x, p, *, axes=(1, 2), sides=(1, 1), mode="constant"):
    """NHWC `x` with p zeros on each side of its height and width (axes 1 and 2).

    Switches (each one mistake):
        axes: the axes padded, e.g. (0, 1, 2, 3) for every axis.
        sides: how many times p goes (before, after) on each padded axis: (0, 1)
            bottom/right only, (1, 0) top/left only, (2, 2) twice.
        mode: np.pad's mode: "edge" repeats the border pixels instead of zeros.
    """
    widths = [(sides[0] * p, sides[1] * p) if axis in axes else (0, 0)
              for axis in range(x.ndim)]
    return np.pad(x, widths, mode=mode)


_ZERO_PAD_MISTAKES = {
    "every axis padded, batch and channels too: pad only height and width (axes 1 and 2)":
        {"axes": (0, 1, 2, 3)},
    "the channel axis padded too: pad only height and width (axes 1 and 2)":
        {"axes": (1, 2, 3)},
    "the batch axis padded too: pad only height and width (axes 1 and 2)":
        {"axes": (0, 1, 2)},
    "only the height padded: pad the width (axis 2) too": {"axes": (1,)},
    "only the width padded: pad the height (axis 1) too": {"axes": (2,)},
    "padded on one side only: p zeros go on each side (top and bottom, left and right)":
        {"sides": (0, 1)},
    "padded on one side only (top and left): p zeros go on each side": {"sides": (1, 0)},
    "padding applied twice: 2p zeros on each side instead of p": {"sides": (2, 2)},
    "border pixels repeated instead of zeros (np.pad's mode='edge')": {"mode": "edge"},
}


@exercise("02.2")
def zero_pad(ex):
    """Checks `zero_pad(x, p)` (NHWC, height and width only) against `tf.pad`."""
    tf = import_tensorflow()
    for case, x, p in _zero_pad_cases():
        out = ex.call(case, x, p)
        ex.compare(
            case, out, tf.pad(x, [[0, 0], [p, p], [p, p], [0, 0]]).numpy(),
            mistakes=mistakes_from(_zero_pad_answer, _ZERO_PAD_MISTAKES, x, p),
            hint="the result has shape (batch, height + 2p, width + 2p, channels): zeros "
                 "around each image, the original pixels in the middle.",
        )


# --------------------------------------------------------- conv2d_forward ---

def _conv2d_forward_cases():
    """(case, x, w, b, stride, padding, rtol) for 02.3."""
    five = np.arange(25.0).reshape(1, 5, 5, 1)
    edge = np.array([[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [1.0, 0.0, -1.0]]).reshape(3, 3, 1, 1)
    def drawn(case, seed, x_shape, w_shape, stride, padding):
        """x, w and b drawn from seeds `seed`, `seed + 1` and `seed + 2`."""
        return (case, random_values(seed, x_shape), random_values(seed + 1, w_shape),
                random_values(seed + 2, w_shape[-1:]), stride, padding, 1e-7)

    case, x, w, b, stride, padding, _ = drawn(
        "float32, 'valid', 1x1 filters mixing 3 channels into 6", 28, (2, 4, 4, 3), (1, 1, 3, 6),
        1, "valid")
    float32 = (case, x.astype(np.float32), w.astype(np.float32), b.astype(np.float32), stride,
               padding, 1e-4)
    return [
        ("the 5x5 example: one image, one channel, one 3x3 filter, 'valid'",
         five, edge, np.array([0.5]), 1, "valid", 1e-7),
        drawn("'valid', stride 1: batch of 2, 6x5 images, 3 channels, 4 filters",
              10, (2, 6, 5, 3), (3, 3, 3, 4), 1, "valid"),
        drawn("'same', stride 1: batch of 2, 6x6 images, 3 channels, 5 filters",
              13, (2, 6, 6, 3), (3, 3, 3, 5), 1, "same"),
        drawn("'valid', stride 2: 7x7 images, 2 channels, 3 filters",
              16, (2, 7, 7, 2), (3, 3, 2, 3), 2, "valid"),
        drawn("'same', stride 2, 6x6 images (TF pads 0 rows on top, 1 at the bottom)",
              19, (2, 6, 6, 2), (3, 3, 2, 3), 2, "same"),
        drawn("'same', stride 2, 7x8 images (1 and 1 rows, 0 and 1 columns of padding)",
              22, (1, 7, 8, 3), (3, 3, 3, 2), 2, "same"),
        drawn("'same', stride 1, 2x2 filters (an even size: the extra zero goes bottom/right)",
              25, (2, 5, 5, 1), (2, 2, 1, 2), 1, "same"),
        float32,
    ]


def _conv_pads(x, f, stride, padding, rule="tf"):
    """((top, bottom), (left, right)) zeros for 'valid' or 'same' (see `_tf_same_pads`)."""
    if padding == "valid":
        return (0, 0), (0, 0)
    return (_tf_same_pads(x.shape[1], f, stride, rule),
            _tf_same_pads(x.shape[2], f, stride, rule))


def _conv2d_forward_answer(x, w, b, stride=1, padding="valid", *, bias=True, flip=False,
                           swap=False, steps="stride", keep_size=False, size_plus_one=False,
                           padding_as=None, pad_twice=False, same_pads="tf"):
    """The cross-correlation of NHWC `x` with the filters `w` (f, f, c_in, filters), plus `b`.

    Computed with tf.nn.conv2d in float64; 'same' padding is TensorFlow's.

    Switches (each one mistake):
        bias: False leaves the bias out.
        flip: True flips the kernel (the convolution of mathematics).
        swap: True swaps the kernel's rows and columns.
        steps: "one pixel" moves the windows one pixel at a time, whatever the stride.
        keep_size: True cuts the output to its right size (with `steps`: the windows
            start at (i, j) instead of (i * stride, j * stride)).
        size_plus_one: True cuts the output to (n + 2p - f + 1) // stride.
        padding_as: the padding used instead of `padding` ("valid" or "same").
        pad_twice: True doubles the padding.
        same_pads: how 'same' padding is split (a rule of `_tf_same_pads`).
    """
    f = w.shape[0]
    pads = _conv_pads(x, f, stride, padding_as or padding, same_pads)
    if pad_twice:
        pads = tuple((2 * before, 2 * after) for before, after in pads)
    w = w[::-1, ::-1] if flip else w
    w = w.transpose(1, 0, 2, 3) if swap else w
    out = _tf_conv(x, w, b if bias else 0.0, 1 if steps == "one pixel" else stride, pads)
    spans = [n + before + after - f for n, (before, after) in zip(x.shape[1:3], pads)]
    if keep_size:
        out = out[:, :spans[0] // stride + 1, :spans[1] // stride + 1]
    if size_plus_one:
        out = out[:, :(spans[0] + 1) // stride, :(spans[1] + 1) // stride]
    return out


_SAME_RULE = ("TensorFlow pads max((out - 1) * stride + f - n, 0) zeros in total along each "
              "axis, with out = ceil(n / stride): half before, and the odd one after "
              "(bottom/right)")

#: `{half}` and `{stride}` are filled in for each case (`filled_in`).
_CONV2D_FORWARD_MISTAKES = {
    "bias missing: add b[k] to every position of output channel k": {"bias": False},
    "kernel flipped: that is the convolution of mathematics, but CNN layers compute "
    "cross-correlation, where w[i, j] multiplies the pixel at offset (i, j) of the window, "
    "unflipped": {"flip": True},
    "kernel rows and columns swapped: w[i, j] belongs to row offset i and column offset j":
        {"swap": True},
    "windows start at (i, j) instead of (i * stride, j * stride): the output has the right "
    "size, but neighbouring windows must be `stride` pixels apart":
        {"steps": "one pixel", "keep_size": True},
    "stride ignored: the windows moved one pixel at a time": {"steps": "one pixel"},
    "output size (n + 2p - f + 1) // stride: with a stride the number of windows is "
    "(n + 2p - f) // stride + 1": {"size_plus_one": True},
    "'same' treated as 'valid' (or the padding argument ignored)": {"padding_as": "valid"},
    "padding applied twice: the input was padded, then padded again": {"pad_twice": True},
    "'valid' treated as 'same': 'valid' means no padding at all": {"padding_as": "same"},
    "'same' padded by (f - 1) // 2 = {half} on each side as for stride 1, but with stride "
    "{stride} " + _SAME_RULE: {"same_pads": "as for stride 1"},
    "the odd zero row/column of 'same' padding went on top/left; " + _SAME_RULE:
        {"same_pads": "extra on top"},
    "'same' padded by f // 2 on every side: with an even filter size the total padding is "
    "odd, and the extra zero goes at the bottom/right only": {"same_pads": "f // 2"},
}


@exercise("02.3")
def conv2d_forward(ex):
    """Checks `conv2d_forward(x, w, b, stride=1, padding="valid")` against `tf.nn.conv2d`.

    Cases cover 'valid' and 'same' padding (including TensorFlow's asymmetric
    'same' padding with stride 2 and with an even filter size), stride 1 and 2,
    batches with several input channels and several filters.
    """
    for number, (case, x, w, b, stride, padding, rtol) in enumerate(_conv2d_forward_cases()):
        # The first case relies on the defaults, stride=1 and padding="valid".
        kwargs = {"stride": stride, "padding": padding} if number else {}
        out = ex.call(case, x, w, b, **kwargs)
        f = w.shape[0]
        table = filled_in(_CONV2D_FORWARD_MISTAKES, half=(f - 1) // 2, stride=stride)
        ex.compare(
            case, out, _tf_conv(x, w, b, stride, _conv_pads(x, f, stride, padding)),
            rtol=rtol, atol=rtol,
            mistakes=mistakes_from(_conv2d_forward_answer, table, x, w, b, stride, padding),
            hint="out[n, i, j, k] = sum over (di, dj, c) of "
                 "x_padded[n, i * stride + di, j * stride + dj, c] * w[di, dj, c, k] + b[k]; "
                 "the output is (batch, out_height, out_width, filters). 'same' pads "
                 "max((out - 1) * stride + f - n, 0) zeros in total along each axis, with "
                 "out = ceil(n / stride), half before and the rest after.",
        )


# --------------------------------------------------------- pool2d_forward ---

def _keras_pool(x, size, stride, mode, padding="valid"):
    keras = import_keras()
    layer_class = keras.layers.MaxPooling2D if mode == "max" else keras.layers.AveragePooling2D
    layer = layer_class(pool_size=size, strides=stride, padding=padding, dtype="float64")
    return np.asarray(layer(np.asarray(x, np.float64)))


def _pool2d_forward_cases():
    """(case, x, size, stride, mode) for 02.4."""
    x4 = random_values(40, (2, 4, 4, 3))
    return [
        ("max, 2x2, stride 2: batch of 2, 4x4 images, 3 channels", x4, 2, 2, "max"),
        ("avg, 2x2, stride 2: the same images", x4, 2, 2, "avg"),
        ("max, 3x3, stride 2: overlapping windows on 7x7 images", random_values(41, (1, 7, 7, 2)),
         3, 2, "max"),
        ("avg, 3x3, stride 1: 5x6 images", random_values(42, (2, 5, 6, 2)), 3, 1, "avg"),
        ("max, 2x2, stride 2, 5x5 images: the last row and column are dropped",
         random_values(43, (1, 5, 5, 1)), 2, 2, "max"),
        ("max, 2x2, stride 2: only negative values", -np.abs(random_values(44, (2, 4, 6, 2))) - 0.1,
         2, 2, "max"),
        ("avg, 2x2, stride 1, float32: batch of 3, 3x4 images, 4 channels",
         random_values(45, (3, 3, 4, 4)).astype(np.float32), 2, 1, "avg"),
    ]


def _pool2d_forward_answer(x, size, stride, mode, *, mode_as=None, channels="each",
                           steps="stride", keep_size=False, partial_windows=False,
                           from_zero=False):
    """Max or average pooling ('valid') of NHWC `x`: size x size windows, `stride` apart.

    Computed with Keras's MaxPooling2D and AveragePooling2D in float64.

    Switches (each one mistake):
        mode_as: the mode computed instead of `mode` ("max" or "avg").
        channels: "pooled" pools each window across its channels too (one number per
            window, repeated for every channel); "reduced away" gives that number alone,
            without the channel axis.
        steps: "one pixel" or "window size": how far apart the windows are instead of
            the stride.
        keep_size: True cuts the output to its right size (with `steps`: the windows
            start at (i, j) instead of (i * stride, j * stride)).
        partial_windows: True keeps the partial windows at the right/bottom edge.
        from_zero: True starts the maximum from 0 (max pooling only).
    """
    mode = mode_as or mode
    oh, ow = [(n - size) // stride + 1 for n in x.shape[1:3]]
    if channels != "each":
        reduce = np.max if mode == "max" else np.mean
        # The whole (window, channels) block reduced to one number per position.
        windows = np.stack([
            np.stack([x[:, i * stride:i * stride + size, j * stride:j * stride + size, :]
                      for j in range(ow)], axis=1) for i in range(oh)], axis=1)
        across = reduce(windows, axis=(3, 4, 5))                       # (batch, oh, ow)
        if channels == "reduced away":
            return across
        return np.repeat(across[..., None], x.shape[-1], axis=-1)
    step = {"stride": stride, "one pixel": 1, "window size": size}[steps]
    out = _keras_pool(x, size, step, mode, padding="same" if partial_windows else "valid")
    if keep_size:
        out = out[:, :oh, :ow]
    if from_zero and mode == "max":
        out = np.maximum(out, 0.0)
    return out


_POOL2D_FORWARD_MISTAKES = {
    "max pooling computed instead of avg pooling (check the mode argument)":
        {"mode_as": "max"},
    "avg pooling computed instead of max pooling (check the mode argument)":
        {"mode_as": "avg"},
    "pooled across the channels too: each channel is pooled on its own, over its window "
    "only": {"channels": "pooled"},
    "the channel axis reduced away: pool over height and width only (axes 1 and 2 of each "
    "window) and keep one result per channel": {"channels": "reduced away"},
    "windows start at (i, j) instead of (i * stride, j * stride): neighbouring windows must "
    "be `stride` pixels apart": {"steps": "one pixel", "keep_size": True},
    "stride ignored: the windows moved one pixel at a time": {"steps": "one pixel"},
    "the partial windows at the right/bottom edge were kept; 'valid' pooling drops them":
        {"partial_windows": True},
    "the windows moved by the window size instead of by the stride":
        {"steps": "window size"},
    "the maximum started from 0, so windows of negative values gave 0 (start from the "
    "first value or -inf)": {"from_zero": True},
}


@exercise("02.4")
def pool2d_forward(ex):
    """Checks `pool2d_forward(x, size, stride, mode)` against Keras's MaxPooling2D and
    AveragePooling2D with 'valid' padding."""
    for case, x, size, stride, mode in _pool2d_forward_cases():
        out = ex.call(case, x, size, stride, mode)
        float32 = x.dtype == np.float32
        ex.compare(
            case, out, _keras_pool(x, size, stride, mode),
            rtol=1e-5 if float32 else 1e-7, atol=1e-6 if float32 else 1e-9,
            mistakes=mistakes_from(_pool2d_forward_answer, _POOL2D_FORWARD_MISTAKES,
                                   x, size, stride, mode),
            hint="out[n, i, j, c] is the max (or mean) of x[n, i * stride : i * stride + "
                 "size, j * stride : j * stride + size, c]; the output is (batch, "
                 "(height - size) // stride + 1, (width - size) // stride + 1, channels).",
        )


# ---------------------------------------------------- global_average_pool ---

def _global_average_pool_cases():
    """(case, x) for 02.5."""
    return [
        ("batch of 2, 3x4 maps, 5 channels", random_values(50, (2, 3, 4, 5))),
        ("one image, 1x1 map, 3 channels", random_values(51, (1, 1, 1, 3))),
        ("batch of 3, 6x7 maps, 2 channels", random_values(52, (3, 6, 7, 2))),
        ("float32, batch of 4, 2x3 maps, 8 channels",
         random_values(53, (4, 2, 3, 8)).astype(np.float32)),
    ]


def _global_average_pool_answer(x, *, axes=(1, 2), keepdims=False, reduce=np.mean):
    """The mean of each channel of each NHWC image over its height and width (axes 1, 2).

    Switches (each one mistake):
        axes: the axes averaged instead.
        keepdims: True keeps the averaged axes, (batch, 1, 1, channels).
        reduce: np.max or np.sum instead of the mean.
    """
    return reduce(x, axis=axes, keepdims=keepdims)


_GLOBAL_AVERAGE_POOL_MISTAKES = {
    "keepdims=True left (batch, 1, 1, channels): the result is (batch, channels)":
        {"keepdims": True},
    "averaged over the batch too (axes 0, 1, 2): average each image's height and width "
    "(axes 1 and 2)": {"axes": (0, 1, 2)},
    "averaged over height, width and channels (axes 1, 2, 3): keep one value per channel":
        {"axes": (1, 2, 3)},
    "averaged over width and channels (axes 2, 3) instead of height and width (axes 1, 2)":
        {"axes": (2, 3)},
    "averaged over batch and height (axes 0, 1) instead of height and width (axes 1, 2)":
        {"axes": (0, 1)},
    "averaged over height only (axis 1)": {"axes": 1},
    "maximum instead of mean (that is global max pooling)": {"reduce": np.max},
    "summed instead of averaged": {"reduce": np.sum},
}


@exercise("02.5")
def global_average_pool(ex):
    """Checks `global_average_pool(x)` against `keras.layers.GlobalAveragePooling2D`."""
    keras = import_keras()
    layer = keras.layers.GlobalAveragePooling2D(dtype="float64")
    for case, x in _global_average_pool_cases():
        out = ex.call(case, x)
        ex.compare(
            case, out, np.asarray(layer(np.asarray(x, np.float64))),
            rtol=1e-5, atol=1e-6,
            mistakes=mistakes_from(_global_average_pool_answer, _GLOBAL_AVERAGE_POOL_MISTAKES,
                                   x),
            hint="average each channel of each image over its height and width: the "
                 "result has shape (batch, channels).",
        )


# ------------------------------------------------------ count_conv_params ---

def _count_conv_params_cases():
    """(case, f, c_in, n_filters) for 02.6."""
    return [
        ("LeNet's first layer: 6 filters of 5x5 on 1 channel", 5, 1, 6),
        ("10 filters of 3x3x3", 3, 3, 10),
        ("1x1 filters: 64 channels in, 32 out", 1, 64, 32),
        ("VGG-style: 128 filters of 3x3 on 64 channels", 3, 64, 128),
        ("AlexNet's first layer: 96 filters of 11x11 on 3 channels", 11, 3, 96),
    ]


def _count_conv_params_answer(f, c_in, n_filters, *, square=True, channels=True,
                              biases="one per filter"):
    """The parameters of a Conv2D layer: f * f * c_in weights and one bias per filter.

    Switches (each one mistake):
        square: False takes f weights per input channel of a filter, not f * f.
        channels: False leaves out the input channels (f * f weights per filter).
        biases: None (no biases), "one per weight" or "one per input channel" (of each
            filter).
    """
    weights = (f * f if square else f) * (c_in if channels else 1) * n_filters
    if biases is None:
        return weights
    if biases == "one per weight":
        return 2 * weights
    if biases == "one per input channel":
        return weights + c_in * n_filters
    return weights + n_filters


_COUNT_CONV_PARAMS_MISTAKES = {
    "biases missing: each filter has one bias too": {"biases": None},
    "input channels missing: a filter spans all c_in channels, so it has f * f * c_in "
    "weights": {"channels": False},
    "f not squared: a filter is f x f": {"square": False},
    "one bias per weight: each filter has a single bias": {"biases": "one per weight"},
    "one bias per input channel: each filter has a single bias":
        {"biases": "one per input channel"},
}


@exercise("02.6")
def count_conv_params(ex):
    """Checks `count_conv_params(f, c_in, n_filters)` against `keras.layers.Conv2D`."""
    keras = import_keras()
    for case, f, c_in, n in _count_conv_params_cases():
        out = ex.call(case, f, c_in, n)
        layer = keras.layers.Conv2D(n, f)
        layer.build((None, None, None, c_in))
        ex.compare(
            case, out, int(layer.count_params()), kind="scalar",
            mistakes=mistakes_from(_count_conv_params_answer, _COUNT_CONV_PARAMS_MISTAKES,
                                   f, c_in, n),
            hint="each of the n_filters filters has f * f * c_in weights and one bias.",
        )
        ex.require(
            case, is_int(out),
            f"the value is right, but it is a {type(out).__name__}; a parameter count "
            "is a whole number.", "return an int (no / or np.sqrt in the formula).",
        )


# -------------------------------------------------------------- build_cnn ---

_CNN_LAYOUT = ("two blocks of Conv2D(filters, 3, padding=\"same\", activation=\"relu\") and "
               "MaxPooling2D(2), then Flatten(), Dense(units, activation=\"relu\") and "
               "Dense(num_classes, activation=\"softmax\").")


def _check_cnn_parts(ex, case, model, input_shape, num_classes, leaves, operations):
    """02.7: the model has each kind of part, the right input and output, a softmax.

    `leaves` are its layers (`leaf_layers`), `operations` what it computes in order
    (`chain`: the activations applied with `keras.ops` inside a subclassed block too)."""
    __tracebackhide__ = True
    layers = import_keras().layers
    names = layer_names(leaves)

    def has(*classes):
        return any(isinstance(layer, classes) for layer in leaves)

    ex.require(case, has(layers.Conv2D),
               f"the model has no Conv2D layer; its layers are {names}.",
               "a CNN starts with convolution blocks: keras.layers.Conv2D(filters, 3, ...).")
    ex.require(case, has(layers.MaxPooling2D, layers.AveragePooling2D),
               f"the model has no pooling layer; its layers are {names}.",
               "follow convolution blocks with keras.layers.MaxPooling2D(2) to halve the "
               "feature maps.")
    ex.require(case, has(layers.Flatten, layers.GlobalAveragePooling2D),
               f"the model has neither Flatten nor GlobalAveragePooling2D; its layers are "
               f"{names}.",
               "turn the last feature maps into one vector per image with "
               "keras.layers.Flatten() or keras.layers.GlobalAveragePooling2D() before "
               "the Dense layers.")
    ex.require(case, any(is_nonlinear(operation) for operation in operations[:-1]),
               "no convolution is followed by a nonlinearity: a stack of linear layers is "
               "just one linear layer.",
               'give the Conv2D layers activation="relu" (or add keras.layers.ReLU()).')
    ex.require(
        case, tuple(model.input_shape) == (None, *input_shape),
        f"the model takes inputs of shape {tuple(model.input_shape)}, expected "
        f"{(None, *input_shape)}.",
        "use the input_shape argument: keras.Input(shape=input_shape), not a fixed shape.")
    output_shape = tuple(model.output_shape)
    ex.require(
        case, output_shape == (None, num_classes),
        f"the model's output has shape {output_shape}, expected {(None, num_classes)}.",
        "the last layer is Dense(num_classes, activation=\"softmax\"): use the "
        "num_classes argument.")
    last = operations[-1]
    softmax = (isinstance(last, layers.Dense) and activation_name(last) == "softmax") or \
        activation_of(last) == "softmax"
    ex.require(
        case, softmax,
        f"the last layer is {type(last).__name__} with activation "
        f"{activation_name(last) or 'none'}; the output must be class probabilities.",
        'end with keras.layers.Dense(num_classes, activation="softmax").')


def _check_cnn_blocks(ex, case, leaves):
    """02.7: two blocks of a 3x3 'same' Conv2D with a ReLU and a 2x2 max pooling, then
    Flatten (or global average pooling), hidden Dense layers with ReLU, the output.
    `leaves` are the model's operations in order (see `_check_cnn_parts`)."""
    __tracebackhide__ = True
    layers = import_keras().layers
    neutral = (layers.BatchNormalization, layers.Dropout)
    # The model's layers without activations, BN and Dropout, which may sit anywhere.
    steps = [layer for layer in leaves
             if activation_of(layer) is None and not isinstance(layer, neutral)]
    convs = conv_layers(steps)
    ex.require(case, len(convs) == 2,
               f"the model has {len(convs)} Conv2D layer(s) ({describe_convs(convs)}); "
               f"build_cnn has two convolution blocks.", _CNN_LAYOUT)
    require_relu_after(ex, case, leaves, convs, "give each Conv2D activation=\"relu\": "
                       + _CNN_LAYOUT, through=neutral)
    for number, conv in enumerate(convs, 1):
        config = conv.get_config()
        ex.require(case, config["kernel_size"] == (3, 3) and config["padding"] == "same",
                   f"convolution block {number} has {describe_layer(conv)}; the blocks use "
                   f"3x3 filters with padding=\"same\".", _CNN_LAYOUT)
        after = steps[steps.index(conv) + 1]
        ex.require(case, describe_layer(after) == "MaxPooling2D 2x2 stride 2",
                   f"in convolution block {number} the Conv2D is followed by "
                   f"{describe_layer(after)}; each block ends with a 2x2 max pooling.",
                   "put keras.layers.MaxPooling2D(2) after each Conv2D (max pooling, not "
                   "average, with the default stride and padding).")
    head = steps[steps.index(convs[-1]) + 2:]
    ex.require(case, head and isinstance(head[0], (layers.Flatten,
                                                   layers.GlobalAveragePooling2D)),
               f"after the second block comes {describe_layer(head[0]) if head else 'nothing'}"
               f"; expected Flatten (or GlobalAveragePooling2D).", _CNN_LAYOUT)
    hidden = head[1:-1]
    ex.require(case, hidden and all(isinstance(layer, layers.Dense) for layer in hidden),
               f"between Flatten and the output the model has "
               f"{[describe_layer(layer) for layer in hidden] or 'nothing'}; expected one or "
               f"more hidden Dense layers.", _CNN_LAYOUT)
    require_relu_after(ex, case, leaves, hidden, "give each hidden Dense layer "
                       "activation=\"relu\": " + _CNN_LAYOUT, through=neutral)


def _worked_out_params(leaves):
    """The parameters of a model's layers added up, each from its configuration where
    `count_params_from_config` can work it out (a layer used twice counts twice)."""
    worked_out = 0
    for layer in leaves:
        count = count_params_from_config(layer)
        worked_out += int(layer.count_params()) if count is None else count
    return worked_out


def _operations(model, leaves):
    """What a Sequential or functional model computes, in order (`chain`: the layers, and
    the `keras.ops` calls inside subclassed blocks), or its leaf layers where that walk
    finds nothing. A Sequential is applied anew to a `keras.Input` of its input shape
    (one holding a subclassed `keras.Model` has no graph of its own)."""
    keras = import_keras()
    try:
        if isinstance(model, keras.Sequential):
            inputs = output = keras.Input(shape=tuple(model.input_shape)[1:])
            for layer in model.layers:
                if not isinstance(layer, keras.layers.InputLayer):
                    output = layer(output)
        else:
            inputs, output = model.input, model.output
        operations = chain(output, inputs)
    except Exception:  # noqa: BLE001 - a model that cannot be walked is judged by its layers
        operations = []
    return operations or leaves


def _check_cnn(ex, case, model, input_shape, num_classes):
    """The structural checks of 02.7 for one built model."""
    __tracebackhide__ = True
    total = require_built_model(ex, case, model)
    ex.require(
        case, not is_subclassed_model(model),
        f"expected a keras.Sequential that starts with keras.Input(shape=input_shape), "
        f"received a subclassed {type(model).__name__}, which has no input of its own.",
        "put your blocks (layers, nested keras.Sequential, or keras.layers.Layer "
        "subclasses) in keras.Sequential([keras.Input(shape=input_shape), ...]): the "
        "notebook reads the model's layers and input shape.")
    leaves = leaf_layers(model)
    worked_out = _worked_out_params(leaves)
    operations = _operations(model, leaves)
    _check_cnn_parts(ex, case, model, input_shape, num_classes, leaves, operations)
    _check_cnn_blocks(ex, case, operations)
    ex.require(
        case, worked_out == total,
        f"the model reports {total} parameters, but its layers' configurations add up "
        f"to {worked_out}: a layer is used twice.",
        "create a new layer for each place in the model (no layer object used twice, none "
        "taken from another model).")
    batch = np.random.default_rng(60).uniform(size=(2, *input_shape)).astype(np.float32)
    require_probabilities(
        ex, case, model, batch, num_classes, "2 images",
        'end with keras.layers.Dense(num_classes, activation="softmax") (a softmax over '
        'the classes, the last axis).')


def _build_cnn_cases():
    """(case, input_shape, num_classes) for 02.7."""
    return [
        ("Fashion-MNIST: (28, 28, 1) images, 10 classes", (28, 28, 1), 10),
        ("colour images: (32, 32, 3), 5 classes", (32, 32, 3), 5),
        ("non-square images: (40, 24, 1), 3 classes", (40, 24, 1), 3),
    ]


@exercise("02.7")
def build_cnn(ex):
    """Checks `build_cnn(input_shape, num_classes)` structurally.

    For three input shapes it requires a Keras model with Conv2D, a pooling
    layer, Flatten or GlobalAveragePooling2D, a nonlinearity and a softmax
    output; input shape `(None, *input_shape)` and output shape
    `(None, num_classes)`; then exactly two convolution blocks, each a 3x3
    'same' Conv2D with a ReLU followed by MaxPooling2D(2), then Flatten (or
    GlobalAveragePooling2D), hidden Dense layers with ReLU and the output
    (BatchNormalization and Dropout may sit anywhere); a parameter count equal
    to the sum worked out from the layers' configurations; and rows of
    probabilities on a real batch.
    """
    for case, input_shape, num_classes in _build_cnn_cases():
        model = ex.call(case, input_shape, num_classes)
        _check_cnn(ex, case, model, input_shape, num_classes)


# ----------------------------------------------------- build_augmentation ---

#: The largest factor of each random layer that 02.8 accepts ("small factors").
AUGMENTATION_LIMITS = {"RandomRotation": 0.1, "RandomZoom": 0.3, "RandomContrast": 0.3}


def _factors(layer):
    """The factors of a random layer's configuration, as numbers (a tuple's ends)."""
    config = layer.get_config()
    found = []
    for key in ("factor", "height_factor", "width_factor"):
        value = config.get(key)
        found += [abs(float(v)) for v in np.ravel(value if value is not None else [])]
    return found


def _check_augmentation_layers(ex, case, augment):
    """02.8: a Sequential with the four random layers, a horizontal flip, small factors
    and a contrast for values in [0, 1]."""
    __tracebackhide__ = True
    layers = import_keras().layers
    ex.require(
        case, isinstance(augment, layers.Layer),
        f"expected a keras.Sequential (or another Keras layer or model), received "
        f"{describe(augment)}.",
        "return keras.Sequential([keras.layers.RandomFlip(...), ...]).")
    leaves = leaf_layers(augment)
    missing = [name for name in ("RandomFlip", *AUGMENTATION_LIMITS)
               if not any(isinstance(layer, getattr(layers, name)) for layer in leaves)]
    ex.require(
        case, not missing,
        f"the pipeline has no {', '.join(missing)}; its layers are {layer_names(leaves)}.",
        "include keras.layers.RandomFlip, RandomRotation, RandomZoom and RandomContrast.")
    for layer in leaves:
        if isinstance(layer, layers.RandomFlip):
            mode = layer.get_config()["mode"]
            ex.require(case, mode == "horizontal",
                       f"RandomFlip flips with mode {mode!r}; only a horizontal flip keeps "
                       f"the label (an upside-down shoe is not a shoe any more).",
                       'use keras.layers.RandomFlip("horizontal").')
        limit = AUGMENTATION_LIMITS.get(type(layer).__name__)
        if limit is not None:
            largest = max(_factors(layer), default=0.0)
            ex.require(case, largest <= limit,
                       f"{type(layer).__name__} has a factor of {largest:g}; the pipeline "
                       f"uses small factors, at most {limit:g} here.",
                       "small changes keep the label and the image realistic, e.g. "
                       "RandomRotation(0.05) (up to 18 degrees), RandomZoom(0.1), "
                       "RandomContrast(0.2, value_range=(0, 1)).")
        if isinstance(layer, layers.RandomContrast):
            value_range = tuple(layer.get_config()["value_range"])
            ex.require(case, value_range == (0, 1),
                       f"RandomContrast has value_range={value_range}; the images have "
                       f"values in [0, 1].",
                       "pass value_range=(0, 1) (Keras assumes (0, 255) otherwise).")


def _check_augmentation_in_a_model(ex, case, images):
    """02.8: a fresh pipeline works as the notebook uses it: the first layer of a
    keras.Sequential after keras.Input, run by `fit` (traced, the batch size unknown)."""
    __tracebackhide__ = True
    keras, tf = import_keras(), import_tensorflow()
    fresh = ex.call(case)  # not built by the check: the notebook's is new too
    shape = tuple(images.shape[1:])
    try:
        model = keras.Sequential([keras.Input(shape=shape), fresh])
        traced = tf.function(lambda x: model(x, training=True), autograph=False,
                             input_signature=[tf.TensorSpec((None, *shape), tf.float32)])
        moved = np.asarray(traced(images))
    except Exception as error:  # noqa: BLE001 - the student's pipeline fails in a model
        ex.fail(case, f"used as the notebook uses it, as the first layer of "
                      f"keras.Sequential([keras.Input(shape={shape}), pipeline, ...]) that "
                      f"fit runs with the batch size unknown (None), the pipeline raised "
                      f"{type(error).__name__}: {str(error).strip()[:300]}",
                "use Keras's random layers; a layer of your own must read the batch size "
                "with keras.ops.shape(x)[0], not x.shape[0] (None inside a model).",
                part="inside a model")
    ex.require(case, moved.shape == images.shape,
               f"inside a model the batch came out with shape {moved.shape}, expected "
               f"{images.shape}.", "augmentation must keep the image size.",
               part="inside a model")


def _build_augmentation_cases():
    """(case, images) for 02.8."""
    rng = np.random.default_rng(70)
    return [
        ("grayscale batch (8, 28, 28, 1) in [0, 1]",
         rng.uniform(size=(8, 28, 28, 1)).astype(np.float32)),
        ("colour batch (4, 32, 32, 3) in [0, 1]",
         rng.uniform(size=(4, 32, 32, 3)).astype(np.float32)),
    ]


@exercise("02.8")
def build_augmentation(ex):
    """Checks `build_augmentation()`: a keras.Sequential of random preprocessing layers.

    It must hold RandomFlip("horizontal"), RandomRotation, RandomZoom and
    RandomContrast with `value_range=(0, 1)`, with small factors (see
    `AUGMENTATION_LIMITS`); keep the shape of a batch; leave images unchanged
    with `training=False`; and change them, without NaN, with `training=True`. A
    fresh pipeline must also work as the notebook uses it: inside a model, traced
    with the batch size unknown. Nested models and subclassed layers are opened up:
    any Keras layer or model that holds the four random layers is accepted.
    """
    for number, (case, images) in enumerate(_build_augmentation_cases()):
        augment = ex.call(case)
        _check_augmentation_layers(ex, case, augment)
        try:
            still = augment(images, training=False)
            moved = augment(images, training=True)
        except Exception as error:  # the student's pipeline fails on a plain batch
            ex.fail(case, f"applying the pipeline to a batch of shape {images.shape} raised "
                          f"{type(error).__name__}: {error}",
                    "use only image preprocessing layers, with no fixed input shape.")
        ex.compare(
            case, still, images, kind="tensor", rtol=0, atol=1e-6,
            part="with training=False",
            hint="at inference (training=False) augmentation must leave images as they are: "
                 "only random layers belong in the pipeline (no Rescaling or Resizing).")
        moved = np.asarray(moved)
        ex.require(
            case, moved.shape == images.shape,
            f"with training=True the batch came out with shape {moved.shape}, expected "
            f"{images.shape}.", "augmentation must keep the image size (no Resizing or "
                                "RandomCrop).", part="with training=True")
        ex.require(
            case, bool(np.all(np.isfinite(moved))),
            "with training=True the batch holds NaN or infinite values.",
            "fill the pixels that rotations and zooms invent with a number "
            "(fill_mode=\"constant\" fills with fill_value=0.0).", part="with training=True")
        ex.require(
            case, not np.allclose(moved, images, atol=1e-3),
            "with training=True the images came out unchanged.",
            "give each random layer a non-zero factor, e.g. RandomRotation(0.05).",
            part="with training=True")
        if number == 0:
            _check_augmentation_in_a_model(ex, case, images)


# --------------------------------------------------------------- grad_cam ---

def _grad_cam_models():
    """The check's two small models, with fixed weights: a keras.Sequential shaped like
    build_cnn's (one channel) and a functional model on colour images ending in global
    average pooling. Both end in Dense(..., activation="softmax")."""
    keras = import_keras()
    layers = keras.layers
    sequential = keras.Sequential([
        keras.Input(shape=(8, 8, 1)),
        layers.Conv2D(4, 3, padding="same", activation="relu", name="conv_a"),
        layers.MaxPooling2D(2),
        layers.Conv2D(6, 3, padding="same", activation="relu", name="conv_b"),
        layers.MaxPooling2D(2),
        layers.Flatten(),
        layers.Dropout(0.3),
        layers.Dense(5, activation="softmax"),
    ])
    inputs = keras.Input(shape=(6, 6, 3))
    x = layers.Conv2D(5, 3, padding="same", activation="relu", name="conv_1")(inputs)
    x = layers.Conv2D(4, 3, padding="same", activation="relu", name="conv_2")(x)
    x = layers.GlobalAveragePooling2D()(x)
    outputs = layers.Dense(4, activation="softmax", name="classes")(x)
    functional = keras.Model(inputs, outputs)
    for number, model in enumerate((sequential, functional)):
        rng = np.random.default_rng(90 + number)
        model.set_weights([rng.normal(scale=0.6, size=w.shape).astype(np.float32)
                           for w in model.get_weights()])
    return sequential, functional


def _grad_cam_cases():
    """(case, model, images, layer_name, class_index) for 02.9, and the models' answers
    are worked out by `_grad_cam_answer`."""
    sequential, functional = _grad_cam_models()
    rng = np.random.default_rng(91)
    gray = rng.uniform(size=(4, 8, 8, 1)).astype(np.float32)
    colour = rng.uniform(size=(3, 6, 6, 3)).astype(np.float32)
    logits = _grad_cam_logits(sequential, gray)
    least = np.argmin(logits, axis=1)                  # a class that is not the argmax
    return [
        ("one image, its predicted class, the last conv layer", sequential, gray[:1],
         "conv_b", np.argmax(logits[:1], axis=1)),
        ("4 images, a different class each", sequential, gray, "conv_b", np.array([3, 0, 4, 1])),
        ("4 images, each with its least likely class (not the argmax)", sequential, gray,
         "conv_b", least),
        ("a layer that is not the last conv layer: conv_a, 8x8 maps", sequential, gray[:3],
         "conv_a", np.array([2, 2, 0])),
        ("functional model on colour images, class_index one int for every image", functional,
         colour, "conv_2", 1),
        ("functional model, the first conv layer, a class per image", functional, colour,
         "conv_1", np.array([0, 3, 2])),
    ]


def _grad_cam_logits(model, images):
    """The model's last Dense layer before its softmax, computed layer by layer."""
    tf = import_tensorflow()
    x = tf.constant(images)
    layers = [layer for layer in model.layers if type(layer).__name__ != "InputLayer"]
    for layer in layers[:-1]:
        x = layer(x, training=False)
    return (tf.matmul(x, layers[-1].kernel) + layers[-1].bias).numpy()


def _grad_cam_answer(model, images, layer_name, class_index, *, relu=True, classes="given",
                     weights="mean", wrt="layer", normalise=False, score="logit"):
    """Grad-CAM of `images` at the layer `layer_name`: ReLU(sum_k alpha_k A_k) with alpha_k
    the spatial mean of d(logit of the class)/dA_k.

    The reference runs the model's layers one by one (the check's models are chains) and
    watches the layer's output on a GradientTape: no sub-model, unlike the notebook's
    solution.

    Switches (each one mistake):
        relu: False leaves the weighted sum without its ReLU.
        classes: "argmax" takes each image's predicted class; "first" takes class_index[0]
            for every image.
        weights: "sum" sums the gradient over the positions instead of averaging it;
            "per pixel" uses the gradient at each position (gradient x activation).
        wrt: "input" averages the gradient with respect to the input images (possible
            only with one input channel, where it broadcasts over the layer's channels).
        normalise: True divides each map by its maximum (to [0, 1]).
        score: "probability" differentiates the softmax output instead of the logit.
    """
    tf = import_tensorflow()
    n = len(images)
    index = np.broadcast_to(np.asarray(class_index), (n,))
    if classes == "first":
        index = np.full(n, index[0])
    if wrt == "input" and images.shape[-1] != 1:
        return None
    layers = [layer for layer in model.layers if type(layer).__name__ != "InputLayer"]
    x = tf.constant(images)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        h = x
        for layer in layers[:-1]:
            h = layer(h, training=False)
            if layer.name == layer_name:
                maps = h
        logits = tf.matmul(h, layers[-1].kernel) + layers[-1].bias
        if classes == "argmax":
            index = np.argmax(logits.numpy(), axis=1)
        scores = tf.nn.softmax(logits) if score == "probability" else logits
        chosen = tf.reduce_sum(scores * tf.one_hot(index, scores.shape[-1]), axis=1)
    grads = tape.gradient(chosen, x if wrt == "input" else maps).numpy()
    maps = maps.numpy()
    if weights == "per pixel":
        alpha = grads                                            # (n, h, w, k)
    else:
        alpha = (grads.sum if weights == "sum" else grads.mean)(axis=(1, 2), keepdims=True)
    cam = np.sum(alpha * maps, axis=-1)                          # (n, h, w)
    if relu:
        cam = np.maximum(cam, 0.0)
    if normalise:
        top = cam.max(axis=(1, 2), keepdims=True)
        cam = cam / np.where(top > 0, top, 1.0)
    return cam


_GRAD_CAM_MISTAKES = {
    "no ReLU: negative values of the weighted sum were kept; Grad-CAM keeps only the "
    "positive evidence, relu(sum_k alpha_k A_k)": {"relu": False},
    "gradients of each image's predicted class (argmax) instead of class_index: score the "
    "class you are given": {"classes": "argmax"},
    "class_index[0] used for every image: image i needs the score of class_index[i] "
    "(e.g. tf.gather(logits, class_index, batch_dims=1))": {"classes": "first"},
    "the weights summed the gradient over the positions instead of averaging it: alpha_k is "
    "the spatial mean (reduce_mean over height and width)": {"weights": "sum"},
    "the gradient was used at each position (gradient x activation) instead of one weight per "
    "channel: average the gradient over height and width first": {"weights": "per pixel"},
    "the gradient was taken with respect to the input images instead of the layer's "
    "activations: differentiate the score with respect to the conv layer's output":
        {"wrt": "input"},
    "each map was normalised to [0, 1]: return the maps unnormalised (normalise only to "
    "show them)": {"normalise": True},
    "the gradient of the softmax probability instead of the logit: take the score before the "
    "softmax (the last layer's features @ kernel + bias)": {"score": "probability"},
}


def _grad_cam_model_unchanged(ex, case, model, images, before):
    """Fails `case` if calling the student's function changed the model's predictions
    (a softmax removed from the last layer, weights changed)."""
    __tracebackhide__ = True
    after = np.asarray(model(images, training=False))
    ex.require(case, np.allclose(before, after, atol=1e-6),
               "after your function ran, the model predicts other values than before: it "
               "changed the model (its last layer's activation or its weights).",
               "leave the model as it is: compute the logits from the last layer's input "
               "with its kernel and bias instead of changing its activation.")


@exercise("02.9")
def grad_cam(ex):
    """Checks `grad_cam(model, images, layer_name, class_index)` against a GradientTape
    reference that runs the model layer by layer, on two small models with fixed weights
    (a keras.Sequential like build_cnn's and a functional model), for one or several
    images, classes that are or are not the prediction, the last and an earlier conv
    layer, and one int for every image."""
    for case, model, images, layer_name, class_index in _grad_cam_cases():
        before = np.asarray(model(images, training=False))
        out = ex.call(case, model, images.copy(), layer_name, class_index, copy_inputs=False)
        _grad_cam_model_unchanged(ex, case, model, images, before)
        expected = _grad_cam_answer(model, images, layer_name, class_index)
        ex.compare(
            case, out, expected, kind="tensor", rtol=1e-4, atol=1e-5,
            mistakes=mistakes_from(_grad_cam_answer, _GRAD_CAM_MISTAKES, model, images,
                                   layer_name, class_index),
            shape_hint=f"return one map per image at the resolution of the layer "
                       f"{layer_name!r}: (images, its height, its width), the channels summed.",
            hint="alpha_k = mean over height and width of d(logit of class_index[i]) / dA_k; "
                 "the map is relu(sum_k alpha_k * A_k), not normalised.",
        )
