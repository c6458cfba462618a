"""Mutation tests of helpers.checks.cnn_pipeline (notebook 02).

For every exercise: the reference passes and prints exactly its success line,
plausible wrong versions fail with a message that says why, and the release
stub ("raise NotImplementedError()") is reported as not attempted yet.
"""

import math
import os

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import keras  # noqa: E402

from helpers.checks import cnn_pipeline as check  # noqa: E402
from helpers.checks.core import CheckError, NotAttemptedError  # noqa: E402

from mutants import assert_enough_mutants, assert_rejected, mutant_ids  # noqa: E402


# ------------------------------------------------------------ references ---

def conv_output_size(n, f, p, s):
    return (n + 2 * p - f) // s + 1


def zero_pad(x, p):
    return np.pad(x, ((0, 0), (p, p), (p, p), (0, 0)))


def _same_pads(n, f, s):
    out = -(-n // s)
    total = max((out - 1) * s + f - n, 0)
    return total // 2, total - total // 2


def _conv(x, w, b, stride, pads):
    """Cross-correlation with explicit ((top, bottom), (left, right)) padding."""
    xp = np.pad(x, ((0, 0), pads[0], pads[1], (0, 0)))
    f = w.shape[0]
    oh = (xp.shape[1] - f) // stride + 1
    ow = (xp.shape[2] - f) // stride + 1
    out = np.zeros((x.shape[0], oh, ow, w.shape[3]), dtype=np.result_type(x, w, b))
    for i in range(oh):
        for j in range(ow):
            window = xp[:, i * stride:i * stride + f, j * stride:j * stride + f, :]
            out[:, i, j, :] = np.tensordot(window, w, axes=([1, 2, 3], [0, 1, 2])) + b
    return out


def conv2d_forward(x, w, b, stride=1, padding="valid"):
    f = w.shape[0]
    if padding == "same":
        pads = (_same_pads(x.shape[1], f, stride), _same_pads(x.shape[2], f, stride))
    else:
        pads = ((0, 0), (0, 0))
    return _conv(x, w, b, stride, pads)


def _pool(x, size, stride, reduce, out_h=None, out_w=None):
    oh = (x.shape[1] - size) // stride + 1 if out_h is None else out_h
    ow = (x.shape[2] - size) // stride + 1 if out_w is None else out_w
    out = np.zeros((x.shape[0], oh, ow, x.shape[3]), dtype=x.dtype)
    for i in range(oh):
        for j in range(ow):
            window = x[:, i * stride:i * stride + size, j * stride:j * stride + size, :]
            out[:, i, j, :] = reduce(window, axis=(1, 2))
    return out


def pool2d_forward(x, size, stride, mode):
    if mode not in ("max", "avg"):
        raise ValueError(mode)
    return _pool(x, size, stride, np.max if mode == "max" else np.mean)


def global_average_pool(x):
    return x.mean(axis=(1, 2))


def count_conv_params(f, c_in, n_filters):
    return f * f * c_in * n_filters + n_filters


def build_cnn(input_shape, num_classes):
    return keras.Sequential([
        keras.Input(shape=input_shape),
        keras.layers.Conv2D(8, 3, padding="same", activation="relu"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Conv2D(16, 3, padding="same", activation="relu"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Flatten(),
        keras.layers.Dense(16, activation="relu"),
        keras.layers.Dense(num_classes, activation="softmax"),
    ])


def _gap_cnn(input_shape, num_classes):
    """Another correct design: BatchNorm, a separate ReLU layer, GAP, a nested block."""
    block = keras.Sequential([
        keras.layers.Conv2D(8, 3, padding="same", use_bias=False),
        keras.layers.BatchNormalization(),
        keras.layers.ReLU(),
        keras.layers.MaxPooling2D(2),
    ])
    return keras.Sequential([
        keras.Input(shape=input_shape),
        block,
        keras.layers.Conv2D(16, 3, activation="relu"),
        keras.layers.GlobalAveragePooling2D(),
        keras.layers.Dropout(0.2),
        keras.layers.Dense(num_classes, activation="softmax"),
    ])


def build_augmentation():
    return keras.Sequential([
        keras.layers.RandomFlip("horizontal"),
        keras.layers.RandomRotation(0.05),
        keras.layers.RandomZoom(0.1),
        keras.layers.RandomContrast(0.2, value_range=(0, 1)),
    ])


REFERENCES = {
    "conv_output_size": (conv_output_size, "02.1 conv_output_size: all 8 cases passed"),
    "zero_pad": (zero_pad, "02.2 zero_pad: all 4 cases passed"),
    "conv2d_forward": (conv2d_forward, "02.3 conv2d_forward: all 8 cases passed"),
    "pool2d_forward": (pool2d_forward, "02.4 pool2d_forward: all 7 cases passed"),
    "global_average_pool": (global_average_pool,
                            "02.5 global_average_pool: all 4 cases passed"),
    "count_conv_params": (count_conv_params, "02.6 count_conv_params: all 5 cases passed"),
    "build_cnn": (build_cnn, "02.7 build_cnn: all 3 cases passed"),
    "build_augmentation": (build_augmentation,
                           "02.8 build_augmentation: all 2 cases passed"),
}


@pytest.mark.parametrize("name", list(REFERENCES))
def test_reference_passes_with_one_stable_line(name, capsys):
    fn, line = REFERENCES[name]
    getattr(check, name)(fn)
    assert capsys.readouterr().out == line + "\n"


def test_other_correct_designs_pass(capsys):
    check.build_cnn(_gap_cnn)
    check.conv2d_forward(lambda x, w, b, stride=1, padding="valid": conv2d_forward(
        x.astype(np.float32), w.astype(np.float32), b.astype(np.float32), stride, padding)
        if x.dtype == np.float32 else conv2d_forward(x, w, b, stride, padding))
    check.conv_output_size(lambda n, f, p, s: int(math.floor((n + 2 * p - f) / s)) + 1)
    check.count_conv_params(lambda f, c, n: np.int64(n * (f * f * c + 1)))
    assert capsys.readouterr().out.count("passed") == 4


@pytest.mark.parametrize("name", list(REFERENCES))
def test_stub_is_not_attempted(name):
    fn = REFERENCES[name][0]

    def stub(*args, **kwargs):
        raise NotImplementedError()

    stub.__name__ = fn.__name__
    exercise_id = REFERENCES[name][1].split()[0]
    with pytest.raises(NotAttemptedError, match=f"{exercise_id} {name}: not attempted yet"):
        getattr(check, name)(stub)


def test_a_call_instead_of_the_function_is_explained():
    with pytest.raises(CheckError, match=r"check\.zero_pad\(zero_pad\)"):
        check.zero_pad(zero_pad(np.ones((1, 2, 2, 1)), 1))


# ---------------------------------------------------------------- mutants ---

def _conv_with(pads_fn=None, flip=False, bias=True, start_step=None, swap=False):
    """A conv2d_forward with one thing changed."""
    def conv(x, w, b, stride=1, padding="valid"):
        f = w.shape[0]
        if padding == "same":
            pads = pads_fn(x, f, stride) if pads_fn else (
                _same_pads(x.shape[1], f, stride), _same_pads(x.shape[2], f, stride))
        else:
            pads = ((0, 0), (0, 0))
        kernel = w[::-1, ::-1] if flip else w
        kernel = kernel.transpose(1, 0, 2, 3) if swap else kernel
        bias_ = b if bias else np.zeros_like(b)
        if start_step is None:
            return _conv(x, kernel, bias_, stride, pads)
        # Output size with the stride, windows stepped by 1.
        full = _conv(x, kernel, bias_, 1, pads)
        right = _conv(x, kernel, bias_, stride, pads)
        return full[:, :right.shape[1], :right.shape[2]]
    return conv


def _conv_pad_twice(x, w, b, stride=1, padding="valid"):
    if padding == "same":
        f = w.shape[0]
        pads = (_same_pads(x.shape[1], f, stride), _same_pads(x.shape[2], f, stride))
        x = np.pad(x, ((0, 0), pads[0], pads[1], (0, 0)))   # padded here ...
    return conv2d_forward(x, w, b, stride, padding)      # ... and again inside


def _conv_symmetric_same(x, f, stride):
    half = (f - 1) // 2
    return (half, f - 1 - half), (half, f - 1 - half)


def _conv_extra_on_top(x, f, stride):
    (t, b), (l, r) = _same_pads(x.shape[1], f, stride), _same_pads(x.shape[2], f, stride)
    return (b, t), (r, l)


def _conv_stride_arithmetic(x, w, b, stride=1, padding="valid"):
    """Output size (n + 2p - f + 1) // stride instead of (n + 2p - f) // stride + 1."""
    f = w.shape[0]
    out = conv2d_forward(x, w, b, stride, padding)
    sizes = []
    for n in x.shape[1:3]:
        padded = n + (sum(_same_pads(n, f, stride)) if padding == "same" else 0)
        sizes.append((padded - f + 1) // stride)
    return out[:, :sizes[0], :sizes[1]]


def _pool_over_channels(x, size, stride, mode):
    reduce = np.max if mode == "max" else np.mean
    oh = (x.shape[1] - size) // stride + 1
    ow = (x.shape[2] - size) // stride + 1
    out = np.zeros((x.shape[0], oh, ow, x.shape[3]))
    for i in range(oh):
        for j in range(ow):
            window = x[:, i * stride:i * stride + size, j * stride:j * stride + size, :]
            out[:, i, j, :] = reduce(window, axis=(1, 2, 3))[:, None]
    return out


def _pool_from_zero(x, size, stride, mode):
    out = pool2d_forward(x, size, stride, mode)
    return np.maximum(out, 0) if mode == "max" else out


def _pool_ceil(x, size, stride, mode):
    reduce = np.max if mode == "max" else np.mean
    oh = -(-(x.shape[1] - size) // stride) + 1
    ow = -(-(x.shape[2] - size) // stride) + 1
    return _pool(x, size, stride, reduce, oh, ow)


def _pool_step_by_size(x, size, stride, mode):
    return pool2d_forward(x, size, size, mode)


def _conv_block():
    return [keras.layers.Conv2D(4, 3, activation="relu"), keras.layers.MaxPooling2D(2)]


def _softmax_out(n):
    return keras.layers.Dense(n, activation="softmax")


def _cnn_no_softmax(shape, n):
    return keras.Sequential([keras.Input(shape=shape), *_conv_block(), keras.layers.Flatten(),
                             keras.layers.Dense(n)])


def _cnn_dense_only(shape, n):
    return keras.Sequential([keras.Input(shape=shape), keras.layers.Flatten(),
                             keras.layers.Dense(32, activation="relu"), _softmax_out(n)])


def _cnn_no_pool(shape, n):
    return keras.Sequential([keras.Input(shape=shape),
                             keras.layers.Conv2D(4, 3, activation="relu"),
                             keras.layers.Flatten(), _softmax_out(n)])


def _cnn_no_flatten(shape, n):
    return keras.Sequential([keras.Input(shape=shape), *_conv_block(), _softmax_out(n)])


def _cnn_fixed_shape(shape, n):
    return build_cnn((28, 28, 1), n)


def _cnn_fixed_classes(shape, n):
    return build_cnn(shape, 10)


def _cnn_linear(shape, n):
    return keras.Sequential([keras.Input(shape=shape), keras.layers.Conv2D(4, 3),
                             keras.layers.MaxPooling2D(2), keras.layers.Flatten(),
                             _softmax_out(n)])


def _cnn_unbuilt(shape, n):
    return keras.Sequential([keras.layers.Conv2D(4, 3, activation="relu"),
                             keras.layers.MaxPooling2D(2), keras.layers.Flatten(),
                             _softmax_out(n)])


def _aug(*layers):
    return lambda: keras.Sequential(list(layers))


class _Frozen(keras.Sequential):
    """A pipeline that never augments: it ignores training=True."""

    def call(self, inputs, training=None, mask=None):
        return super().call(inputs, training=False, mask=mask)


_FLIP = keras.layers.RandomFlip
_ROT = keras.layers.RandomRotation
_ZOOM = keras.layers.RandomZoom
_CONTRAST = keras.layers.RandomContrast


MUTANTS = [
    # conv_output_size
    ("conv_output_size", lambda n, f, p, s: (n + 2 * p - f) / s + 1, "no rounding down"),
    ("conv_output_size", lambda n, f, p, s: (n + 2 * p - f) // s, r"\+ 1 missing"),
    ("conv_output_size", lambda n, f, p, s: (n + p - f) // s + 1, "padding counted once"),
    ("conv_output_size", lambda n, f, p, s: math.ceil((n + 2 * p - f) / s) + 1,
     "rounded up instead of down"),
    ("conv_output_size", lambda n, f, p, s: n + 2 * p - f + 1, "stride ignored"),
    ("conv_output_size", lambda n, f, p, s: float((n + 2 * p - f) // s + 1),
     "the value is right, but it is a float"),
    # zero_pad
    ("zero_pad", lambda x, p: np.pad(x, p), "every axis padded"),
    ("zero_pad", lambda x, p: np.pad(x, ((0, 0), (p, p), (p, p), (p, p))),
     "channel axis padded too"),
    ("zero_pad", lambda x, p: np.pad(x, ((0, 0), (0, p), (0, p), (0, 0))),
     "padded on one side only"),
    ("zero_pad", lambda x, p: np.pad(x, ((0, 0), (2 * p, 2 * p), (2 * p, 2 * p), (0, 0))),
     "padding applied twice"),
    ("zero_pad", lambda x, p: np.pad(x, ((0, 0), (p, p), (p, p), (0, 0)), mode="edge"),
     "border pixels repeated"),
    ("zero_pad", lambda x, p: np.pad(x, ((0, 0), (p, p), (0, 0), (0, 0))),
     "only the height padded"),
    # conv2d_forward
    ("conv2d_forward", _conv_with(bias=False), "bias missing"),
    ("conv2d_forward", _conv_with(flip=True), "kernel flipped"),
    ("conv2d_forward", _conv_with(swap=True), "kernel rows and columns swapped"),
    ("conv2d_forward", _conv_with(start_step=1), r"windows start at \(i, j\)"),
    ("conv2d_forward", lambda x, w, b, stride=1, padding="valid":
     conv2d_forward(x, w, b, 1, padding), "stride ignored"),
    ("conv2d_forward", _conv_stride_arithmetic, r"output size \(n \+ 2p - f \+ 1\) // stride"),
    ("conv2d_forward", _conv_pad_twice, "padding applied twice"),
    ("conv2d_forward", _conv_with(pads_fn=_conv_symmetric_same),
     r"'same' padded by \(f - 1\) // 2 = 1 on each side as for stride 1, but with "
     r"stride 2 TensorFlow pads max"),
    ("conv2d_forward", _conv_with(pads_fn=_conv_extra_on_top),
     r"TensorFlow pads max\(\(out - 1\) \* stride \+ f - n, 0\)"),
    ("conv2d_forward", lambda x, w, b, stride=1, padding="valid":
     conv2d_forward(x, w, b, stride, "valid"), "'same' treated as 'valid'"),
    ("conv2d_forward", lambda x, w, b, stride=1, padding="valid":
     conv2d_forward(x, w, b, stride, "same"), "'valid' treated as 'same'"),
    ("conv2d_forward", lambda x, w, b, stride=1, padding="valid":
     conv2d_forward(x, w, b, stride, padding).astype(int), "expected floating-point"),
    # pool2d_forward
    ("pool2d_forward", _pool_over_channels, "pooled across the channels too"),
    ("pool2d_forward", lambda x, size, stride, mode: pool2d_forward(x, size, stride, mode)
     .max(axis=-1), "the channel axis reduced away"),
    ("pool2d_forward", lambda x, size, stride, mode: pool2d_forward(x, size, stride, "max"),
     "max pooling computed instead of avg pooling"),
    ("pool2d_forward", lambda x, size, stride, mode: pool2d_forward(x, size, 1, mode),
     "stride ignored"),
    ("pool2d_forward", _pool_step_by_size, "moved by the window size instead of by the stride"),
    ("pool2d_forward", _pool_from_zero, "the maximum started from 0"),
    ("pool2d_forward", _pool_ceil, "partial windows at the right/bottom edge were kept"),
    # global_average_pool
    ("global_average_pool", lambda x: x.mean(axis=(1, 2), keepdims=True), "keepdims=True"),
    ("global_average_pool", lambda x: x.mean(axis=(0, 1, 2)), "averaged over the batch too"),
    ("global_average_pool", lambda x: x.mean(axis=(2, 3)), "averaged over width and channels"),
    ("global_average_pool", lambda x: x.mean(axis=(1, 2, 3)),
     "averaged over height, width and channels"),
    ("global_average_pool", lambda x: x.max(axis=(1, 2)), "global max pooling"),
    ("global_average_pool", lambda x: x.sum(axis=(1, 2)), "summed instead of averaged"),
    # count_conv_params
    ("count_conv_params", lambda f, c, n: f * f * c * n, "biases missing"),
    ("count_conv_params", lambda f, c, n: f * f * n + n, "input channels missing"),
    ("count_conv_params", lambda f, c, n: f * c * n + n, "f not squared"),
    ("count_conv_params", lambda f, c, n: f * f * c * n + c * n, "one bias per input channel"),
    ("count_conv_params", lambda f, c, n: (f * f * c + 1) * n / 1,
     "the value is right, but it is a float"),
    # build_cnn
    ("build_cnn", _cnn_no_softmax, "the output must be class probabilities"),
    ("build_cnn", _cnn_dense_only, "the model has no Conv2D layer"),
    ("build_cnn", _cnn_no_pool, "the model has no pooling layer"),
    ("build_cnn", _cnn_no_flatten, "neither Flatten nor GlobalAveragePooling2D"),
    ("build_cnn", _cnn_fixed_shape, r"expected \(None, 32, 32, 3\)"),
    ("build_cnn", _cnn_fixed_classes, r"expected \(None, 5\)"),
    ("build_cnn", _cnn_linear, "no convolution is followed by a nonlinearity"),
    ("build_cnn", _cnn_unbuilt, "the model is not built"),
    ("build_cnn", lambda shape, n: None, "expected a Keras model, received None"),
    # build_augmentation
    ("build_augmentation", _aug(_FLIP(), _ROT(0.1), _ZOOM(0.1)), "has no RandomContrast"),
    ("build_augmentation", _aug(_ROT(0.1), _CONTRAST(0.2)), "has no RandomFlip, RandomZoom"),
    ("build_augmentation", lambda: [_FLIP(), _ROT(0.1), _ZOOM(0.1), _CONTRAST(0.2)],
     "expected a keras.Sequential"),
    ("build_augmentation", _aug(_FLIP(), _ROT(0.1), _ZOOM(0.1), _CONTRAST(0.2),
                                keras.layers.Rescaling(1 / 255)), "with training=False"),
    ("build_augmentation", _aug(_FLIP(), _ROT(0.1), _ZOOM(0.1), _CONTRAST(0.2),
                                keras.layers.RandomCrop(20, 20)), "shape"),
    ("build_augmentation", lambda: _Frozen([_FLIP(), _ROT(0.1), _ZOOM(0.1), _CONTRAST(0.2)]),
     "training=True the images came out unchanged"),
]


@pytest.mark.parametrize("name, wrong, message", MUTANTS, ids=mutant_ids(MUTANTS))
def test_wrong_version_fails_with_reason(name, wrong, message):
    assert_rejected(check, name, wrong, message)


def test_every_exercise_has_at_least_three_mutants():
    assert_enough_mutants(MUTANTS, REFERENCES)


def test_messages_name_the_exercise_the_case_and_the_mistake():
    with pytest.raises(CheckError) as info:
        check.conv2d_forward(_conv_with(bias=False))
    message = str(info.value)
    assert message.startswith("02.3 conv2d_forward, case 'the 5x5 example: ")
    assert "common mistake: bias missing" in message
    assert "expected:" in message and "received:" in message


def test_asymmetric_same_padding_is_required():
    """Symmetric 'same' padding passes stride 1 and fails on the stride-2 case."""
    with pytest.raises(CheckError, match="case ''same', stride 2, 6x6 images"):
        check.conv2d_forward(_conv_with(pads_fn=_conv_symmetric_same))
