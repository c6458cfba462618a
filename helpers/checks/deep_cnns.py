"""Checks for notebook 03, deep CNN architectures: LeNet-5, VGG blocks, VGG-16's
parameter count, NiN blocks, Inception blocks, batch normalisation, residual and
bottleneck blocks.

The Keras exercises are checked structurally (layer types, kernel sizes, output
shapes, parameter counts worked out by hand from the layer formula) and
numerically: the student's block is built in a small Model, every Conv2D and
BatchNormalization layer gets known weights (a fixed rule that depends only on
the layer's shape), and the output is compared with a reference computed with
`tf.nn` operations from the same weights. Known wrong structures (shortcut added
after the ReLU, branches concatenated in another order, pooling before the
convolutions, ...) are computed too, so that a message can name the mistake.
`batch_norm_forward` is compared with `keras.layers.BatchNormalization` in
training and inference mode.

Example:

>>> from helpers.checks import deep_cnns as check
>>> check.residual_block(residual_block)
03.7 residual_block: all 4 cases passed
"""

import numpy as np

from helpers.checks.core import (exercise, describe, import_keras, import_tensorflow, is_int,
                                 random_values)
from helpers.checks.keras_models import (activation_name, activation_of, bn_with_known_weights,
                                         call_builder, chain, compare_with_known_weights,
                                         concatenated_branches, conv_layers,
                                         conv_with_known_weights, describe_convs, describe_layer,
                                         is_nonlinear, layer_names, leaf_layers,
                                         require_built_model, require_output_shape,
                                         require_relu_after)

__all__ = [
    "lenet5", "vgg_block", "vgg16_param_count", "nin_block", "inception_block",
    "batch_norm_forward", "residual_block", "bottleneck_block",
]


# ---------------------------------------------------------------- helpers ---

def _relu(x):
    return import_tensorflow().nn.relu(x)


def _maxpool(x, size, stride, padding="VALID"):
    return import_tensorflow().nn.max_pool2d(x, size, stride, padding)


def _inputs(seed, shape):
    """A batch of two inputs of `shape`, float32."""
    return random_values(seed, (2, *shape)).astype(np.float32)


# ------------------------------------------------------------------ lenet5 ---

def _lenet_params(input_shape, num_classes, paddings=("same", "valid"), dense=(120, 84)):
    """LeNet-5's parameter count, worked out from the layer formula."""
    h, w, c = input_shape
    for padding in paddings:  # each 5x5 convolution, then a 2x2 pooling
        if padding == "valid":
            h, w = h - 4, w - 4
        h, w = h // 2, w // 2
    count = 5 * 5 * c * 6 + 6 + 5 * 5 * 6 * 16 + 16
    units = [h * w * 16, *dense, num_classes]
    for a, b in zip(units[:-1], units[1:]):
        count += a * b + b
    return count


_LENET_ORDER = ["Conv2D", "AveragePooling2D", "Conv2D", "AveragePooling2D", "Flatten",
                "Dense", "Dense", "Dense"]
_LENET_LAYOUT = ("Conv2D(6, 5, padding=\"same\", activation=\"relu\") -> AveragePooling2D(2) "
                 "-> Conv2D(16, 5, activation=\"relu\") -> AveragePooling2D(2) -> Flatten -> "
                 "Dense(120, activation=\"relu\") -> Dense(84, activation=\"relu\") -> "
                 "Dense(num_classes, activation=\"softmax\").")


@exercise("03.1")
def lenet5(ex):
    """Checks `lenet5(input_shape, num_classes)`: LeNet-5's layers and parameter count.

    Conv 6 5x5 'same' -> average pool 2 -> conv 16 5x5 'valid' -> average pool 2
    -> flatten -> dense 120 -> dense 84 -> dense num_classes softmax, in this
    order, with a ReLU after every convolution and hidden Dense layer (its
    `activation` argument or a ReLU layer; Dropout may sit anywhere); the
    parameter count is worked out from the formula for each input shape.
    """
    layers = import_keras().layers
    cases = [
        ("Fashion-MNIST: (28, 28, 1) images, 10 classes", (28, 28, 1), 10),
        ("colour images: (32, 32, 3), 5 classes", (32, 32, 3), 5),
    ]
    for case, input_shape, num_classes in cases:
        model = ex.call(case, input_shape, num_classes)
        total = require_built_model(ex, case, model)
        leaves = leaf_layers(model)
        names = layer_names(leaves)
        convs = conv_layers(leaves)
        shapes = [(c.get_config()["kernel_size"][0], c.get_config()["filters"]) for c in convs]
        ex.require(case, shapes == [(5, 6), (5, 16)],
                   f"expected two Conv2D layers, 6 filters of 5x5 then 16 filters of 5x5; "
                   f"the model has {describe_convs(convs)}.",
                   "LeNet-5 has exactly two convolution layers: Conv2D(6, 5) and "
                   "Conv2D(16, 5).")
        pools = [layer for layer in leaves
                 if isinstance(layer, (layers.AveragePooling2D, layers.MaxPooling2D))]
        ex.require(case, len(pools) == 2,
                   f"expected a 2x2 pooling layer after each convolution; the layers are "
                   f"{names}.", "add keras.layers.AveragePooling2D(2) after each Conv2D.")
        pooling = [describe_layer(layer) for layer in pools]
        ex.require(case, pooling == ["AveragePooling2D 2x2 stride 2"] * 2,
                   f"the pooling layers are {', '.join(pooling)}; LeNet-5 pools with 2x2 "
                   f"average pooling.", "use keras.layers.AveragePooling2D(2) (not MaxPooling2D) "
                                "after each Conv2D.")
        dense = [layer.get_config()["units"] for layer in leaves
                 if isinstance(layer, layers.Dense)]
        ex.require(case, dense == [120, 84, num_classes],
                   f"expected Dense layers of 120, 84 and {num_classes} units, the model "
                   f"has {dense}.", "LeNet-5's head is Dense(120) -> Dense(84) -> "
                                    "Dense(num_classes).")
        ex.require(case, tuple(model.output_shape) == (None, num_classes)
                   and activation_name(leaves[-1]) == "softmax",
                   f"the output has shape {tuple(model.output_shape)} with activation "
                   f"{activation_name(leaves[-1]) or 'none'}; expected class probabilities "
                   f"of shape (None, {num_classes}).",
                   'end with keras.layers.Dense(num_classes, activation="softmax").')
        ex.require(case, any(is_nonlinear(layer) for layer in leaves[:-1]),
                   "the convolutions and hidden Dense layers have no activation: without a "
                   "nonlinearity the network collapses to one linear map.",
                   'give them activation="relu".')
        hidden = [layer for layer in leaves[:-1] if isinstance(layer, (layers.Conv2D,
                                                                       layers.Dense))]
        require_relu_after(ex, case, leaves, hidden,
                           'this LeNet-5 uses ReLU: give every Conv2D and hidden Dense layer '
                           'activation="relu".', through=(layers.Dropout,))
        order = [type(layer).__name__ for layer in leaves
                 if activation_of(layer) is None and not isinstance(layer, layers.Dropout)]
        ex.require(case, order == _LENET_ORDER,
                   f"the layers come in the order {' -> '.join(order)}; expected "
                   f"{' -> '.join(_LENET_ORDER)}.",
                   "each convolution is followed by its pooling: " + _LENET_LAYOUT)
        ex.compare(
            case, total, _lenet_params(input_shape, num_classes), kind="scalar",
            mistakes={
                "the first convolution uses 'valid' padding: LeNet-5 was made for 32x32 "
                "inputs; here the first Conv2D takes padding=\"same\" so that a 28x28 image "
                "gives 5x5 maps before Flatten":
                    _lenet_params(input_shape, num_classes, paddings=("valid", "valid")),
                "the second convolution uses 'same' padding: only the first Conv2D takes "
                "padding=\"same\", the second keeps the default 'valid', so that a 28x28 "
                "image gives 5x5 maps before Flatten":
                    _lenet_params(input_shape, num_classes, paddings=("same", "same")),
            },
            hint="count (5*5*c_in + 1)*filters per Conv2D and (inputs + 1)*units per Dense; "
                 "the first Conv2D has padding=\"same\", the second 'valid', and each 2x2 "
                 "pooling halves height and width.", part="parameter count")


# --------------------------------------------------------------- vgg_block ---

_VGG_LAYOUT = ("num_convs Conv2D(filters, 3, padding=\"same\", activation=\"relu\") layers, "
               "then MaxPooling2D(2, strides=2).")


def _vgg_ref(x, num_convs, filters, pool_first=False):
    y = _maxpool(x, 2, 2) if pool_first else x
    for _ in range(num_convs):
        y = _relu(conv_with_known_weights(y, filters, 3))
    return y if pool_first else _maxpool(y, 2, 2)


@exercise("03.2")
def vgg_block(ex):
    """Checks `vgg_block(x, num_convs, filters)` structurally and with known weights.

    Output shape (naming 'valid' padding and a missing pooling), num_convs
    Conv2D 3x3 stride 1 with `filters` filters, a ReLU after each, one
    MaxPooling2D 2x2 stride 2 'valid', the parameter count, and the values with
    known weights (naming pooling before the convolutions).
    """
    keras = import_keras()
    cases = [
        ("two convolutions of 8 filters on (8, 8, 3)", (8, 8, 3), 2, 8),
        ("one convolution of 4 filters on (6, 10, 2)", (6, 10, 2), 1, 4),
        ("three convolutions of 6 filters on (7, 7, 4) (odd size: pooling drops the "
         "last row and column)", (7, 7, 4), 3, 6),
    ]
    for number, (case, shape, num_convs, filters) in enumerate(cases):
        model = call_builder(ex, case, keras.Input(shape=shape), num_convs, filters)
        h, w, _ = shape
        require_output_shape(
            ex, case, model, (h // 2, w // 2, filters),
            {"no pooling at the end: a VGG block ends with MaxPooling2D(2, strides=2), "
             "which halves height and width": (h, w, filters),
             "'valid' padding: the 3x3 convolutions use padding=\"same\" so that only "
             "the pooling changes the size": ((h - 2 * num_convs) // 2,
                                              (w - 2 * num_convs) // 2, filters)},
            _VGG_LAYOUT)
        operations = chain(model.output, model.input)
        convs = conv_layers(operations)
        ex.require(case, len(convs) == num_convs and all(
            c.get_config()["kernel_size"] == (3, 3) and c.get_config()["strides"] == (1, 1)
            and c.get_config()["filters"] == filters for c in convs),
            f"expected {num_convs} Conv2D layer(s) with {filters} filters of 3x3 and stride "
            f"1; the block has {describe_convs(convs)}.",
            "use the arguments: a loop of num_convs Conv2D(filters, 3, padding=\"same\").")
        require_relu_after(ex, case, operations, convs,
                           'give every Conv2D activation="relu": ' + _VGG_LAYOUT)
        pools = [describe_layer(op) for op in operations if "Pooling" in type(op).__name__]
        ex.require(case, pools == ["MaxPooling2D 2x2 stride 2"],
                   f"the block pools with {', '.join(pools) or 'nothing'}; a VGG block ends "
                   f"with one 2x2 max pooling with stride 2 and 'valid' padding.",
                   "end with keras.layers.MaxPooling2D(2, strides=2): max pooling, not "
                   "average, and the default padding.")
        params = sum(9 * c_in * filters + filters
                     for c_in in [shape[-1]] + [filters] * (num_convs - 1))
        ex.compare(case, int(model.count_params()), params, kind="scalar",
                   part="parameter count",
                   hint="each 3x3 convolution has (9 * c_in + 1) * filters parameters "
                        "(keep the bias); pooling has none.")
        x = _inputs(10 + number, shape)
        compare_with_known_weights(
            ex, case, model, x, _vgg_ref(x, num_convs, filters),
            {"pooled before the convolutions: the pooling comes last":
                _vgg_ref(x, num_convs, filters, pool_first=True)},
            "each convolution is followed by a ReLU, and one 2x2 max pooling with stride "
            "2 ends the block.")


# ------------------------------------------------------- vgg16_param_count ---

VGG16_CONVS = [(2, 64), (2, 128), (3, 256), (3, 512), (3, 512)]


def _vgg16(biases=True, head=True, dense_in=7 * 7 * 512, classes=1000):
    count, c_in = 0, 3
    for num_convs, filters in VGG16_CONVS:
        for _ in range(num_convs):
            count += 9 * c_in * filters + (filters if biases else 0)
            c_in = filters
    if head:
        for a, b in [(dense_in, 4096), (4096, 4096), (4096, classes)]:
            count += a * b + (b if biases else 0)
    return count


@exercise("03.3")
def vgg16_param_count(ex):
    """Checks `vgg16_param_count()` against the layer formula (138,357,544)."""
    case = "VGG-16 on 224x224x3 images, 1000 classes"
    out = ex.call(case)
    ex.compare(
        case, out, _vgg16(), kind="scalar", rtol=0, atol=0,
        mistakes={
            "biases missing: every convolution filter and every dense unit has one bias":
                _vgg16(biases=False),
            "only the 13 convolutions counted: the three dense layers hold most of the "
            "parameters": _vgg16(head=False),
            "the first dense layer gets 14x14x512 inputs: five poolings halve 224 five "
            "times, to 7": _vgg16(dense_in=14 * 14 * 512),
            "the first dense layer gets 512 inputs: VGG flattens the 7x7x512 maps":
                _vgg16(dense_in=512),
            "the output layer has 10 classes: VGG-16 was made for ImageNet's 1000":
                _vgg16(classes=10),
        },
        hint="add (3*3*c_in + 1)*c_out for each of the 13 convolutions (blocks of 2, 2, 3, "
             "3, 3 with 64, 128, 256, 512, 512 filters, starting from 3 channels) and "
             "(inputs + 1)*units for Dense 4096, 4096 and 1000 after flattening 7x7x512.")
    ex.require(case, is_int(out),
               f"the value is right, but it is a {type(out).__name__}; a parameter count "
               "is a whole number.", "return an int (no / in the formula).")


# --------------------------------------------------------------- nin_block ---

_NIN_LAYOUT = ("Conv2D(filters, kernel, strides=strides, padding=\"same\") then two "
               "Conv2D(filters, 1), each with activation=\"relu\".")


def _nin_ref(x, filters, kernel, strides):
    y = _relu(conv_with_known_weights(x, filters, kernel, strides))
    y = _relu(conv_with_known_weights(y, filters, 1))
    return _relu(conv_with_known_weights(y, filters, 1))


@exercise("03.4")
def nin_block(ex):
    """Checks `nin_block(x, filters, kernel, strides)` structurally and with known weights.

    Output shape (naming 'valid' padding and a stride ignored or on every
    convolution), the three convolutions in order (kernel x kernel, 1x1, 1x1,
    `filters` each), a ReLU after each, the parameter count, and the values with
    known weights.
    """
    keras = import_keras()
    cases = [
        ("3x3 stride 1, 8 filters on (6, 6, 3)", (6, 6, 3), 8, 3, 1),
        ("5x5 stride 2, 4 filters on (9, 8, 2)", (9, 8, 2), 4, 5, 2),
        ("11x11 stride 4, 6 filters on (20, 20, 1) (AlexNet's first layer)",
         (20, 20, 1), 6, 11, 4),
    ]
    for number, (case, shape, filters, kernel, strides) in enumerate(cases):
        model = call_builder(ex, case, keras.Input(shape=shape), filters, kernel, strides)
        h, w, c = shape
        out_h, out_w = -(-h // strides), -(-w // strides)
        require_output_shape(
            ex, case, model, (out_h, out_w, filters),
            {"'valid' padding in the first convolution: this exercise uses "
             "padding=\"same\"": ((h - kernel) // strides + 1, (w - kernel) // strides + 1,
                                 filters),
             "the stride ignored: the first convolution takes strides=strides":
                 (h, w, filters),
             "the 1x1 convolutions strided too: only the first convolution has the stride":
                 (-(-out_h // strides ** 2), -(-out_w // strides ** 2), filters)},
            _NIN_LAYOUT)
        operations = chain(model.output, model.input)
        convs = conv_layers(operations)
        wanted = [(kernel, filters), (1, filters), (1, filters)]
        got = [(cv.get_config()["kernel_size"][0], cv.get_config()["filters"]) for cv in convs]
        ex.require(case, got == wanted,
                   f"expected three Conv2D layers in this order: {kernel}x{kernel} {filters}, "
                   f"1x1 {filters}, 1x1 {filters}; the block has {describe_convs(convs)}.",
                   "a NiN block is one ordinary convolution followed by two 1x1 "
                   "convolutions with the same number of filters.")
        require_relu_after(ex, case, operations, convs,
                           "every one of the three convolutions is followed by a ReLU: "
                           + _NIN_LAYOUT)
        params = kernel * kernel * c * filters + filters + 2 * (filters * filters + filters)
        ex.compare(case, int(model.count_params()), params, kind="scalar",
                   part="parameter count", hint="(k*k*c_in + 1)*filters for the first "
                   "convolution, (filters + 1)*filters for each 1x1 (keep the biases).")
        x = _inputs(20 + number, shape)
        compare_with_known_weights(ex, case, model, x, _nin_ref(x, filters, kernel, strides),
                                   {}, _NIN_LAYOUT)


# --------------------------------------------------------- inception_block ---

def _inception_ref(x, c1, c2, c3, c4):
    tf = import_tensorflow()
    p1 = _relu(conv_with_known_weights(x, c1, 1))
    p2 = _relu(conv_with_known_weights(_relu(conv_with_known_weights(x, c2[0], 1)), c2[1], 3))
    p3 = _relu(conv_with_known_weights(_relu(conv_with_known_weights(x, c3[0], 1)), c3[1], 5))
    p4 = _relu(conv_with_known_weights(_maxpool(x, 3, 1, "SAME"), c4, 1))
    return tf.concat([p1, p2, p3, p4], axis=-1)


_INCEPTION_LAYOUT = ("branch 1: Conv2D(c1, 1); branch 2: Conv2D(c2[0], 1) then Conv2D(c2[1], "
                     "3, padding=\"same\"); branch 3: Conv2D(c3[0], 1) then Conv2D(c3[1], 5, "
                     "padding=\"same\"); branch 4: MaxPooling2D(3, strides=1, padding=\"same\") "
                     "then Conv2D(c4, 1); every Conv2D with activation=\"relu\"; then "
                     "keras.layers.Concatenate(axis=-1)([branch1, branch2, branch3, branch4]).")


def _check_branches(ex, case, model, c1, c2, c3, c4):
    """The four branches of 03.5, in order, each from the input, with a ReLU per Conv2D."""
    __tracebackhide__ = True
    branches = concatenated_branches(model)
    if branches is None:
        last = chain(model.output, model.input)[-1]
        ex.fail(case, f"the block ends with {describe_layer(last)}, not with the "
                      f"concatenation of the four branches.",
                "put each ReLU inside its branch (activation=\"relu\" on every Conv2D) and "
                "return the concatenation itself.")
    wanted = [[f"Conv2D 1x1 {c1}"],
              [f"Conv2D 1x1 {c2[0]}", f"Conv2D 3x3 {c2[1]} 'same'"],
              [f"Conv2D 1x1 {c3[0]}", f"Conv2D 5x5 {c3[1]} 'same'"],
              ["MaxPooling2D 3x3 stride 1 'same'", f"Conv2D 1x1 {c4}"]]
    got = [[describe_layer(op) for op in branch if activation_of(op) is None]
           for branch in branches]
    if got != wanted and sorted(got) == sorted(wanted):
        order = tuple(wanted.index(branch) + 1 for branch in got)
        ex.fail(case, f"the branches are concatenated in the order {order}: join them as "
                      f"[1x1, 3x3, 5x5, pooling], the order of c1, c2, c3, c4.",
                _INCEPTION_LAYOUT)

    def shown(part):  # [] (no such branch) or [layers], each a description
        return " -> ".join(part[0]) or "x itself" if part else "nothing"

    for number in range(1, max(len(got), len(wanted)) + 1):
        branch, expected = got[number - 1:number], wanted[number - 1:number]
        ex.require(case, branch == expected,
                   f"branch {number} is {shown(branch)}; expected {shown(expected)}.",
                   _INCEPTION_LAYOUT)
    for branch in branches:
        require_relu_after(ex, case, branch, conv_layers(branch),
                           "every convolution has a ReLU: " + _INCEPTION_LAYOUT)


@exercise("03.5")
def inception_block(ex):
    """Checks `inception_block(x, c1, c2, c3, c4)`: four branches concatenated on channels.

    Output shape (naming the wrong concatenation axis and a pooling branch
    without its 1x1 convolution), the six Conv2D layers, each branch's layers
    in order (kernel sizes, filters, 'same' padding, a 3x3 max pooling with
    stride 1) and the order of the branches, a ReLU after every convolution,
    and the values with known weights.
    """
    keras = import_keras()
    cases = [
        ("every branch gives 4 channels, on (6, 6, 3)", (6, 6, 3), 4, (2, 4), (2, 4), 4),
        ("GoogLeNet's proportions scaled down, on (7, 5, 6)", (7, 5, 6), 4, (3, 6), (1, 2), 2),
        ("uneven branches on (8, 8, 4)", (8, 8, 4), 2, (4, 5), (2, 3), 1),
    ]
    for number, (case, shape, c1, c2, c3, c4) in enumerate(cases):
        model = call_builder(ex, case, keras.Input(shape=shape), c1, c2, c3, c4)
        h, w, c = shape
        total = c1 + c2[1] + c3[1] + c4
        require_output_shape(
            ex, case, model, (h, w, total),
            {"branches concatenated on the height axis (axis=1): stack them on the "
             "channel axis, axis=-1": (4 * h, w, c1),
             "branches concatenated on the width axis (axis=2): stack them on the channel "
             "axis, axis=-1": (h, 4 * w, c1),
             "the pooling branch has no 1x1 convolution, so it keeps the input's channels":
                 (h, w, c1 + c2[1] + c3[1] + c)},
            "each branch keeps height and width ('same' padding, pooling with strides=1) "
            "and the four are joined with keras.layers.Concatenate(axis=-1).")
        convs = conv_layers(leaf_layers(model))
        wanted = sorted([(1, c1), (1, c2[0]), (3, c2[1]), (1, c3[0]), (5, c3[1]), (1, c4)])
        got = sorted((cv.get_config()["kernel_size"][0], cv.get_config()["filters"])
                     for cv in convs)
        ex.require(case, got == wanted,
                   f"expected six Conv2D layers (kernel, filters) {wanted}; the block has "
                   f"{got}.", _INCEPTION_LAYOUT)
        _check_branches(ex, case, model, c1, c2, c3, c4)
        x = _inputs(30 + number, shape)
        compare_with_known_weights(ex, case, model, x, _inception_ref(x, c1, c2, c3, c4), {},
                                   _INCEPTION_LAYOUT)


# ------------------------------------------------------ batch_norm_forward ---

def _keras_bn(x, gamma, beta, mean, var, training, momentum, eps):
    keras = import_keras()
    layer = keras.layers.BatchNormalization(momentum=momentum, epsilon=eps, dtype="float64")
    layer.build(x.shape)
    layer.set_weights([gamma, beta, mean, var])
    y = np.asarray(layer(x, training=training))
    return y, np.asarray(layer.moving_mean), np.asarray(layer.moving_variance)


def _bn_variants(x, gamma, beta, mean, var, training, momentum, eps):
    axes = tuple(range(x.ndim - 1))
    mu, sigma2 = x.mean(axis=axes), x.var(axis=axes)
    unbiased = x.var(axis=axes, ddof=1)

    def norm(m, v, outside=False):
        scale = (np.sqrt(v) + eps) if outside else np.sqrt(v + eps)
        return (x - m) / scale * gamma + beta

    y = {"inference mode used the batch statistics: with training=False normalise "
         "with moving_mean and moving_var (the batch may be a single image)": norm(mu, sigma2),
         "training mode used the moving statistics: with training=True normalise with "
         "the batch's own mean and variance": norm(mean, var),
         "unbiased variance (ddof=1) for the batch: Keras divides by the number of "
         "values, np.var's default": norm(mu, unbiased),
         "eps added outside the square root: divide by sqrt(var + eps)":
             norm(mu if training else mean, sigma2 if training else var, outside=True),
         "gamma and beta swapped: gamma scales, beta shifts":
             (x - (mu if training else mean)) / np.sqrt((sigma2 if training else var) + eps)
             * beta + gamma,
         "normalised over the batch axis only: the statistics are per channel, over "
         "every axis but the last": (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + eps)
             * gamma + beta}
    stats = {
        "momentum reversed: Keras keeps `momentum` of the old value, "
        "moving * momentum + batch * (1 - momentum)":
            (mean * (1 - momentum) + mu * momentum, var * (1 - momentum) + sigma2 * momentum),
        "unbiased variance (ddof=1) in the moving average: Keras uses the biased batch "
        "variance": (mean * momentum + mu * (1 - momentum),
                     var * momentum + unbiased * (1 - momentum)),
        "the moving statistics replaced by the batch statistics instead of averaged":
            (mu, sigma2),
        "moving statistics left unchanged in training mode": (mean, var),
        "moving statistics updated in inference mode: with training=False they stay as "
        "they are": (mean * momentum + mu * (1 - momentum),
                     var * momentum + sigma2 * (1 - momentum)),
    }
    return y, stats


@exercise("03.6")
def batch_norm_forward(ex):
    """Checks `batch_norm_forward(...)` against `keras.layers.BatchNormalization`.

    Both modes, (batch, features) and NHWC inputs, the default and another
    momentum and eps; the result is `(y, new_moving_mean, new_moving_var)`.
    """
    rng = np.random.default_rng(40)

    def params(c):
        return (1.0 + 0.3 * rng.normal(size=c), 0.5 * rng.normal(size=c),
                0.3 * rng.normal(size=c), rng.uniform(0.5, 2.0, size=c))

    cases = [
        ("(batch, features) = (8, 5), training", 3.0 + 2.0 * rng.normal(size=(8, 5)), True,
         {}),
        ("(batch, features) = (8, 5), inference", 3.0 + 2.0 * rng.normal(size=(8, 5)), False,
         {}),
        ("NHWC (4, 3, 3, 2), training, momentum 0.9, eps 1e-5",
         1.0 + 1.5 * rng.normal(size=(4, 3, 3, 2)), True, {"momentum": 0.9, "eps": 1e-5}),
        ("NHWC (4, 3, 3, 2), inference", rng.normal(size=(4, 3, 3, 2)), False, {}),
        ("NHWC (2, 5, 4, 3), training, eps 0.1 (large)",
         0.2 * rng.normal(size=(2, 5, 4, 3)), True, {"eps": 0.1}),
        ("one image (1, 4, 4, 3), inference", rng.normal(size=(1, 4, 4, 3)), False, {}),
    ]
    for case, x, training, kwargs in cases:
        gamma, beta, mean, var = params(x.shape[-1])
        momentum, eps = kwargs.get("momentum", 0.99), kwargs.get("eps", 1e-3)
        out = ex.call(case, x, gamma, beta, mean, var, training, **kwargs)
        ex.require(case, isinstance(out, tuple) and len(out) == 3,
                   f"expected a tuple (y, new_moving_mean, new_moving_var), received "
                   f"{describe(out)}.", "return y, new_moving_mean, new_moving_var")
        y, new_mean, new_var = out
        ref_y, ref_mean, ref_var = _keras_bn(x, gamma, beta, mean, var, training, momentum, eps)
        y_mistakes, stat_mistakes = _bn_variants(x, gamma, beta, mean, var, training,
                                                 momentum, eps)
        if not training:
            y_mistakes.pop("unbiased variance (ddof=1) for the batch: Keras divides by "
                           "the number of values, np.var's default")
        ex.compare(case, y, ref_y, rtol=1e-5, atol=1e-6, mistakes=y_mistakes, part="y",
                   hint="y = gamma * (x - mean) / sqrt(var + eps) + beta, with the batch's "
                        "mean and (biased) variance over all axes but the last in training "
                        "mode, and the moving statistics in inference mode.")
        for index, (name, received, expected) in enumerate(
                [("new_moving_mean", new_mean, ref_mean), ("new_moving_var", new_var, ref_var)]):
            wrong = {k: v[index] for k, v in stat_mistakes.items()}
            ex.compare(case, received, expected, rtol=1e-5, atol=1e-7, mistakes=wrong,
                       part=name, hint="training mode: moving = moving * momentum + "
                       "batch_statistic * (1 - momentum); inference mode: unchanged.")


# ---------------------------------------------------------- residual_block ---

def _add_shortcut(x, y, out_channels, stride, variant):
    """relu(y + shortcut(x)), the shortcut projected when shapes differ; or a known mistake."""
    if stride != 1 or int(x.shape[-1]) != out_channels:
        shortcut = conv_with_known_weights(x, out_channels, 1, stride)
        shortcut = shortcut if variant == "no shortcut BN" else bn_with_known_weights(shortcut)
    else:
        shortcut = x
    if variant == "relu before add":
        return _relu(y) + shortcut
    if variant == "no relu":
        return y + shortcut
    if variant == "no shortcut":
        return _relu(y)
    return _relu(y + shortcut)


def _bn_relu(y, variant):
    """BN then ReLU, as in the main path of a ResNet block; or ReLU then BN (a mistake)."""
    if variant == "relu before BN":
        return bn_with_known_weights(_relu(y))
    return _relu(bn_with_known_weights(y))


def _residual_ref(x, filters, stride, variant=None):
    stride_first = variant != "stride on the second"
    y = _bn_relu(conv_with_known_weights(x, filters, 3, stride if stride_first else 1), variant)
    y = bn_with_known_weights(conv_with_known_weights(y, filters, 3, 1 if stride_first else stride))
    return _add_shortcut(x, y, filters, stride, variant)


def _residual_mistakes(x, filters, stride, make):
    return {
        "shortcut added after the ReLU: add the shortcut to the second BN's output, "
        "then apply the ReLU, relu(F(x) + shortcut)": make(x, filters, stride,
                                                           "relu before add"),
        "no ReLU after the addition": make(x, filters, stride, "no relu"),
        "no shortcut: the block must add its input (or its projection) to F(x)":
            make(x, filters, stride, "no shortcut"),
        "the projection shortcut has no BatchNormalization: the 1x1 convolution is "
        "followed by BN": make(x, filters, stride, "no shortcut BN"),
        "the stride is on the second convolution: the first 3x3 convolution takes the "
        "stride": make(x, filters, stride, "stride on the second"),
        "ReLU before BN inside F: each convolution is followed by BN, then the ReLU":
            make(x, filters, stride, "relu before BN"),
    }


def _check_block(ex, case, fn_args, shape, main, reference, mistakes, hint, seed):
    """The shared checks of a residual or bottleneck block built by the student.

    Args:
        fn_args: `(filters, stride)`, the student's arguments after x.
        shape: the input shape, without the batch axis.
        main: `(kernel, filters)` of each Conv2D on the main path, in order; the
            last one's filters are the output's channels.
        reference, mistakes: functions of the input batch giving the expected
            output and the known wrong outputs.
        hint: the block's layout, for messages.
        seed: for the input batch.
    """
    __tracebackhide__ = True
    keras = import_keras()
    (h, w, c), stride, out_channels = shape, fn_args[1], main[-1][1]
    projection = stride != 1 or c != out_channels
    same = "the 3x3 convolution takes padding=\"same\", so that only the stride changes " \
           "height and width."
    model = call_builder(
        ex, case, keras.Input(shape=shape), *fn_args,
        error_hint="a common mistake: the projection shortcut is missing. With a stride or a "
                   "change of channels x and F(x) have different shapes; the shortcut is "
                   "then a 1x1 convolution with that stride, followed by BN. Also, " + same
        if projection else "x and F(x) must have the same shape to be added: " + same)
    require_output_shape(ex, case, model, (-(-h // stride), -(-w // stride), out_channels),
                         {}, hint)
    leaves = leaf_layers(model)
    convs = conv_layers(leaves)
    bns = [layer for layer in leaves if isinstance(layer, keras.layers.BatchNormalization)]
    if len(convs) == len(main) + 1 and not projection:
        ex.fail(case, f"the block has {len(convs)} Conv2D layers ({describe_convs(convs)}); "
                      f"here input and output have the same shape, so the shortcut is the "
                      f"identity and no 1x1 projection is needed.",
                "use the projection only when stride != 1 or the number of channels "
                "changes.")
    wanted = main + ([(1, out_channels)] if projection else [])
    ex.require(case, len(convs) == len(wanted),
               f"expected {len(wanted)} Conv2D layers, the block has {len(convs)} "
               f"({describe_convs(convs)}).", hint)
    got = sorted((cv.get_config()["kernel_size"][0], cv.get_config()["filters"])
                 for cv in convs)
    ex.require(case, got == sorted(wanted),
               f"expected Conv2D layers (kernel, filters) {sorted(wanted)}; the block has "
               f"{got}.", hint)
    ex.require(case, len(bns) == len(wanted),
               f"expected a BatchNormalization after each of the {len(wanted)} convolutions, "
               f"the block has {len(bns)}.", "follow every Conv2D with "
               "keras.layers.BatchNormalization().")
    x = _inputs(seed, shape)
    compare_with_known_weights(ex, case, model, x, reference(x), mistakes(x), hint)


@exercise("03.7")
def residual_block(ex):
    """Checks `residual_block(x, filters, stride)`: relu(F(x) + shortcut(x)).

    Structure (output shape, the Conv2D layers' kernels and filters, one BN
    per Conv2D) and values with known weights against a reference built with
    `tf.nn` (naming the shortcut added after the ReLU, a missing ReLU or
    shortcut or shortcut BN, the stride on the second convolution and ReLU
    before BN), for identity and projection shortcuts.
    """
    cases = [
        ("identity shortcut: 8 filters, stride 1 on (6, 6, 8)", (6, 6, 8), 8, 1),
        ("projection for stride 2: 8 filters on (6, 6, 8)", (6, 6, 8), 8, 2),
        ("projection for new channels: 6 filters, stride 1 on (5, 5, 3)", (5, 5, 3), 6, 1),
        ("projection for both: 16 filters, stride 2 on (7, 7, 8)", (7, 7, 8), 16, 2),
    ]
    for number, (case, shape, filters, stride) in enumerate(cases):
        _check_block(
            ex, case, (filters, stride), shape, [(3, filters), (3, filters)],
            lambda x, f=filters, s=stride: _residual_ref(x, f, s),
            lambda x, f=filters, s=stride: _residual_mistakes(x, f, s, _residual_ref),
            "main path: Conv2D(filters, 3, strides=stride, padding=\"same\") -> BN -> ReLU "
            "-> Conv2D(filters, 3, padding=\"same\") -> BN; shortcut: x, or Conv2D(filters, "
            "1, strides=stride) -> BN when the shape changes; then Add and ReLU.",
            50 + number)


# -------------------------------------------------------- bottleneck_block ---

def _bottleneck_ref(x, filters, stride, variant=None):
    first = stride if variant == "stride on the second" else 1  # stride on the first 1x1
    y = _bn_relu(conv_with_known_weights(x, filters, 1, first), variant)
    y = _bn_relu(conv_with_known_weights(y, filters, 3, 1 if first != 1 else stride), variant)
    y = bn_with_known_weights(conv_with_known_weights(y, 4 * filters, 1))
    return _add_shortcut(x, y, 4 * filters, stride, variant)


@exercise("03.8")
def bottleneck_block(ex):
    """Checks `bottleneck_block(x, filters, stride)`: 1x1 -> 3x3 -> 1x1 (4 * filters).

    The same checks as `residual_block`, with the stride on the 3x3 convolution
    (naming it on the first 1x1, as in the 2015 paper).
    """
    cases = [
        ("identity shortcut: 4 filters (16 out), stride 1 on (6, 6, 16)", (6, 6, 16), 4, 1),
        ("projection for new channels: 2 filters (8 out), stride 1 on (5, 5, 4)",
         (5, 5, 4), 2, 1),
        ("projection for stride 2: 4 filters (16 out) on (6, 6, 16)", (6, 6, 16), 4, 2),
    ]
    for number, (case, shape, filters, stride) in enumerate(cases):

        def mistakes(x, f=filters, s=stride):
            found = _residual_mistakes(x, f, s, _bottleneck_ref)
            found.pop("the stride is on the second convolution: the first 3x3 convolution "
                      "takes the stride")
            if s != 1:
                found["the stride is on the first 1x1 convolution (as in the 2015 paper); "
                      "here, as in most current code, the 3x3 convolution takes the stride "
                      "so that no pixel is skipped"] = _bottleneck_ref(
                          x, f, s, "stride on the second")
            return found

        _check_block(
            ex, case, (filters, stride), shape, [(1, filters), (3, filters), (1, 4 * filters)],
            lambda x, f=filters, s=stride: _bottleneck_ref(x, f, s), mistakes,
            "main path: Conv2D(filters, 1) -> BN -> ReLU -> Conv2D(filters, 3, "
            "strides=stride, padding=\"same\") -> BN -> ReLU -> Conv2D(4 * filters, 1) -> BN; "
            "shortcut: x, or Conv2D(4 * filters, 1, strides=stride) -> BN when the shape "
            "changes; then Add and ReLU.", 60 + number)
