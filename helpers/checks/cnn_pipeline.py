"""Checks for notebook 02, the CNN pipeline: output sizes, zero padding, a
convolution layer, pooling, global average pooling, parameter counts, a Keras CNN
and an augmentation pipeline.

Each function takes the student's function, runs it on fixed cases and compares
the results with an independent oracle: `tf.nn.conv2d`, `tf.pad`, Keras's pooling
layers, `keras.layers.Conv2D.count_params()` and values worked out by hand. Known
wrong answers (kernel flipped, bias missing, windows stepped by 1 instead of the
stride, padding on the wrong side or twice, pooling across channels, ...) are
computed too, so that a message can name the mistake.

Example:

>>> from helpers.checks import cnn_pipeline as check
>>> check.conv2d_forward(conv2d_forward)
02.3 conv2d_forward: all 8 cases passed
"""

import math

import numpy as np

from helpers.checks.core import (exercise, describe, import_keras, import_tensorflow, is_int,
                                 random_values)
from helpers.checks.keras_models import (activation_name, activation_of, conv_layers,
                                         count_params_from_config, describe_convs, describe_layer,
                                         is_nonlinear, layer_names, leaf_layers,
                                         require_built_model, require_probabilities,
                                         require_relu_after)

__all__ = [
    "conv_output_size", "zero_pad", "conv2d_forward", "pool2d_forward",
    "global_average_pool", "count_conv_params", "build_cnn", "build_augmentation",
]


# ---------------------------------------------------------------- oracles ---

def _tf_conv(x, w, b, stride, pads):
    """tf.nn.conv2d in float64 with explicit padding ((top, bottom), (left, right)), plus b."""
    tf = import_tensorflow()
    padding = [[0, 0], list(pads[0]), list(pads[1]), [0, 0]]
    out = tf.nn.conv2d(tf.constant(x, tf.float64), tf.constant(w, tf.float64),
                       strides=stride, padding=padding).numpy()
    return out + np.asarray(b, np.float64)


def _tf_same_pads(size, f, stride):
    """TensorFlow's 'same' padding along one axis: (before, after), the odd one after."""
    out = -(-size // stride)
    total = max((out - 1) * stride + f - size, 0)
    return total // 2, total - total // 2


# ------------------------------------------------------- conv_output_size ---

@exercise("02.1")
def conv_output_size(ex):
    """Checks `conv_output_size(n, f, p, s)` against the shape `tf.nn.conv2d` produces."""
    tf = import_tensorflow()
    cases = [
        ("5x5 image, 3x3 filter, no padding, stride 1", 5, 3, 0, 1),
        ("28x28 image, 5x5 filter, padding 2, stride 1", 28, 5, 2, 1),
        ("7x7 image, 3x3 filter, stride 2", 7, 3, 0, 2),
        ("8x8 image, 3x3 filter, stride 2 (the last step does not fit)", 8, 3, 0, 2),
        ("32x32 image, 3x3 filter, padding 1, stride 2", 32, 3, 1, 2),
        ("227x227 image, 11x11 filter, stride 4 (AlexNet)", 227, 11, 0, 4),
        ("6x6 image, 2x2 pooling window, stride 2", 6, 2, 0, 2),
        ("3x3 image, 5x5 filter, padding 1 (the filter just fits)", 3, 5, 1, 1),
    ]
    results = []
    for case, n, f, p, s in cases:
        out = ex.call(case, n, f, p, s)
        conv = tf.nn.conv2d(tf.zeros((1, n, n, 1)), tf.zeros((f, f, 1, 1)), strides=s,
                            padding=[[0, 0], [p, p], [p, p], [0, 0]])
        expected = int(conv.shape[1])
        ex.compare(
            case, out, expected, kind="scalar",
            mistakes={
                "no rounding down: when the filter does not fit a whole number of "
                "steps, the last partial step is dropped (use // for the division)":
                    (n + 2 * p - f) / s + 1,
                "rounded up instead of down: a step the filter cannot complete "
                "gives no output": math.ceil((n + 2 * p - f) / s) + 1,
                "+ 1 missing: the first position of the filter counts too":
                    (n + 2 * p - f) // s,
                "padding counted once: p zeros go on both sides, so the padded size "
                "is n + 2p": (n + p - f) // s + 1,
                "stride ignored: the division by s is missing": n + 2 * p - f + 1,
            },
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

@exercise("02.2")
def zero_pad(ex):
    """Checks `zero_pad(x, p)` (NHWC, height and width only) against `tf.pad`."""
    tf = import_tensorflow()
    cases = [
        ("one 3x3 image, one channel, p=1", np.arange(1.0, 10.0).reshape(1, 3, 3, 1), 1),
        ("batch of 2, 4x5 images, 3 channels, p=2", random_values(1, (2, 4, 5, 3)), 2),
        ("float32 batch of 3, 2x3 images, 2 channels, p=1",
         random_values(2, (3, 2, 3, 2)).astype(np.float32), 1),
        ("p=0 leaves the images as they are", random_values(3, (2, 3, 3, 2)), 0),
    ]
    for case, x, p in cases:
        out = ex.call(case, x, p)
        expected = tf.pad(x, [[0, 0], [p, p], [p, p], [0, 0]]).numpy()

        def pad(*widths, **kwargs):
            return np.pad(x, widths, **kwargs)

        none, both = (0, 0), (p, p)
        ex.compare(
            case, out, expected,
            mistakes={
                "every axis padded, batch and channels too: pad only height and width "
                "(axes 1 and 2)": np.pad(x, p),
                "the channel axis padded too: pad only height and width (axes 1 and 2)":
                    pad(none, both, both, both),
                "the batch axis padded too: pad only height and width (axes 1 and 2)":
                    pad(both, both, both, none),
                "only the height padded: pad the width (axis 2) too": pad(none, both, none, none),
                "only the width padded: pad the height (axis 1) too": pad(none, none, both, none),
                "padded on one side only: p zeros go on each side (top and bottom, "
                "left and right)": pad(none, (0, p), (0, p), none),
                "padded on one side only (top and left): p zeros go on each side":
                    pad(none, (p, 0), (p, 0), none),
                "padding applied twice: 2p zeros on each side instead of p":
                    pad(none, (2 * p, 2 * p), (2 * p, 2 * p), none),
                "border pixels repeated instead of zeros (np.pad's mode='edge')":
                    pad(none, both, both, none, mode="edge"),
            },
            hint="the result has shape (batch, height + 2p, width + 2p, channels): zeros "
                 "around each image, the original pixels in the middle.",
        )


# --------------------------------------------------------- conv2d_forward ---

def _conv_cases():
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


def _conv_pads(x, f, stride, padding):
    """((top, bottom), (left, right)) zeros for 'valid' or TensorFlow's 'same'."""
    if padding == "valid":
        return (0, 0), (0, 0)
    return _tf_same_pads(x.shape[1], f, stride), _tf_same_pads(x.shape[2], f, stride)


def _conv_mistakes(x, w, b, stride, padding):
    """Known wrong answers of conv2d_forward, computed with tf.nn.conv2d."""
    f, h, width = w.shape[0], x.shape[1], x.shape[2]
    pads = _conv_pads(x, f, stride, padding)
    right = _tf_conv(x, w, b, stride, pads)
    oh, ow = right.shape[1:3]
    stride_one = _tf_conv(x, w, b, 1, pads)
    mistakes = {
        "bias missing: add b[k] to every position of output channel k":
            _tf_conv(x, w, 0.0, stride, pads),
        "kernel flipped: that is the convolution of mathematics, but CNN layers compute "
        "cross-correlation, where w[i, j] multiplies the pixel at offset (i, j) of the "
        "window, unflipped": _tf_conv(x, w[::-1, ::-1], b, stride, pads),
        "kernel rows and columns swapped: w[i, j] belongs to row offset i and column "
        "offset j": _tf_conv(x, w.transpose(1, 0, 2, 3), b, stride, pads),
        "windows start at (i, j) instead of (i * stride, j * stride): the output has the "
        "right size, but neighbouring windows must be `stride` pixels apart":
            stride_one[:, :oh, :ow],
        "stride ignored: the windows moved one pixel at a time": stride_one,
        "output size (n + 2p - f + 1) // stride: with a stride the number of windows "
        "is (n + 2p - f) // stride + 1": right[:, :(h + sum(pads[0]) - f + 1) // stride,
                                                :(width + sum(pads[1]) - f + 1) // stride],
        "'same' treated as 'valid' (or the padding argument ignored)":
            _tf_conv(x, w, b, stride, ((0, 0), (0, 0))),
    }
    double = tuple((2 * a, 2 * c) for a, c in pads)
    if double != pads:
        mistakes["padding applied twice: the input was padded, then padded again"] = \
            _tf_conv(x, w, b, stride, double)
    if padding == "valid":
        mistakes["'valid' treated as 'same': 'valid' means no padding at all"] = \
            _tf_conv(x, w, b, stride, _conv_pads(x, f, stride, "same"))
    else:
        rule = ("TensorFlow pads max((out - 1) * stride + f - n, 0) zeros in total along "
                "each axis, with out = ceil(n / stride): half before, and the odd one "
                "after (bottom/right)")
        half = (f - 1) // 2
        fixed = ((half, f - 1 - half), (half, f - 1 - half))
        if fixed != pads:
            mistakes[f"'same' padded by (f - 1) // 2 = {half} on each side as for stride "
                     f"1, but with stride {stride} {rule}"] = _tf_conv(x, w, b, stride, fixed)
        flipped = tuple((after, before) for before, after in pads)
        if flipped != pads:
            mistakes[f"the odd zero row/column of 'same' padding went on top/left; "
                     f"{rule}"] = _tf_conv(x, w, b, stride, flipped)
        if (f - 1) % 2:
            even = ((f // 2, f // 2), (f // 2, f // 2))
            mistakes["'same' padded by f // 2 on every side: with an even filter size "
                     "the total padding is odd, and the extra zero goes at the "
                     "bottom/right only"] = _tf_conv(x, w, b, stride, even)
    return mistakes


@exercise("02.3")
def conv2d_forward(ex):
    """Checks `conv2d_forward(x, w, b, stride=1, padding="valid")` against `tf.nn.conv2d`.

    Cases cover 'valid' and 'same' padding (including TensorFlow's asymmetric
    'same' padding with stride 2 and with an even filter size), stride 1 and 2,
    batches with several input channels and several filters.
    """
    for number, (case, x, w, b, stride, padding, rtol) in enumerate(_conv_cases()):
        # The first case relies on the defaults, stride=1 and padding="valid".
        kwargs = {"stride": stride, "padding": padding} if number else {}
        out = ex.call(case, x, w, b, **kwargs)
        expected = _tf_conv(x, w, b, stride, _conv_pads(x, w.shape[0], stride, padding))
        ex.compare(
            case, out, expected, rtol=rtol, atol=rtol,
            mistakes=_conv_mistakes(x, w, b, stride, padding),
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


def _pool_mistakes(x, size, stride, mode):
    """Known wrong answers of pool2d_forward, computed with Keras's pooling layers."""
    right = _keras_pool(x, size, stride, mode)
    oh, ow = right.shape[1:3]
    other = "avg" if mode == "max" else "max"
    reduce = np.max if mode == "max" else np.mean
    stride_one = _keras_pool(x, size, 1, mode)
    # The whole (window, channels) block reduced to one number per position.
    windows = np.stack([
        np.stack([x[:, i * stride:i * stride + size, j * stride:j * stride + size, :]
                  for j in range(ow)], axis=1) for i in range(oh)], axis=1)
    across = reduce(windows, axis=(3, 4, 5))                       # (batch, oh, ow)
    mistakes = {
        f"{other} pooling computed instead of {mode} pooling (check the mode argument)":
            _keras_pool(x, size, stride, other),
        "pooled across the channels too: each channel is pooled on its own, over its "
        "window only": np.repeat(across[..., None], x.shape[-1], axis=-1),
        "the channel axis reduced away: pool over height and width only (axes 1 and 2 "
        "of each window) and keep one result per channel": across,
        "windows start at (i, j) instead of (i * stride, j * stride): neighbouring "
        "windows must be `stride` pixels apart": stride_one[:, :oh, :ow],
        "stride ignored: the windows moved one pixel at a time": stride_one,
        "the partial windows at the right/bottom edge were kept; 'valid' pooling drops "
        "them": _keras_pool(x, size, stride, mode, padding="same"),
    }
    if stride != size:
        mistakes["the windows moved by the window size instead of by the stride"] = \
            _keras_pool(x, size, size, mode)
    if mode == "max":
        mistakes["the maximum started from 0, so windows of negative values gave 0 "
                 "(start from the first value or -inf)"] = np.maximum(right, 0.0)
    return mistakes


@exercise("02.4")
def pool2d_forward(ex):
    """Checks `pool2d_forward(x, size, stride, mode)` against Keras's MaxPooling2D and
    AveragePooling2D with 'valid' padding."""
    x4 = random_values(40, (2, 4, 4, 3))
    cases = [
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
    for case, x, size, stride, mode in cases:
        out = ex.call(case, x, size, stride, mode)
        float32 = x.dtype == np.float32
        ex.compare(
            case, out, _keras_pool(x, size, stride, mode),
            rtol=1e-5 if float32 else 1e-7, atol=1e-6 if float32 else 1e-9,
            mistakes=_pool_mistakes(x, size, stride, mode),
            hint="out[n, i, j, c] is the max (or mean) of x[n, i * stride : i * stride + "
                 "size, j * stride : j * stride + size, c]; the output is (batch, "
                 "(height - size) // stride + 1, (width - size) // stride + 1, channels).",
        )


# ---------------------------------------------------- global_average_pool ---

@exercise("02.5")
def global_average_pool(ex):
    """Checks `global_average_pool(x)` against `keras.layers.GlobalAveragePooling2D`."""
    keras = import_keras()
    cases = [
        ("batch of 2, 3x4 maps, 5 channels", random_values(50, (2, 3, 4, 5))),
        ("one image, 1x1 map, 3 channels", random_values(51, (1, 1, 1, 3))),
        ("batch of 3, 6x7 maps, 2 channels", random_values(52, (3, 6, 7, 2))),
        ("float32, batch of 4, 2x3 maps, 8 channels",
         random_values(53, (4, 2, 3, 8)).astype(np.float32)),
    ]
    layer = keras.layers.GlobalAveragePooling2D(dtype="float64")
    for case, x in cases:
        out = ex.call(case, x)
        ex.compare(
            case, out, np.asarray(layer(np.asarray(x, np.float64))),
            rtol=1e-5, atol=1e-6,
            mistakes={
                "keepdims=True left (batch, 1, 1, channels): the result is (batch, channels)":
                    x.mean(axis=(1, 2), keepdims=True),
                "averaged over the batch too (axes 0, 1, 2): average each image's "
                "height and width (axes 1 and 2)": x.mean(axis=(0, 1, 2)),
                "averaged over height, width and channels (axes 1, 2, 3): keep one value "
                "per channel": x.mean(axis=(1, 2, 3)),
                "averaged over width and channels (axes 2, 3) instead of height and width "
                "(axes 1, 2)": x.mean(axis=(2, 3)),
                "averaged over batch and height (axes 0, 1) instead of height and width "
                "(axes 1, 2)": x.mean(axis=(0, 1)),
                "averaged over height only (axis 1)": x.mean(axis=1),
                "maximum instead of mean (that is global max pooling)": x.max(axis=(1, 2)),
                "summed instead of averaged": x.sum(axis=(1, 2)),
            },
            hint="average each channel of each image over its height and width: the "
                 "result has shape (batch, channels).",
        )


# ------------------------------------------------------ count_conv_params ---

@exercise("02.6")
def count_conv_params(ex):
    """Checks `count_conv_params(f, c_in, n_filters)` against `keras.layers.Conv2D`."""
    keras = import_keras()
    cases = [
        ("LeNet's first layer: 6 filters of 5x5 on 1 channel", 5, 1, 6),
        ("10 filters of 3x3x3", 3, 3, 10),
        ("1x1 filters: 64 channels in, 32 out", 1, 64, 32),
        ("VGG-style: 128 filters of 3x3 on 64 channels", 3, 64, 128),
        ("AlexNet's first layer: 96 filters of 11x11 on 3 channels", 11, 3, 96),
    ]
    for case, f, c_in, n in cases:
        out = ex.call(case, f, c_in, n)
        layer = keras.layers.Conv2D(n, f)
        layer.build((None, None, None, c_in))
        ex.compare(
            case, out, int(layer.count_params()), kind="scalar",
            mistakes={
                "biases missing: each filter has one bias too": f * f * c_in * n,
                "input channels missing: a filter spans all c_in channels, so it has "
                "f * f * c_in weights": f * f * n + n,
                "f not squared: a filter is f x f": f * c_in * n + n,
                "one bias per weight: each filter has a single bias": 2 * f * f * c_in * n,
                "one bias per input channel: each filter has a single bias":
                    f * f * c_in * n + c_in * n,
            },
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


def _check_cnn_parts(ex, case, model, input_shape, num_classes, leaves):
    """02.7: the model has each kind of part, the right input and output, a softmax."""
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
    ex.require(case, any(is_nonlinear(layer) for layer in leaves[:-1]),
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
    last = leaves[-1]
    softmax = (isinstance(last, layers.Dense) and activation_name(last) == "softmax") or \
        activation_of(last) == "softmax"
    ex.require(
        case, softmax,
        f"the last layer is {type(last).__name__} with activation "
        f"{activation_name(last) or 'none'}; the output must be class probabilities.",
        'end with keras.layers.Dense(num_classes, activation="softmax").')


def _check_cnn_blocks(ex, case, leaves):
    """02.7: two blocks of a 3x3 'same' Conv2D with a ReLU and a 2x2 max pooling, then
    Flatten (or global average pooling), hidden Dense layers with ReLU, the output."""
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


def _check_cnn(ex, case, model, input_shape, num_classes):
    """The structural checks of 02.7 for one built model."""
    __tracebackhide__ = True
    total = require_built_model(ex, case, model)
    leaves = leaf_layers(model)
    _check_cnn_parts(ex, case, model, input_shape, num_classes, leaves)
    _check_cnn_blocks(ex, case, leaves)
    worked_out = 0
    for layer in leaves:
        count = count_params_from_config(layer)
        worked_out += int(layer.count_params()) if count is None else count
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
    cases = [
        ("Fashion-MNIST: (28, 28, 1) images, 10 classes", (28, 28, 1), 10),
        ("colour images: (32, 32, 3), 5 classes", (32, 32, 3), 5),
        ("non-square images: (40, 24, 1), 3 classes", (40, 24, 1), 3),
    ]
    for case, input_shape, num_classes in cases:
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
        case, isinstance(augment, import_keras().Sequential),
        f"expected a keras.Sequential, received {describe(augment)}.",
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


@exercise("02.8")
def build_augmentation(ex):
    """Checks `build_augmentation()`: a keras.Sequential of random preprocessing layers.

    It must hold RandomFlip("horizontal"), RandomRotation, RandomZoom and
    RandomContrast with `value_range=(0, 1)`, with small factors (see
    `AUGMENTATION_LIMITS`); keep the shape of a batch; leave images unchanged
    with `training=False`; and change them, without NaN, with `training=True`.
    """
    rng = np.random.default_rng(70)
    cases = [
        ("grayscale batch (8, 28, 28, 1) in [0, 1]",
         rng.uniform(size=(8, 28, 28, 1)).astype(np.float32)),
        ("colour batch (4, 32, 32, 3) in [0, 1]",
         rng.uniform(size=(4, 32, 32, 3)).astype(np.float32)),
    ]
    for case, images in cases:
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
