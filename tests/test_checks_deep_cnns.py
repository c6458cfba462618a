"""Mutation tests of helpers.checks.deep_cnns (notebook 03): the tests of every
exercise (tests/mutants.py) on the references and wrong versions below, then the
Keras designs that must pass too and two messages read in full.
"""

import keras
import numpy as np
import pytest

from helpers.checks import deep_cnns as check
from helpers.checks.core import CheckError

from mutants import CheckTests

L = keras.layers


# ------------------------------------------------------------ references ---

def lenet5(input_shape, num_classes, *, filters=(6, 16), paddings=("same", "valid"),
           pool=L.AveragePooling2D, activation="relu", dense=(120, 84), softmax=True,
           pools_last=False):
    blocks = [[L.Conv2D(f, 5, padding=p, activation=activation)] + ([pool(2)] if pool else [])
              for f, p in zip(filters, paddings)]
    features = [layer for block in blocks for layer in block]
    if pools_last:  # conv, conv, pool, pool
        features.sort(key=lambda layer: not isinstance(layer, L.Conv2D))
    head = [L.Dense(u, activation=activation) for u in dense]
    return keras.Sequential([keras.Input(shape=input_shape), *features, L.Flatten(), *head,
                             L.Dense(num_classes, activation="softmax" if softmax else None)])


def vgg_block(x, num_convs, filters, *, kernel=3, padding="same", relu="relu", pool="end",
              pool_layer=L.MaxPooling2D, pool_padding="valid", use_bias=True):
    if pool == "start":
        x = pool_layer(2, strides=2, padding=pool_padding)(x)
    for _ in range(num_convs):
        x = L.Conv2D(filters, kernel, padding=padding, activation=relu, use_bias=use_bias)(x)
    if pool == "end":
        x = pool_layer(2, strides=2, padding=pool_padding)(x)
    return x


def vgg16_param_count(*, biases=True, head=True, dense_in=7 * 7 * 512, classes=1000):
    count, c_in = 0, 3
    for num_convs, filters in [(2, 64), (2, 128), (3, 256), (3, 512), (3, 512)]:
        for _ in range(num_convs):
            count += 9 * c_in * filters + (filters if biases else 0)
            c_in = filters
    if head:
        for a, b in [(dense_in, 4096), (4096, 4096), (4096, classes)]:
            count += a * b + (b if biases else 0)
    return count


def nin_block(x, filters, kernel, strides, *, padding="same", first="relu", last="relu",
              all_strided=False, one_by_one_first=False, use_bias=True):
    first_conv = L.Conv2D(filters, kernel, strides=strides, padding=padding, activation=first,
                          use_bias=use_bias)
    one_by_one = [L.Conv2D(filters, 1, strides=strides if all_strided else 1,
                           activation=activation, use_bias=use_bias)
                  for activation in ("relu", last)]
    for layer in one_by_one + [first_conv] if one_by_one_first else [first_conv] + one_by_one:
        x = layer(x)
    return x


def inception_block(x, c1, c2, c3, c4, *, axis=-1, order=(0, 1, 2, 3), pool_conv=True,
                    relu="relu", pool=L.MaxPooling2D, pool_size=3, bottleneck=True,
                    relu_after_concat=False, concatenate=None):
    p1 = L.Conv2D(c1, 1, activation=relu)(x)
    p2 = L.Conv2D(c2[0], 1, activation=relu)(x) if bottleneck else x
    p2 = L.Conv2D(c2[1], 3, padding="same", activation=relu)(p2)
    p3 = L.Conv2D(c3[0], 1, activation=relu)(x)
    p3 = L.Conv2D(c3[1], 5, padding="same", activation=relu)(p3)
    p4 = pool(pool_size, strides=1, padding="same")(x)
    if pool_conv:
        p4 = L.Conv2D(c4, 1, activation=relu)(p4)
    branches = [[p1, p2, p3, p4][i] for i in order]
    out = (concatenate or L.Concatenate(axis=axis))(branches)
    return L.ReLU()(out) if relu_after_concat else out


def batch_norm_forward(x, gamma, beta, moving_mean, moving_var, training, momentum=0.99,
                       eps=1e-3, *, ddof=0, reverse=False, batch_at_inference=False,
                       moving_in_training=False, eps_outside=False, swap=False,
                       batch_axis_only=False, update="average", moving_ddof=None,
                       in_place=False, same_arrays=False):
    axes = (0,) if batch_axis_only else tuple(range(x.ndim - 1))
    batch_mean, batch_var = x.mean(axis=axes), x.var(axis=axes, ddof=ddof)
    if (training and not moving_in_training) or (not training and batch_at_inference):
        mean, var = batch_mean, batch_var
    else:
        mean, var = moving_mean, moving_var
    scale = np.sqrt(var) + eps if eps_outside else np.sqrt(var + eps)
    scale_by, shift_by = (beta, gamma) if swap else (gamma, beta)
    y = scale_by * (x - mean) / scale + shift_by
    if (training and update != "none") or update == "always":
        keep = 1 - momentum if reverse else momentum
        if moving_ddof is not None:
            batch_var = x.var(axis=axes, ddof=moving_ddof)
        new_mean = moving_mean * keep + batch_mean * (1 - keep)
        moving_var = moving_var * keep + batch_var * (1 - keep)
        if update == "replace":
            new_mean, moving_var = batch_mean, batch_var
        if in_place:
            moving_mean[...] = new_mean
        moving_mean = new_mean
    elif not same_arrays:  # new arrays, as documented; same_arrays returns the inputs
        moving_mean, moving_var = moving_mean.copy(), moving_var.copy()
    return y, moving_mean, moving_var


def _batch_norm_in_place(x, gamma, beta, moving_mean, moving_var, training, momentum=0.99,
                         eps=1e-3):
    """Wrong: `moving_var *= momentum; moving_var += ...` and `x -= mean; x /= ...`, which
    change the caller's arrays (and return moving_var itself)."""
    y, new_mean, new_var = batch_norm_forward(x, gamma, beta, moving_mean, moving_var,
                                              training, momentum, eps)
    moving_var[...] = new_var
    x[...] = y
    return x, new_mean, moving_var


def group_norm(x, groups, gamma, beta, eps=1e-3, *, over="group", ddof=0, eps_outside=False,
               layout="contiguous", affine="channel", static_batch=False, numpy=False):
    """The reference in keras.ops (tensors, batch unknown), with switches for wrong versions."""
    ops = keras.ops
    h, w, c = x.shape[1:]
    batch = x.shape[0] if static_batch else -1     # static_batch: fails with the batch None
    if layout == "strided":
        grouped, axes = ops.reshape(x, (batch, h, w, c // groups, groups)), [1, 2, 3]
    else:
        grouped, axes = ops.reshape(x, (batch, h, w, groups, c // groups)), [1, 2, 4]
    axes = {"group": axes, "all channels": [1, 2, 3, 4], "batch": [0, 1, 2],
            "batch and group": [0, *axes]}[over]
    if numpy:  # NumPy on what may be a symbolic tensor
        mean, var = np.mean(grouped, axis=tuple(axes), keepdims=True), np.var(
            grouped, axis=tuple(axes), keepdims=True)
    else:
        mean, var = ops.moments(grouped, axes, keepdims=True)
    if ddof:
        n = ops.cast(ops.size(grouped) // ops.size(mean), var.dtype)
        var = var * n / (n - 1)
    scale = ops.sqrt(var) + eps if eps_outside else ops.sqrt(var + eps)
    y = ops.reshape((grouped - mean) / scale, ops.shape(x))
    if affine == "group":
        gamma, beta = (ops.repeat(a[:groups], c // groups) for a in (gamma, beta))
    if affine == "swapped":
        gamma, beta = beta, gamma
    return ops.add(ops.multiply(y, gamma), beta)


def _conv_bn(x, filters, kernel, stride=1, bn=True, variant=None):
    """Conv2D then BN (the blocks' convolutions have no bias), with a variant's changes."""
    padding = "valid" if variant == "valid" and kernel == 3 else "same"
    x = L.Conv2D(filters, kernel, strides=stride, padding=padding, use_bias=False)(x)
    return L.BatchNormalization()(x) if bn else x


def _conv_bn_relu(x, filters, kernel, stride=1, variant=None):
    """Conv2D -> BN -> ReLU, or Conv2D -> ReLU -> BN for the variant "relu before BN"."""
    if variant == "relu before BN":
        x = L.Conv2D(filters, kernel, strides=stride, padding="same", use_bias=False)(x)
        return L.BatchNormalization()(L.ReLU()(x))
    return L.ReLU()(_conv_bn(x, filters, kernel, stride, variant=variant))


def _shortcut_add(x, y, out_channels, stride, variant):
    """relu(y + shortcut(x)) with the projection when shapes differ, or a variant's mistake."""
    needs = stride != 1 or x.shape[-1] != out_channels
    kernel = 3 if variant == "3x3 shortcut" else 1
    if variant == "always project" or (needs and variant not in ("no projection",
                                                                  "no shortcut")):
        x = _conv_bn(x, out_channels, kernel, stride, bn=variant != "no shortcut BN")
    if variant == "no shortcut":
        return L.ReLU()(y)
    if variant == "relu before add":
        return L.Add()([L.ReLU()(y), x])
    if variant == "no relu":
        return L.Add()([y, x])
    return L.ReLU()(L.Add()([y, x]))


def residual_block(x, filters, stride, variant=None):
    first, second = (1, stride) if variant == "stride second" else (stride, 1)
    y = _conv_bn_relu(x, filters, 3, first, variant)
    if variant != "one conv":
        y = _conv_bn(y, filters, 3, second, variant=variant)
    return _shortcut_add(x, y, filters, stride, variant)


def residual_block_plus(x, filters, stride):
    """Another correct design: biases in the convolutions, `+` and keras.ops.relu."""
    y = L.Conv2D(filters, 3, strides=stride, padding="same")(x)
    y = L.Activation("relu")(L.BatchNormalization()(y))
    y = L.BatchNormalization()(L.Conv2D(filters, 3, padding="same")(y))
    if stride != 1 or x.shape[-1] != filters:
        x = L.BatchNormalization()(L.Conv2D(filters, 1, strides=stride)(x))
    return keras.ops.relu(y + x)


def _vgg_block_with_ops(x, num_convs, filters):
    """Another correct design: keras.ops.relu after linear convolutions, MaxPool2D(2)."""
    for _ in range(num_convs):
        x = keras.ops.relu(L.Conv2D(filters, (3, 3), padding="same")(x))
    return L.MaxPool2D(2)(x)


def bottleneck_block(x, filters, stride, variant=None):
    first = stride if variant == "stride first" else 1
    middle = 1 if variant == "1x1 middle" else 3
    y = _conv_bn_relu(x, filters, 1, first, variant)
    y = _conv_bn_relu(y, filters, middle, 1 if first != 1 else stride, variant)
    y = _conv_bn(y, 4 * filters, 1)
    return _shortcut_add(x, y, 4 * filters, stride, variant)


def _vgg_block_static_batch(x, num_convs, filters):
    """Wrong: reads the batch size while the block is built, where it is None."""
    y = vgg_block(x, num_convs, filters)
    return keras.ops.reshape(y, (x.shape[0], *y.shape[1:]))


class LeNet5(keras.Model):
    """A subclassed LeNet-5: right layers, but not the Sequential the notebook lists."""

    def __init__(self, num_classes, built_for=None):
        super().__init__()
        self.stack = [L.Conv2D(6, 5, padding="same", activation="relu"), L.AveragePooling2D(2),
                      L.Conv2D(16, 5, activation="relu"), L.AveragePooling2D(2), L.Flatten(),
                      L.Dense(120, activation="relu"), L.Dense(84, activation="relu"),
                      L.Dense(num_classes, activation="softmax")]
        if built_for is not None:
            self(keras.Input(shape=built_for))

    def call(self, x):
        for layer in self.stack:
            x = layer(x)
        return x


REFERENCES = {
    "lenet5": lenet5,
    "vgg_block": vgg_block,
    "vgg16_param_count": vgg16_param_count,
    "nin_block": nin_block,
    "inception_block": inception_block,
    "batch_norm_forward": batch_norm_forward,
    "residual_block": residual_block,
    "bottleneck_block": bottleneck_block,
    "group_norm": group_norm,
}


# ---------------------------------------------------------------- mutants ---

MUTANTS = [
    # lenet5
    ("lenet5", lambda s, n: lenet5(s, n, paddings=("valid", "valid")),
     "common mistake: the first convolution uses 'valid' padding"),
    ("lenet5", lambda s, n: lenet5(s, n, paddings=("same", "same")),
     "common mistake: the second convolution uses 'same' padding"),
    ("lenet5", lambda s, n: lenet5(s, n, dense=(128,)), "expected Dense layers of 120, 84"),
    ("lenet5", lambda s, n: lenet5(s, n, softmax=False), "expected class probabilities"),
    ("lenet5", lambda s, n: lenet5(s, n, pool=None), "pooling layer after each convolution"),
    ("lenet5", lambda s, n: lenet5(s, n, pool=L.MaxPooling2D),
     r"the pooling layers are MaxPooling2D 2x2 stride 2, .*2x2 average pooling"),
    ("lenet5", lambda s, n: lenet5(s, n, filters=(8, 16)), "expected two Conv2D layers, 6"),
    ("lenet5", lambda s, n: lenet5(s, n, activation=None),
     "the convolutions and hidden Dense layers have no activation"),
    ("lenet5", lambda s, n: lenet5(s, n, activation="sigmoid"),
     r"the 1st Conv2D \(5x5 6 'same'\) is followed by sigmoid, not by a ReLU"),
    ("lenet5", lambda s, n: lenet5(s, n, pools_last=True),
     r"the layers come in the order Conv2D -> Conv2D -> AveragePooling2D"),
    ("lenet5", lambda s, n: None, "expected a Keras model, received None"),
    ("lenet5", lambda s, n: LeNet5(n), r"received a subclassed keras.Model \(LeNet5\); lenet5 "
     r"returns a keras.Sequential"),
    ("lenet5", lambda s, n: LeNet5(n, built_for=s), r"received a subclassed keras.Model"),
    # vgg_block
    ("vgg_block", lambda x, n, f: vgg_block(x, n, f, pool=None),
     "common mistake: no pooling at the end"),
    ("vgg_block", lambda x, n, f: vgg_block(x, n, f, padding="valid"),
     "common mistake: 'valid' padding"),
    ("vgg_block", lambda x, n, f: vgg_block(x, n, f, pool="start"),
     "common mistake: pooled before the convolutions"),
    ("vgg_block", lambda x, n, f: vgg_block(x, n, f, relu=None),
     r"the 1st Conv2D \(3x3 8 'same'\) has no activation: no ReLU after it"),
    ("vgg_block", lambda x, n, f: vgg_block(x, n, f, relu="tanh"),
     r"is followed by tanh, not by a ReLU"),
    ("vgg_block", lambda x, n, f: L.Conv2D(f, 3, padding="same"), "expected a Keras tensor"),
    ("vgg_block", lambda x, n, f: vgg_block(x, n, f, kernel=5),
     r"expected 2 Conv2D layer\(s\) with 8 filters of 3x3 .*the block has 5x5 8, 5x5 8"),
    ("vgg_block", lambda x, n, f: vgg_block(x, 2, f),
     r"case 'one convolution .*expected 1 Conv2D layer\(s\) with 4 filters"),
    ("vgg_block", lambda x, n, f: vgg_block(x, n, f, pool_layer=L.AveragePooling2D),
     r"the block pools with AveragePooling2D 2x2 stride 2;"),
    ("vgg_block", lambda x, n, f: vgg_block(x, n, f, pool_padding="same"),
     r"the block pools with MaxPooling2D 2x2 stride 2 'same';"),
    ("vgg_block", lambda x, n, f: vgg_block(x, n, f, use_bias=False),
     "parameter count: values differ"),
    ("vgg_block", _vgg_block_static_batch,
     r"(?s)running it on a batch of 2 inputs raised .*keras.ops.shape\(x\)\[0\], not "
     r"x.shape\[0\]"),
    # vgg16_param_count
    ("vgg16_param_count", lambda: vgg16_param_count(biases=False),
     "common mistake: biases missing"),
    ("vgg16_param_count", lambda: vgg16_param_count(head=False),
     "common mistake: only the 13 convolutions counted"),
    ("vgg16_param_count", lambda: vgg16_param_count(dense_in=14 * 14 * 512),
     "common mistake: the first dense layer gets 14x14x512 inputs"),
    ("vgg16_param_count", lambda: vgg16_param_count(dense_in=512),
     "common mistake: the first dense layer gets 512 inputs"),
    ("vgg16_param_count", lambda: vgg16_param_count(classes=10),
     "common mistake: the output layer has 10 classes"),
    ("vgg16_param_count", lambda: float(vgg16_param_count()), "it is a float"),
    # nin_block
    ("nin_block", lambda x, f, k, s: nin_block(x, f, k, s, last=None),
     r"the 3rd Conv2D \(1x1 8\) has no activation: no ReLU after it"),
    ("nin_block", lambda x, f, k, s: nin_block(x, f, k, s, first="sigmoid"),
     r"the 1st Conv2D \(3x3 8 'same'\) is followed by sigmoid"),
    ("nin_block", lambda x, f, k, s: nin_block(x, f, k, s, padding="valid"),
     "common mistake: 'valid' padding"),
    ("nin_block", lambda x, f, k, s: nin_block(x, f, k, 1), "common mistake: the stride ignored"),
    ("nin_block", lambda x, f, k, s: nin_block(x, f, k, s, all_strided=True),
     "common mistake: the 1x1 convolutions strided too"),
    ("nin_block", lambda x, f, k, s: nin_block(x, f, k, s, one_by_one_first=True),
     (r"expected three Conv2D layers in this order: 3x3 8, 1x1 8, 1x1 8; the block has "
      r"1x1 8, 1x1 8, 3x3 8")),
    ("nin_block", lambda x, f, k, s: nin_block(x, f, k, s, use_bias=False),
     "parameter count: values differ"),
    # inception_block
    ("inception_block", lambda x, *c: inception_block(x, *c, axis=1),
     "common mistake: branches concatenated on the height axis"),
    ("inception_block", lambda x, *c: inception_block(x, *c, axis=2),
     "common mistake: branches concatenated on the width axis"),
    ("inception_block", lambda x, *c: inception_block(x, *c, order=(3, 2, 1, 0)),
     r"concatenated in the order \(4, 3, 2, 1\)"),
    ("inception_block", lambda x, *c: inception_block(x, *c, order=(0, 2, 1, 3)),
     r"concatenated in the order \(1, 3, 2, 4\)"),
    ("inception_block", lambda x, *c: inception_block(x, *c, pool_conv=False),
     "common mistake: the pooling branch has no 1x1 convolution"),
    ("inception_block", lambda x, *c: inception_block(x, *c, relu=None),
     r"the Conv2D \(1x1 4\) has no activation: no ReLU after it"),
    ("inception_block", lambda x, *c: inception_block(x, *c, bottleneck=False),
     r"expected six Conv2D layers \(kernel, filters\)"),
    ("inception_block", lambda x, *c: inception_block(x, *c, pool=L.AveragePooling2D),
     (r"branch 4 is AveragePooling2D 3x3 stride 1 'same' -> Conv2D 1x1 4; expected "
      r"MaxPooling2D 3x3 stride 1 'same' -> Conv2D 1x1 4")),
    ("inception_block", lambda x, *c: inception_block(x, *c, pool_size=2),
     r"branch 4 is MaxPooling2D 2x2 stride 1 'same' -> Conv2D"),
    ("inception_block", lambda x, *c: inception_block(x, *c, relu=None, relu_after_concat=True),
     "the block ends with ReLU, not with the concatenation of the four branches"),
    # batch_norm_forward
    ("batch_norm_forward", lambda *a, **k: batch_norm_forward(*a, **k, batch_at_inference=True),
     # On (batch, features) inputs it gives what "over the batch axis only" gives: both named.
     "common mistakes .*: inference mode used the batch statistics.*; or normalised over "
     "the batch axis only"),
    ("batch_norm_forward", lambda *a, **k: batch_norm_forward(*a, **k, reverse=True),
     "common mistake: momentum reversed"),
    ("batch_norm_forward", lambda *a, **k: batch_norm_forward(*a, **k, ddof=1),
     r"common mistake: unbiased variance \(ddof=1\) for the batch"),
    ("batch_norm_forward", lambda *a, **k: batch_norm_forward(*a, **k, eps_outside=True),
     "common mistake: eps added outside the square root"),
    ("batch_norm_forward", lambda *a, **k: batch_norm_forward(*a, **k, moving_in_training=True),
     "common mistake: training mode used the moving statistics"),
    ("batch_norm_forward", lambda *a, **k: batch_norm_forward(*a, **k, swap=True),
     "common mistake: gamma and beta swapped"),
    ("batch_norm_forward", lambda *a, **k: batch_norm_forward(*a, **k, batch_axis_only=True),
     "common mistake: normalised over the batch axis only"),
    ("batch_norm_forward", lambda *a, **k: batch_norm_forward(*a, **k, moving_ddof=1),
     r"common mistake: unbiased variance \(ddof=1\) in the moving average"),
    ("batch_norm_forward", lambda *a, **k: batch_norm_forward(*a, **k, update="replace"),
     "common mistake: the moving statistics replaced by the batch statistics"),
    ("batch_norm_forward", lambda *a, **k: batch_norm_forward(*a, **k, update="none"),
     "common mistake: moving statistics left unchanged in training mode"),
    ("batch_norm_forward", lambda *a, **k: batch_norm_forward(*a, **k, update="always"),
     "common mistake: moving statistics updated in inference mode"),
    ("batch_norm_forward", lambda *a, **k: batch_norm_forward(*a, **k)[0],
     r"expected a tuple \(y, new_moving_mean, new_moving_var\)"),
    ("batch_norm_forward", lambda x, gamma, beta, moving_mean, *a, **k: batch_norm_forward(
        x, gamma, beta, moving_mean, *a, **k, in_place=True),
     "changed its input `moving_mean` in place"),
    ("batch_norm_forward", lambda x, gamma, beta, moving_mean, *a, **k: batch_norm_forward(
        x, gamma, beta, moving_mean, *a, **k, same_arrays=True),
     r"case '\(batch, features\) = \(8, 5\), inference'.*returned the input `moving_mean` "
     r"itself, or a view of it"),
    ("batch_norm_forward", _batch_norm_in_place, "changed its input `x` in place"),
    ("batch_norm_forward", lambda x, gamma, beta, moving_mean, moving_var, *a, **k:
        _batch_norm_in_place(x.copy(), gamma, beta, moving_mean, moving_var, *a, **k),
     "changed its input `moving_var` in place"),
    *[("residual_block", lambda x, f, s, v=variant: residual_block(x, f, s, v), message)
      for variant, message in [
          ("relu before add", "common mistake: shortcut added after the ReLU"),
          ("no projection", "projection shortcut is missing"),
          ("no relu", "common mistake: no ReLU after the addition"),
          ("no shortcut BN", "expected a BatchNormalization after each"),
          ("always project", "the shortcut is the identity"),
          ("relu before BN", "common mistake: ReLU before BN inside F"),
          ("no shortcut", "common mistake: no shortcut: the block must add its input"),
          ("stride second", "common mistake: the stride is on the second convolution"),
          ("one conv", r"case 'identity shortcut.*expected 2 Conv2D layers, the block has 1"),
          ("3x3 shortcut", (r"expected Conv2D layers \(kernel, filters\) \[\(1, 8\), \(3, 8\), "
                            r"\(3, 8\)\]; the block has \[\(3, 8\), \(3, 8\), \(3, 8\)\]")),
          ("valid", (r"(?s)raised ValueError.*x and F\(x\) must have the same shape to be "
                     r"added: the 3x3 convolution takes padding=\"same\"")),
      ]],
    *[("bottleneck_block", lambda x, f, s, v=variant: bottleneck_block(x, f, s, v), message)
      for variant, message in [
          ("relu before add", "common mistake: shortcut added after the ReLU"),
          ("no projection", "projection shortcut is missing"),
          ("stride first", "common mistake: the stride is on the first 1x1"),
          ("no relu", "common mistake: no ReLU after the addition"),
          ("no shortcut", "common mistake: no shortcut: the block must add its input"),
          ("relu before BN", "common mistake: ReLU before BN inside F"),
          ("1x1 middle", (r"expected Conv2D layers \(kernel, filters\) \[\(1, 4\), \(1, 16\), "
                          r"\(3, 4\)\]")),
      ]],
    *[("group_norm", lambda x, g, gamma, beta, eps=1e-3, k=switches: group_norm(
        x, g, gamma, beta, eps, **k), message) for switches, message in [
          ({"over": "all channels"}, "common mistake: statistics over all the channels"),
          ({"over": "batch"}, "common mistake: normalised over the batch axis, like BatchNorm"),
          ({"over": "batch and group"}, "common mistake: the statistics include the batch axis"),
          ({"ddof": 1}, r"common mistake: unbiased variance \(ddof=1\)"),
          ({"eps_outside": True}, "common mistake: eps added outside the square root"),
          ({"layout": "strided"}, "common mistake: groups taken as strided channels"),
          ({"affine": "group"}, "common mistake: gamma and beta applied per group"),
          ({"affine": "swapped"}, "common mistake: gamma and beta swapped"),
          ({"static_batch": True}, (r"(?s)case 'float32 tensors inside tf.function \(\(3, 2, "
                                    r"4, 6\).*keras.ops.shape\(x\)\[0\], not x.shape\[0\]")),
          ({"numpy": True}, (r"(?s)case 'float32 tensors inside tf.function.*NumPy "
                             r"functions.*Use keras.ops")),
      ]],
]


#: Messages read in full: (exercise, wrong version, the message's start, texts it holds).
MESSAGES = [
    ("residual_block", lambda x, f, s: residual_block(x, f, s, "relu before add"),
     "03.7 residual_block, case 'identity shortcut: ", ["expected:", "received:"]),
]


class TestChecks(CheckTests):
    """The tests of every exercise (tests/mutants.py) on these references and mutants."""

    check_module, references, mutants, messages = check, REFERENCES, MUTANTS, MESSAGES


def test_other_correct_designs_pass(capsys):
    check.residual_block(residual_block_plus)
    check.lenet5(lambda shape, n: keras.Sequential(
        [keras.Input(shape=shape), L.Conv2D(6, 5, padding="same"), L.ReLU(),
         L.AveragePooling2D((2, 2), strides=2), L.Conv2D(16, (5, 5)), L.Activation("relu"),
         L.AveragePooling2D(2), L.Flatten(), L.Dense(120, activation="relu"), L.Dropout(0.2),
         L.Dense(84), L.ReLU(), L.Dense(n, activation="softmax")]))
    check.vgg16_param_count(lambda: np.int64(vgg16_param_count()))
    check.inception_block(lambda x, *c: inception_block(
        x, *c, concatenate=lambda branches: keras.ops.concatenate(branches, axis=-1)))
    check.inception_block(lambda x, *c: inception_block(  # in two steps
        x, *c, concatenate=lambda b: L.Concatenate()([L.Concatenate()(b[:2]), *b[2:]])))
    check.vgg_block(_vgg_block_with_ops)
    assert capsys.readouterr().out.count("passed") == 6


def test_batch_statistics_at_inference_fail_on_the_inference_case():
    with pytest.raises(CheckError, match=r"case '\(batch, features\) = \(8, 5\), inference'"):
        check.batch_norm_forward(lambda *a, **k: batch_norm_forward(
            *a, **k, batch_at_inference=True))


# ------------------------------------------------- other correct styles ---
# Each block written as a nested keras.Sequential, as a keras.layers.Layer subclass and as
# a keras.Model subclass applied to x (the style of d2l and of many Keras tutorials).

def _vgg_convs(num_convs, filters):
    return [L.Conv2D(filters, 3, padding="same", activation="relu") for _ in range(num_convs)]


def _nin_convs(filters, kernel, strides):
    return [L.Conv2D(filters, kernel, strides=strides, padding="same", activation="relu"),
            L.Conv2D(filters, 1, activation="relu"), L.Conv2D(filters, 1, activation="relu")]


def _inception_branches(c1, c2, c3, c4):
    return [keras.Sequential([L.Conv2D(c1, 1, activation="relu")]),
            keras.Sequential([L.Conv2D(c2[0], 1, activation="relu"),
                              L.Conv2D(c2[1], 3, padding="same", activation="relu")]),
            keras.Sequential([L.Conv2D(c3[0], 1, activation="relu"),
                              L.Conv2D(c3[1], 5, padding="same", activation="relu")]),
            keras.Sequential([L.MaxPool2D(3, strides=1, padding="same"),
                              L.Conv2D(c4, 1, activation="relu")])]


def _residual_paths(filters, stride, channels):
    """(main path, shortcut or None) of a basic residual block, as two Sequentials."""
    main = keras.Sequential([
        L.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False),
        L.BatchNormalization(), L.ReLU(),
        L.Conv2D(filters, 3, padding="same", use_bias=False), L.BatchNormalization()])
    return main, _projection(filters, stride, channels)


def _bottleneck_paths(filters, stride, channels):
    main = keras.Sequential([
        L.Conv2D(filters, 1, use_bias=False), L.BatchNormalization(), L.ReLU(),
        L.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False),
        L.BatchNormalization(), L.ReLU(),
        L.Conv2D(4 * filters, 1, use_bias=False), L.BatchNormalization()])
    return main, _projection(4 * filters, stride, channels)


def _projection(out_channels, stride, channels):
    if stride == 1 and channels == out_channels:
        return None
    return keras.Sequential([L.Conv2D(out_channels, 1, strides=stride, use_bias=False),
                             L.BatchNormalization()])


def _with_shortcut(paths, x):
    main, shortcut = paths
    return L.ReLU()(L.Add()([main(x), x if shortcut is None else shortcut(x)]))


class VGGBlock(L.Layer):
    def __init__(self, num_convs, filters, **kwargs):
        super().__init__(**kwargs)
        self.convs, self.pool = _vgg_convs(num_convs, filters), L.MaxPooling2D(2, strides=2)

    def call(self, x):
        for conv in self.convs:
            x = conv(x)
        return self.pool(x)


class NiNModel(keras.Model):
    def __init__(self, filters, kernel, strides):
        super().__init__()
        self.first, self.mlp1, self.mlp2 = [
            L.Conv2D(filters, kernel, strides=strides, padding="same"),
            L.Conv2D(filters, 1), L.Conv2D(filters, 1)]

    def call(self, x):  # keras.ops.relu after each convolution
        return keras.ops.relu(self.mlp2(keras.ops.relu(self.mlp1(keras.ops.relu(
            self.first(x))))))


class Inception(L.Layer):
    """The d2l style: layers made in __init__, keras.ops.concatenate in call."""

    def __init__(self, c1, c2, c3, c4, **kwargs):
        super().__init__(**kwargs)
        self.b1_1 = L.Conv2D(c1, 1, activation="relu")
        self.b2_1 = L.Conv2D(c2[0], 1, activation="relu")
        self.b2_2 = L.Conv2D(c2[1], 3, padding="same", activation="relu")
        self.b3_1 = L.Conv2D(c3[0], 1, activation="relu")
        self.b3_2 = L.Conv2D(c3[1], 5, padding="same", activation="relu")
        self.b4_1 = L.MaxPool2D(3, 1, padding="same")
        self.b4_2 = L.Conv2D(c4, 1, activation="relu")

    def call(self, x):
        return keras.ops.concatenate([self.b1_1(x), self.b2_2(self.b2_1(x)),
                                      self.b3_2(self.b3_1(x)), self.b4_2(self.b4_1(x))],
                                     axis=-1)


class Residual(L.Layer):
    """Sublayers made in build(), where the input's channels are known."""

    def __init__(self, filters, stride, paths=_residual_paths):
        super().__init__()
        self.filters, self.stride, self.paths = filters, stride, paths

    def build(self, input_shape):
        self.main, self.shortcut = self.paths(self.filters, self.stride, input_shape[-1])

    def call(self, x):
        s = x if self.shortcut is None else self.shortcut(x)
        return keras.ops.relu(self.main(x) + s)


class ResidualModel(keras.Model):
    def __init__(self, filters, stride, channels, paths=_residual_paths):
        super().__init__()
        self.main, self.shortcut = paths(filters, stride, channels)
        self.add, self.relu = L.Add(), L.ReLU()

    def call(self, x):
        s = x if self.shortcut is None else self.shortcut(x)
        return self.relu(self.add([self.main(x), s]))


class Features(L.Layer):
    """LeNet-5's convolutions and poolings as one subclassed layer."""

    def __init__(self):
        super().__init__()
        self.stack = [L.Conv2D(6, 5, padding="same", activation="relu"), L.AveragePooling2D(2),
                      L.Conv2D(16, 5, activation="relu"), L.AveragePooling2D(2)]

    def call(self, x):
        for layer in self.stack:
            x = layer(x)
        return x


def _lenet5_head(n, *softmax):
    """Flatten and LeNet-5's Dense layers; `softmax` layers after a linear last Dense."""
    last = L.Dense(n) if softmax else L.Dense(n, activation="softmax")
    return [L.Flatten(), L.Dense(120, activation="relu"), L.Dense(84, activation="relu"), last,
            *softmax]


def _lenet5_functional(shape, n):
    inputs = keras.Input(shape=shape)
    x = L.AvgPool2D(2)(L.Conv2D(6, 5, padding="same", activation="relu")(inputs))
    x = L.AvgPool2D(2)(L.Conv2D(16, 5, activation="relu")(x))
    for layer in _lenet5_head(n):
        x = layer(x)
    return keras.Model(inputs, x)


OTHER_CORRECT_STYLES = [
    ("vgg_block", "nested Sequential",
     lambda x, n, f: keras.Sequential(_vgg_convs(n, f) + [L.MaxPooling2D(2)])(x)),
    ("vgg_block", "Layer subclass", lambda x, n, f: VGGBlock(n, f)(x)),
    ("nin_block", "nested Sequential",
     lambda x, f, k, s: keras.Sequential(_nin_convs(f, k, s))(x)),
    ("nin_block", "Model subclass with keras.ops.relu", lambda x, *a: NiNModel(*a)(x)),
    ("inception_block", "a nested Sequential per branch",
     lambda x, *c: L.Concatenate()([branch(x) for branch in _inception_branches(*c)])),
    ("inception_block", "Layer subclass (d2l)", lambda x, *c: Inception(*c)(x)),
    ("residual_block", "nested Sequentials",
     lambda x, f, s: _with_shortcut(_residual_paths(f, s, x.shape[-1]), x)),
    ("residual_block", "Layer subclass built lazily", lambda x, f, s: Residual(f, s)(x)),
    ("bottleneck_block", "nested Sequentials",
     lambda x, f, s: _with_shortcut(_bottleneck_paths(f, s, x.shape[-1]), x)),
    ("bottleneck_block", "Layer subclass built lazily",
     lambda x, f, s: Residual(f, s, _bottleneck_paths)(x)),
    ("bottleneck_block", "Model subclass",
     lambda x, f, s: ResidualModel(f, s, x.shape[-1], _bottleneck_paths)(x)),
    ("lenet5", "nested Sequentials", lambda shape, n: keras.Sequential(
        [keras.Input(shape=shape),
         *[keras.Sequential([L.Conv2D(f, 5, padding=p, activation="relu"),
                             L.AveragePooling2D(2)]) for f, p in [(6, "same"), (16, "valid")]],
         keras.Sequential(_lenet5_head(n))])),
    ("lenet5", "Layer subclass in a Sequential", lambda shape, n: keras.Sequential(
        [keras.Input(shape=shape), Features(), *_lenet5_head(n)])),
    ("lenet5", "functional keras.Model", _lenet5_functional),
    ("lenet5", "softmax as a layer", lambda shape, n: keras.Sequential(
        [keras.Input(shape=shape), Features(), *_lenet5_head(n, L.Softmax())])),
    ("lenet5", "Activation('softmax') layer", lambda shape, n: keras.Sequential(
        [keras.Input(shape=shape), Features(), *_lenet5_head(n, L.Activation("softmax"))])),
]


@pytest.mark.parametrize("name, style, fn", OTHER_CORRECT_STYLES,
                         ids=[f"{name}: {style}" for name, style, _ in OTHER_CORRECT_STYLES])
def test_other_correct_styles_pass(name, style, fn, capsys):
    getattr(check, name)(fn)
    assert "passed" in capsys.readouterr().out
