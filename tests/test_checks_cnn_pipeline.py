"""Mutation tests of helpers.checks.cnn_pipeline (notebook 02): the tests of every
exercise (tests/mutants.py) on the references and wrong versions below, then other
correct answers that must pass and two messages read in full.
"""

import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from helpers.checks import cnn_pipeline as check
from helpers.checks.core import CheckError

from mutants import CheckTests

L = keras.layers


# ------------------------------------------------------------ references ---

def conv_output_size(n, f, p, s):
    return (n + 2 * p - f) // s + 1


def zero_pad(x, p):
    return np.pad(x, ((0, 0), (p, p), (p, p), (0, 0)))


def _same_pads(n, f, s, rule="tf"):
    """'same' padding along one axis, (before, after): TensorFlow's, or a known mistake."""
    if rule == "symmetric":  # as for stride 1
        return (f - 1) // 2, f - 1 - (f - 1) // 2
    if rule == "f // 2 for an even f" and f % 2 == 0:
        return f // 2, f // 2
    total = max((-(-n // s) - 1) * s + f - n, 0)
    before, after = total // 2, total - total // 2
    return (after, before) if rule == "extra on top" else (before, after)


def conv2d_forward(x, w, b, stride=1, padding="valid", *, same_pads="tf", pad_twice=False,
                   flip=False, swap=False, bias=True, windows_step=None, size_plus_one=False):
    """Cross-correlation; the switches make the known mistakes (see MUTANTS)."""
    f = w.shape[0]
    pads = [_same_pads(n, f, stride, same_pads) if padding == "same" else (0, 0)
            for n in x.shape[1:3]]
    if pad_twice:
        pads = [(2 * before, 2 * after) for before, after in pads]
    w = w[::-1, ::-1] if flip else w
    w = w.transpose(1, 0, 2, 3) if swap else w
    b = b if bias else np.zeros_like(b)
    xp = np.pad(x, ((0, 0), *pads, (0, 0)))
    oh, ow = [(n - f + 1) // stride if size_plus_one else (n - f) // stride + 1
              for n in xp.shape[1:3]]
    step = windows_step or stride
    out = np.zeros((x.shape[0], oh, ow, w.shape[3]), dtype=np.result_type(x, w, b))
    for i in range(oh):
        for j in range(ow):
            window = xp[:, i * step:i * step + f, j * step:j * step + f, :]
            out[:, i, j, :] = np.tensordot(window, w, axes=([1, 2, 3], [0, 1, 2])) + b
    return out


def pool2d_forward(x, size, stride, mode, *, over_channels=False, from_zero=False,
                   partial_windows=False, step=None):
    if mode not in ("max", "avg"):
        raise ValueError(mode)
    reduce = np.max if mode == "max" else np.mean
    steps = [-(-(n - size) // stride) if partial_windows else (n - size) // stride
             for n in x.shape[1:3]]
    out = np.zeros((x.shape[0], steps[0] + 1, steps[1] + 1, x.shape[3]), dtype=x.dtype)
    for i in range(steps[0] + 1):
        for j in range(steps[1] + 1):
            top, left = i * (step or stride), j * (step or stride)
            window = x[:, top:top + size, left:left + size, :]
            pooled = reduce(window, axis=(1, 2, 3) if over_channels else (1, 2))
            out[:, i, j, :] = pooled.reshape(len(x), -1)
    return np.maximum(out, 0) if from_zero and mode == "max" else out


def global_average_pool(x):
    return x.mean(axis=(1, 2))


def count_conv_params(f, c_in, n_filters):
    return f * f * c_in * n_filters + n_filters


def build_cnn(input_shape, num_classes, *, blocks=2, kernel=3, padding="same",
              activation="relu", pool=L.MaxPooling2D, flatten=L.Flatten, hidden=(16,),
              hidden_activation="relu", dense_first=False, softmax=True, softmax_axis=-1,
              with_input=True, shared_bn=False):
    bn = L.BatchNormalization()
    layers = [keras.Input(shape=input_shape)] if with_input else []
    for filters in [8, 16, 16][:blocks]:
        layers += [L.Conv2D(filters, kernel, padding=padding, activation=activation)]
        layers += [pool(2)] if pool else []
    head = [flatten()] if flatten else []
    for units in hidden:  # with shared_bn, one BatchNormalization after each
        head += [L.Dense(units, activation=hidden_activation)] + ([bn] if shared_bn else [])
    layers += head[::-1] if dense_first else head
    if softmax and softmax_axis == -1:
        return keras.Sequential(layers + [L.Dense(num_classes, activation="softmax")])
    softmax_layer = [L.Softmax(axis=softmax_axis)] if softmax else []
    return keras.Sequential(layers + [L.Dense(num_classes)] + softmax_layer)


def _gap_cnn(input_shape, num_classes):
    """Another correct design: nested blocks, BatchNorm, ReLU layers, GAP, a Softmax layer."""
    def block(filters):
        return keras.Sequential([L.Conv2D(filters, (3, 3), padding="same", use_bias=False),
                                 L.BatchNormalization(), L.ReLU(), L.MaxPool2D((2, 2))])

    return keras.Sequential([
        keras.Input(shape=input_shape), block(8), L.Dropout(0.1), block(16),
        L.GlobalAveragePooling2D(), L.Dropout(0.2), L.Dense(16), L.Activation("relu"),
        L.Dense(num_classes), L.Softmax(),
    ])


def _nested_cnn(input_shape, num_classes):
    """Another correct style: each block a nested keras.Sequential."""
    def block(filters):
        return keras.Sequential([L.Conv2D(filters, 3, padding="same", activation="relu"),
                                 L.MaxPooling2D(2)])

    return keras.Sequential([keras.Input(shape=input_shape), block(8), block(16), L.Flatten(),
                             L.Dense(16, activation="relu"),
                             L.Dense(num_classes, activation="softmax")])


class ConvBlock(L.Layer):
    """A convolution block as a keras.layers.Layer subclass."""

    def __init__(self, filters, **kwargs):
        super().__init__(**kwargs)
        self.conv = L.Conv2D(filters, 3, padding="same", activation="relu")
        self.pool = L.MaxPooling2D(2)

    def call(self, x):
        return self.pool(self.conv(x))


class ConvBlockModel(keras.Model):
    """A convolution block as a keras.Model subclass, its ReLU a keras.ops call (or none)."""

    def __init__(self, filters, relu=True, **kwargs):
        super().__init__(**kwargs)
        self.conv, self.pool, self.relu = L.Conv2D(filters, 3, padding="same"), \
            L.MaxPooling2D(2), relu

    def call(self, x):
        x = self.conv(x)
        return self.pool(keras.ops.relu(x) if self.relu else x)


def _subclassed_cnn(input_shape, num_classes, *, block=ConvBlock):
    return keras.Sequential([keras.Input(shape=input_shape), block(8), block(16), L.Flatten(),
                             L.Dense(16, activation="relu"),
                             L.Dense(num_classes, activation="softmax")])


def _functional_cnn(input_shape, num_classes):
    x = inputs = keras.Input(shape=input_shape)
    for filters in (8, 16):
        x = L.MaxPooling2D(2)(L.Conv2D(filters, 3, padding="same", activation="relu")(x))
    x = L.Dense(16, activation="relu")(L.Flatten()(x))
    return keras.Model(inputs, L.Dense(num_classes, activation="softmax")(x))


class WholeCNN(keras.Model):
    """The whole CNN as a subclassed model: it has no keras.Input (the docstring's form)."""

    def __init__(self, num_classes):
        super().__init__()
        self.blocks = [ConvBlock(8), ConvBlock(16)]
        self.head = [L.Flatten(), L.Dense(16, activation="relu"),
                     L.Dense(num_classes, activation="softmax")]

    def call(self, x):
        for layer in self.blocks + self.head:
            x = layer(x)
        return x


def _whole_cnn(input_shape, num_classes):
    model = WholeCNN(num_classes)
    model(keras.Input(shape=input_shape))  # built by a call on a symbolic input
    return model


def _random_layers():
    return [L.RandomFlip("horizontal"), L.RandomRotation(0.05), L.RandomZoom(0.1),
            L.RandomContrast(0.2, value_range=(0, 1))]


class Augmenter(keras.Model):
    """An augmentation pipeline as a keras.Model subclass."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.steps = _random_layers()

    def call(self, x, training=None):
        for step in self.steps:
            x = step(x, training=training)
        return x


class FlipLayer(L.Layer):
    """The augmentation pipeline as a keras.layers.Layer subclass."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.flip, self.rotate, self.zoom, self.contrast = _random_layers()

    def call(self, x, training=None):
        for step in (self.flip, self.rotate, self.zoom, self.contrast):
            x = step(x, training=training)
        return x


class BatchSizedNoise(L.Layer):
    """Adds zero noise drawn for x.shape[0] images: fine eagerly, None inside a model."""

    def call(self, x, training=None):
        return x + 0.0 * keras.random.normal((x.shape[0], 1, 1, 1))


class _Frozen(keras.Sequential):
    """A pipeline that never augments: it ignores training=True."""

    def call(self, inputs, training=None, mask=None):
        return super().call(inputs, training=False, mask=mask)


def build_augmentation(*, flip="horizontal", rotation=0.03, zoom=0.1, contrast=0.2,
                       value_range=(0, 1), fill_value=0.0, drop=(), extra=(), container=None):
    layers = [L.RandomFlip(flip),
              L.RandomRotation(rotation, fill_mode="constant", fill_value=fill_value),
              L.RandomZoom(zoom, fill_mode="constant", fill_value=fill_value),
              L.RandomContrast(contrast, value_range=value_range)]
    layers = [layer for layer in layers if type(layer).__name__ not in drop] + list(extra)
    return (container or keras.Sequential)(layers)


def grad_cam(model, images, layer_name, class_index, *, relu=True, classes="given",
             pool="mean", wrt="layer", normalise=False, score="logit", mutate=False):
    """Grad-CAM with a sub-model; the switches make the known mistakes (see MUTANTS)."""
    layer, last = model.get_layer(layer_name), model.layers[-1]
    if mutate:
        last.activation = keras.activations.linear
    sub = keras.Model(model.inputs[0], [layer.output, last.input])
    images = tf.convert_to_tensor(images, tf.float32)
    index = np.broadcast_to(np.asarray(class_index), (images.shape[0],))
    if classes == "first":
        index = np.full(len(index), index[0])
    with tf.GradientTape() as tape:
        tape.watch(images)
        maps, features = sub(images)
        logits = features @ last.kernel + last.bias
        if classes == "argmax":
            index = np.argmax(logits, axis=1)
        scores = tf.nn.softmax(logits) if score == "probability" else logits
        chosen = tf.gather(scores, index, batch_dims=1)
    grads = tape.gradient(chosen, images if wrt == "input" else maps)
    if pool == "none":
        weights = grads
    else:
        reduce = tf.reduce_sum if pool == "sum" else tf.reduce_mean
        weights = reduce(grads, axis=(1, 2), keepdims=True)
    cam = tf.reduce_sum(weights * maps, axis=-1)
    cam = tf.nn.relu(cam) if relu else cam
    if normalise:
        cam = cam / tf.reduce_max(cam, axis=(1, 2), keepdims=True)
    return cam.numpy()


def grad_cam_by_layers(model, images, layer_name, class_index):
    """Another style: the layers run one by one, NumPy weights, a tensor returned."""
    images = tf.constant(images)
    class_index = [class_index] * len(images) if np.ndim(class_index) == 0 else class_index
    layers = [layer for layer in model.layers if not isinstance(layer, L.InputLayer)]
    with tf.GradientTape() as tape:
        x = images
        for layer in layers[:-1]:
            x = layer(x)
            if layer.name == layer_name:
                activations = x
        logits = keras.ops.matmul(x, layers[-1].kernel) + layers[-1].bias
        score = tf.reduce_sum(tf.one_hot(class_index, logits.shape[-1]) * logits)
    grads = tape.gradient(score, activations).numpy()
    alpha = grads.mean(axis=1).mean(axis=1)                  # (n, channels)
    return tf.nn.relu(tf.einsum("nhwk,nk->nhw", activations, alpha))


REFERENCES = {
    "conv_output_size": conv_output_size,
    "zero_pad": zero_pad,
    "conv2d_forward": conv2d_forward,
    "pool2d_forward": pool2d_forward,
    "global_average_pool": global_average_pool,
    "count_conv_params": count_conv_params,
    "build_cnn": build_cnn,
    "build_augmentation": build_augmentation,
    "grad_cam": grad_cam,
}


# ---------------------------------------------------------------- mutants ---

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
    ("zero_pad", lambda x, p: np.pad(x, ((0, 0), (0, 0), (p, p), (0, 0))),
     "only the width padded"),
    ("zero_pad", lambda x, p: np.pad(x, ((p, p), (p, p), (p, p), (0, 0))),
     "the batch axis padded too"),
    ("zero_pad", lambda x, p: np.pad(x, ((0, 0), (p, 0), (p, 0), (0, 0))),
     r"padded on one side only \(top and left\)"),
    # conv2d_forward
    ("conv2d_forward", lambda *a, **k: conv2d_forward(*a, **k, bias=False), "bias missing"),
    ("conv2d_forward", lambda *a, **k: conv2d_forward(*a, **k, flip=True), "kernel flipped"),
    ("conv2d_forward", lambda *a, **k: conv2d_forward(*a, **k, swap=True),
     "kernel rows and columns swapped"),
    ("conv2d_forward", lambda *a, **k: conv2d_forward(*a, **k, windows_step=1),
     r"windows start at \(i, j\)"),
    ("conv2d_forward", lambda x, w, b, stride=1, padding="valid":
     conv2d_forward(x, w, b, 1, padding), "stride ignored"),
    ("conv2d_forward", lambda *a, **k: conv2d_forward(*a, **k, size_plus_one=True),
     r"output size \(n \+ 2p - f \+ 1\) // stride"),
    ("conv2d_forward", lambda *a, **k: conv2d_forward(*a, **k, pad_twice=True),
     "padding applied twice"),
    ("conv2d_forward", lambda *a, **k: conv2d_forward(*a, **k, same_pads="symmetric"),
     (r"'same' padded by \(f - 1\) // 2 = 1 on each side as for stride 1, but with "
      r"stride 2 TensorFlow pads max")),
    ("conv2d_forward", lambda *a, **k: conv2d_forward(*a, **k, same_pads="extra on top"),
     r"TensorFlow pads max\(\(out - 1\) \* stride \+ f - n, 0\)"),
    ("conv2d_forward", lambda *a, **k: conv2d_forward(*a, **k, same_pads="f // 2 for an even f"),
     "'same' padded by f // 2 on every side: with an even filter size"),
    ("conv2d_forward", lambda x, w, b, stride=1, padding="valid":
     conv2d_forward(x, w, b, stride, "valid"), "'same' treated as 'valid'"),
    ("conv2d_forward", lambda x, w, b, stride=1, padding="valid":
     conv2d_forward(x, w, b, stride, "same"), "'valid' treated as 'same'"),
    ("conv2d_forward", lambda *a, **k: conv2d_forward(*a, **k).astype(int),
     "expected floating-point"),
    # pool2d_forward
    ("pool2d_forward", lambda *a: pool2d_forward(*a, over_channels=True),
     "pooled across the channels too"),
    ("pool2d_forward", lambda *a: pool2d_forward(*a).max(axis=-1),
     "the channel axis reduced away"),
    ("pool2d_forward", lambda x, size, stride, mode: pool2d_forward(x, size, stride, "max"),
     "max pooling computed instead of avg pooling"),
    ("pool2d_forward", lambda x, size, stride, mode: pool2d_forward(x, size, stride, "avg"),
     "avg pooling computed instead of max pooling"),
    ("pool2d_forward", lambda x, size, stride, mode: pool2d_forward(x, size, 1, mode),
     "stride ignored"),
    ("pool2d_forward", lambda *a: pool2d_forward(*a, step=1), r"windows start at \(i, j\)"),
    ("pool2d_forward", lambda x, size, stride, mode: pool2d_forward(x, size, size, mode),
     "moved by the window size instead of by the stride"),
    ("pool2d_forward", lambda *a: pool2d_forward(*a, from_zero=True),
     "the maximum started from 0"),
    ("pool2d_forward", lambda *a: pool2d_forward(*a, partial_windows=True),
     "partial windows at the right/bottom edge were kept"),
    # global_average_pool
    ("global_average_pool", lambda x: x.mean(axis=(1, 2), keepdims=True), "keepdims=True"),
    ("global_average_pool", lambda x: x.mean(axis=(0, 1, 2)), "averaged over the batch too"),
    ("global_average_pool", lambda x: x.mean(axis=(2, 3)), "averaged over width and channels"),
    ("global_average_pool", lambda x: x.mean(axis=(1, 2, 3)),
     "averaged over height, width and channels"),
    ("global_average_pool", lambda x: x.mean(axis=(0, 1)), "averaged over batch and height"),
    ("global_average_pool", lambda x: x.mean(axis=1), "averaged over height only"),
    ("global_average_pool", lambda x: x.max(axis=(1, 2)), "global max pooling"),
    ("global_average_pool", lambda x: x.sum(axis=(1, 2)), "summed instead of averaged"),
    # count_conv_params
    ("count_conv_params", lambda f, c, n: f * f * c * n, "biases missing"),
    ("count_conv_params", lambda f, c, n: f * f * n + n, "input channels missing"),
    ("count_conv_params", lambda f, c, n: f * c * n + n, "f not squared"),
    ("count_conv_params", lambda f, c, n: f * f * c * n + c * n, "one bias per input channel"),
    ("count_conv_params", lambda f, c, n: 2 * f * f * c * n, "one bias per weight"),
    ("count_conv_params", lambda f, c, n: (f * f * c + 1) * n / 1,
     "the value is right, but it is a float"),
    # build_cnn
    ("build_cnn", lambda s, n: build_cnn(s, n, softmax=False),
     "the output must be class probabilities"),
    ("build_cnn", lambda s, n: build_cnn(s, n, blocks=0), "the model has no Conv2D layer"),
    ("build_cnn", lambda s, n: build_cnn(s, n, pool=None), "the model has no pooling layer"),
    ("build_cnn", lambda s, n: build_cnn(s, n, flatten=None),
     "neither Flatten nor GlobalAveragePooling2D"),
    ("build_cnn", lambda s, n: build_cnn((28, 28, 1), n), r"expected \(None, 32, 32, 3\)"),
    ("build_cnn", lambda s, n: build_cnn(s, 10), r"expected \(None, 5\)"),
    ("build_cnn", lambda s, n: build_cnn(s, n, activation=None, hidden_activation=None),
     "no convolution is followed by a nonlinearity"),
    ("build_cnn", lambda s, n: build_cnn(s, n, with_input=False), "the model is not built"),
    ("build_cnn", lambda shape, n: None, "expected a Keras model, received None"),
    ("build_cnn", lambda s, n: build_cnn(s, n, blocks=1),
     r"the model has 1 Conv2D layer\(s\) \(3x3 8\); build_cnn has two convolution blocks"),
    ("build_cnn", lambda s, n: build_cnn(s, n, blocks=3), r"the model has 3 Conv2D layer\(s\)"),
    ("build_cnn", lambda s, n: build_cnn(s, n, kernel=5),
     r"convolution block 1 has Conv2D 5x5 8 'same'; the blocks use 3x3 filters"),
    ("build_cnn", lambda s, n: build_cnn(s, n, padding="valid"),
     r"convolution block 1 has Conv2D 3x3 8 'valid'; .* padding=\"same\""),
    ("build_cnn", lambda s, n: build_cnn(s, n, activation="tanh"),
     r"the 1st Conv2D \(3x3 8 'same'\) is followed by tanh, not by a ReLU"),
    ("build_cnn", lambda s, n: build_cnn(s, n, pool=L.AveragePooling2D),
     ("the Conv2D is followed by AveragePooling2D 2x2 stride 2; each block ends with a 2x2 "
      "max pooling")),
    ("build_cnn", lambda s, n: build_cnn(s, n, dense_first=True),
     r"after the second block comes Dense 16; expected Flatten \(or GlobalAveragePooling2D\)"),
    ("build_cnn", lambda s, n: build_cnn(s, n, hidden=()),
     "between Flatten and the output the model has nothing; expected one or more hidden Dense"),
    ("build_cnn", lambda s, n: build_cnn(s, n, hidden_activation="sigmoid"),
     r"the Dense \(16\) is followed by sigmoid, not by a ReLU"),
    ("build_cnn", lambda s, n: build_cnn(s, n, hidden=(16, 16), shared_bn=True),
     "a layer is used twice"),
    ("build_cnn", lambda s, n: build_cnn(s, n, softmax_axis=0),
     "expected probabilities of shape .* that sum to 1 in each row"),
    ("build_cnn", _whole_cnn,
     "expected a keras.Sequential that starts with keras.Input.*received a subclassed "
     "WholeCNN"),
    ("build_cnn", lambda s, n: _subclassed_cnn(s, n, block=lambda f: ConvBlockModel(f, False)),
     r"the 1st Conv2D \(3x3 8 'same'\) has no activation: no ReLU after it"),
    # build_augmentation
    ("build_augmentation", lambda: build_augmentation(drop=("RandomContrast",)),
     "has no RandomContrast"),
    ("build_augmentation", lambda: build_augmentation(drop=("RandomFlip", "RandomZoom")),
     "has no RandomFlip, RandomZoom"),
    ("build_augmentation", lambda: build_augmentation(container=list),
     "expected a keras.Sequential"),
    ("build_augmentation", lambda: build_augmentation(extra=[L.Rescaling(1 / 255)]),
     "with training=False"),
    ("build_augmentation", lambda: build_augmentation(extra=[L.RandomCrop(20, 20)]), "shape"),
    ("build_augmentation", lambda: build_augmentation(container=_Frozen),
     "training=True the images came out unchanged"),
    ("build_augmentation", lambda: build_augmentation(flip="horizontal_and_vertical"),
     "RandomFlip flips with mode 'horizontal_and_vertical'; only a horizontal flip"),
    ("build_augmentation", lambda: build_augmentation(rotation=0.5),
     "RandomRotation has a factor of 0.5; the pipeline uses small factors, at most 0.1"),
    ("build_augmentation", lambda: build_augmentation(zoom=(-0.5, 0.5)),
     "RandomZoom has a factor of 0.5"),
    ("build_augmentation", lambda: build_augmentation(value_range=(0, 255)),
     r"RandomContrast has value_range=\(0, 255\); the images have values in \[0, 1\]"),
    ("build_augmentation", lambda: build_augmentation(fill_value=math.nan),
     "with training=True the batch holds NaN"),
    ("build_augmentation", lambda: build_augmentation(extra=[L.Reshape((28, 28, 1))]),
     r"applying the pipeline to a batch of shape \(4, 32, 32, 3\) raised ValueError"),
    ("build_augmentation", lambda: build_augmentation(extra=[BatchSizedNoise()]),
     r"(?s)inside a model: used as the notebook uses it.*batch size unknown.*raised"
     r".*keras.ops.shape\(x\)\[0\]"),
    # grad_cam
    ("grad_cam", lambda *a: grad_cam(*a, relu=False), "no ReLU"),
    ("grad_cam", lambda *a: grad_cam(*a, classes="argmax"),
     r"predicted class \(argmax\) instead of class_index"),
    ("grad_cam", lambda *a: grad_cam(*a, classes="first"),
     r"class_index\[0\] used for every image"),
    ("grad_cam", lambda *a: grad_cam(*a, pool="sum"), "summed the gradient over the positions"),
    ("grad_cam", lambda *a: grad_cam(*a, pool="none"), r"gradient x activation"),
    ("grad_cam", lambda *a: grad_cam(*a, wrt="input"), "with respect to the input images"),
    ("grad_cam", lambda *a: grad_cam(*a, normalise=True), r"normalised to \[0, 1\]"),
    ("grad_cam", lambda *a: grad_cam(*a, score="probability"),
     "softmax probability instead of the logit"),
    ("grad_cam", lambda *a: grad_cam(*a, mutate=True), "it changed the model"),
    ("grad_cam", lambda *a: grad_cam(*a)[:, None], "wrong shape"),
]


#: Messages read in full: (exercise, wrong version, the message's start, texts it holds).
MESSAGES = [
    ("conv2d_forward", lambda *a, **k: conv2d_forward(*a, **k, bias=False),
     "02.3 conv2d_forward, case 'the 5x5 example: ",
     ["common mistake: bias missing", "expected:", "received:"]),
]


class TestChecks(CheckTests):
    """The tests of every exercise (tests/mutants.py) on these references and mutants."""

    check_module, references, mutants, messages = check, REFERENCES, MUTANTS, MESSAGES


def test_other_correct_designs_pass(capsys):
    check.build_cnn(_gap_cnn)
    check.conv2d_forward(lambda x, w, b, stride=1, padding="valid": conv2d_forward(
        x.astype(np.float32), w.astype(np.float32), b.astype(np.float32), stride, padding)
        if x.dtype == np.float32 else conv2d_forward(x, w, b, stride, padding))
    check.conv_output_size(lambda n, f, p, s: int(math.floor((n + 2 * p - f) / s)) + 1)
    check.count_conv_params(lambda f, c, n: np.int64(n * (f * f * c + 1)))
    check.build_augmentation(lambda: keras.Sequential([
        L.RandomFlip("horizontal"), L.RandomRotation((-0.05, 0.05)),
        L.RandomZoom((-0.2, 0.1), width_factor=0.1), L.RandomContrast(0.3, value_range=[0, 1])]))
    check.grad_cam(grad_cam_by_layers)
    assert capsys.readouterr().out.count("passed") == 6


@pytest.mark.parametrize("builder", [_nested_cnn, _subclassed_cnn, _functional_cnn,
                                     lambda s, n: _subclassed_cnn(s, n, block=ConvBlockModel)],
                         ids=["nested Sequential blocks", "keras.layers.Layer blocks",
                              "functional model", "keras.Model blocks with keras.ops.relu"])
def test_every_correct_cnn_style_passes(builder, capsys):
    check.build_cnn(builder)
    assert "passed" in capsys.readouterr().out


@pytest.mark.parametrize("builder", [
    lambda: keras.Sequential([keras.Sequential(_random_layers()[:2]), *_random_layers()[2:]]),
    lambda: keras.Sequential([FlipLayer()]), FlipLayer, Augmenter],
    ids=["nested Sequential", "Sequential of a Layer subclass", "keras.layers.Layer subclass",
         "keras.Model subclass"])
def test_every_correct_augmentation_style_passes(builder, capsys):
    check.build_augmentation(builder)
    assert "passed" in capsys.readouterr().out


def test_asymmetric_same_padding_is_required():
    """Symmetric 'same' padding passes stride 1 and fails on the stride-2 case."""
    with pytest.raises(CheckError, match="case ''same', stride 2, 6x6 images"):
        check.conv2d_forward(lambda *a, **k: conv2d_forward(*a, **k, same_pads="symmetric"))
