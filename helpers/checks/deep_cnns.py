"""Checks for notebook 03, deep CNN architectures: LeNet-5, VGG blocks, VGG-16's
parameter count, NiN blocks, Inception blocks, batch normalisation, residual and
bottleneck blocks.

The Keras exercises are checked structurally (layer types, kernel sizes, output
shapes, parameter counts worked out by hand from the layer formula) and
numerically: the student's block is built in a small Model, every Conv2D and
BatchNormalization layer gets known weights (a fixed rule that depends only on
the layer's shape), and the output is compared with a reference computed with
`tf.nn` operations from the same weights. Each check takes its cases from its
`_name_cases()`; the switch oracles (`_name_answer` for values, `_name_shape` for
output shapes) compute the known wrong structures of the tables `_NAME_MISTAKES`
(shortcut added after the ReLU, pooling before the convolutions, 'valid'
padding, ...), so that a message can name the mistake. A block written as a
nested `keras.Sequential` or as a subclassed layer or model applied to x is
inspected like the same block written with layers on x (`keras_models` opens
them); a block that is built but cannot run on a real batch (a size read from x
while the batch size is None) gets a message, not a traceback.
`batch_norm_forward` is compared with `keras.layers.BatchNormalization` in
training and inference mode, and must return new arrays. `group_norm` is compared
with `keras.layers.GroupNormalization` (its gamma and beta set to the case's), with
groups = 1 (layer norm) and groups = channels (instance norm) among the cases, then
on float32 tensors, eagerly and traced with the batch size unknown, as a model calls it.

Example:

>>> from helpers.checks import deep_cnns as check
>>> check.residual_block(residual_block)
03.7 residual_block: all 4 cases passed
"""


import numpy as np

from helpers.checks import tensor_modes
from helpers.checks.core import (exercise, describe, import_keras,
                                 import_tensorflow, is_int, mistakes_from, random_values)
from helpers.checks.keras_models import (activation_after, activation_of, bn_with_known_weights,
                                         call_builder, chain, compare_with_known_weights,
                                         concatenated_branches, conv_layers,
                                         conv_with_known_weights, describe_convs, describe_layer,
                                         is_nonlinear, is_subclassed_model, layer_names,
                                         leaf_layers, require_built_model,
                                         require_output_shape, require_relu_after)

__all__ = [
    "lenet5", "vgg_block", "vgg16_param_count", "nin_block", "inception_block",
    "batch_norm_forward", "residual_block", "bottleneck_block", "group_norm",
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

def _lenet5_cases():
    """(case, input_shape, num_classes) for 03.1."""
    return [
        ("Fashion-MNIST: (28, 28, 1) images, 10 classes", (28, 28, 1), 10),
        ("colour images: (32, 32, 3), 5 classes", (32, 32, 3), 5),
    ]


def _lenet5_answer(input_shape, num_classes, *, paddings=("same", "valid")):
    """LeNet-5's parameter count, worked out from the layer formula.

    Switches (each one mistake):
        paddings: the padding of the two 5x5 convolutions, e.g. ("valid", "valid").
    """
    h, w, c = input_shape
    for padding in paddings:  # each 5x5 convolution, then a 2x2 pooling
        if padding == "valid":
            h, w = h - 4, w - 4
        h, w = h // 2, w // 2
    count = 5 * 5 * c * 6 + 6 + 5 * 5 * 6 * 16 + 16
    units = [h * w * 16, 120, 84, num_classes]
    for a, b in zip(units[:-1], units[1:]):
        count += a * b + b
    return count


_LENET5_MISTAKES = {
    "the first convolution uses 'valid' padding: LeNet-5 was made for 32x32 inputs; here the "
    "first Conv2D takes padding=\"same\" so that a 28x28 image gives 5x5 maps before Flatten":
        {"paddings": ("valid", "valid")},
    "the second convolution uses 'same' padding: only the first Conv2D takes "
    "padding=\"same\", the second keeps the default 'valid', so that a 28x28 image gives 5x5 "
    "maps before Flatten": {"paddings": ("same", "same")},
}

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
    order, with a ReLU after every convolution and hidden Dense layer and a
    softmax after the last (its `activation` argument or a layer after it;
    Dropout may sit anywhere); the parameter count is worked out from the formula
    for each input shape. The model is a keras.Sequential or a functional model
    (the notebook lists its layers' output shapes), not a subclassed keras.Model.
    """
    layers = import_keras().layers
    for case, input_shape, num_classes in _lenet5_cases():
        model = ex.call(case, input_shape, num_classes)
        ex.require(case, not is_subclassed_model(model),
                   f"received a subclassed keras.Model ({type(model).__name__}); lenet5 returns "
                   f"a keras.Sequential, as its docstring says: the next cell lists its layers "
                   f"with their output shapes, which a subclassed model does not have.",
                   "put the layers in keras.Sequential([keras.Input(shape=input_shape), ...]) "
                   "(a functional keras.Model works too).")
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
        # The output layer: the last Dense, its softmax as its activation or a layer after it.
        last = max((i for i, layer in enumerate(leaves) if isinstance(layer, layers.Dense)),
                   default=len(leaves) - 1)
        output_activation = activation_after(leaves, last, through=(layers.Dropout,))
        ex.require(case, tuple(model.output_shape) == (None, num_classes)
                   and output_activation == "softmax",
                   f"the output has shape {tuple(model.output_shape)} with activation "
                   f"{output_activation or 'none'}; expected class probabilities "
                   f"of shape (None, {num_classes}).",
                   'end with keras.layers.Dense(num_classes, activation="softmax").')
        ex.require(case, any(is_nonlinear(layer) for layer in leaves[:last]),
                   "the convolutions and hidden Dense layers have no activation: without a "
                   "nonlinearity the network collapses to one linear map.",
                   'give them activation="relu".')
        hidden = [layer for layer in leaves[:last] if isinstance(layer, (layers.Conv2D,
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
            case, total, _lenet5_answer(input_shape, num_classes), kind="scalar",
            mistakes=mistakes_from(_lenet5_answer, _LENET5_MISTAKES, input_shape, num_classes),
            hint="count (5*5*c_in + 1)*filters per Conv2D and (inputs + 1)*units per Dense; "
                 "the first Conv2D has padding=\"same\", the second 'valid', and each 2x2 "
                 "pooling halves height and width.", part="parameter count")


# --------------------------------------------------------------- vgg_block ---

_VGG_LAYOUT = ("num_convs Conv2D(filters, 3, padding=\"same\", activation=\"relu\") layers, "
               "then MaxPooling2D(2, strides=2).")


def _vgg_block_cases():
    """(case, input shape, num_convs, filters) for 03.2."""
    return [
        ("two convolutions of 8 filters on (8, 8, 3)", (8, 8, 3), 2, 8),
        ("one convolution of 4 filters on (6, 10, 2)", (6, 10, 2), 1, 4),
        ("three convolutions of 6 filters on (7, 7, 4) (odd size: pooling drops the "
         "last row and column)", (7, 7, 4), 3, 6),
    ]


def _vgg_block_shape(shape, num_convs, filters, *, pool=True, padding="same"):
    """A VGG block's output shape without the batch axis: height and width halved.

    Switches (each one mistake):
        pool: False leaves out the final pooling.
        padding: "valid" makes each 3x3 convolution take 2 off height and width.
    """
    h, w, _ = shape
    if padding == "valid":
        h, w = h - 2 * num_convs, w - 2 * num_convs
    return (h // 2, w // 2, filters) if pool else (h, w, filters)


_VGG_BLOCK_SHAPE_MISTAKES = {
    "no pooling at the end: a VGG block ends with MaxPooling2D(2, strides=2), which halves "
    "height and width": {"pool": False},
    "'valid' padding: the 3x3 convolutions use padding=\"same\" so that only the pooling "
    "changes the size": {"padding": "valid"},
}


def _vgg_block_answer(x, num_convs, filters, *, pool_first=False):
    """A VGG block's output with known weights: num_convs 3x3 convolutions with a ReLU,
    then a 2x2 max pooling.

    Switches (each one mistake):
        pool_first: True pools before the convolutions.
    """
    y = _maxpool(x, 2, 2) if pool_first else x
    for _ in range(num_convs):
        y = _relu(conv_with_known_weights(y, filters, 3))
    return y if pool_first else _maxpool(y, 2, 2)


_VGG_BLOCK_MISTAKES = {
    "pooled before the convolutions: the pooling comes last": {"pool_first": True},
}


@exercise("03.2")
def vgg_block(ex):
    """Checks `vgg_block(x, num_convs, filters)` structurally and with known weights.

    Output shape (naming 'valid' padding and a missing pooling), num_convs
    Conv2D 3x3 stride 1 with `filters` filters, a ReLU after each, one
    MaxPooling2D 2x2 stride 2 'valid', the parameter count, and the values with
    known weights (naming pooling before the convolutions).
    """
    keras = import_keras()
    for number, (case, shape, num_convs, filters) in enumerate(_vgg_block_cases()):
        model = call_builder(ex, case, keras.Input(shape=shape), num_convs, filters)
        h, w, _ = shape
        require_output_shape(
            ex, case, model, (h // 2, w // 2, filters),
            mistakes_from(_vgg_block_shape, _VGG_BLOCK_SHAPE_MISTAKES, shape, num_convs,
                          filters),
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
            ex, case, model, x, _vgg_block_answer(x, num_convs, filters),
            mistakes_from(_vgg_block_answer, _VGG_BLOCK_MISTAKES, x, num_convs, filters),
            "each convolution is followed by a ReLU, and one 2x2 max pooling with stride "
            "2 ends the block.")


# ------------------------------------------------------- vgg16_param_count ---

VGG16_CONVS = [(2, 64), (2, 128), (3, 256), (3, 512), (3, 512)]


def _vgg16_param_count_cases():
    """(case, expected count) for 03.3: the count worked out by hand."""
    return [("VGG-16 on 224x224x3 images, 1000 classes", 138_357_544)]


def _vgg16_param_count_answer(*, biases=True, head=True, dense_in=7 * 7 * 512, classes=1000):
    """VGG-16's parameter count: 13 3x3 convolutions (`VGG16_CONVS`), then Dense 4096, 4096
    and 1000 on the flattened 7x7x512 maps.

    Switches (each one mistake):
        biases: False leaves out the biases.
        head: False leaves out the three Dense layers.
        dense_in: the first Dense layer's inputs instead of 7 * 7 * 512.
        classes: the output layer's units instead of 1000.
    """
    count, c_in = 0, 3
    for num_convs, filters in VGG16_CONVS:
        for _ in range(num_convs):
            count += 9 * c_in * filters + (filters if biases else 0)
            c_in = filters
    if head:
        for a, b in [(dense_in, 4096), (4096, 4096), (4096, classes)]:
            count += a * b + (b if biases else 0)
    return count


_VGG16_PARAM_COUNT_MISTAKES = {
    "biases missing: every convolution filter and every dense unit has one bias":
        {"biases": False},
    "only the 13 convolutions counted: the three dense layers hold most of the parameters":
        {"head": False},
    "the first dense layer gets 14x14x512 inputs: five poolings halve 224 five times, to 7":
        {"dense_in": 14 * 14 * 512},
    "the first dense layer gets 512 inputs: VGG flattens the 7x7x512 maps": {"dense_in": 512},
    "the output layer has 10 classes: VGG-16 was made for ImageNet's 1000": {"classes": 10},
}


@exercise("03.3")
def vgg16_param_count(ex):
    """Checks `vgg16_param_count()` against VGG-16's 138,357,544 parameters (the layer
    formula worked out by hand)."""
    for case, expected in _vgg16_param_count_cases():
        out = ex.call(case)
        ex.compare(
            case, out, expected, kind="scalar", rtol=0, atol=0,
            mistakes=mistakes_from(_vgg16_param_count_answer, _VGG16_PARAM_COUNT_MISTAKES),
            hint="add (3*3*c_in + 1)*c_out for each of the 13 convolutions (blocks of 2, 2, 3, "
                 "3, 3 with 64, 128, 256, 512, 512 filters, starting from 3 channels) and "
                 "(inputs + 1)*units for Dense 4096, 4096 and 1000 after flattening 7x7x512.")
        ex.require(case, is_int(out),
                   f"the value is right, but it is a {type(out).__name__}; a parameter count "
                   "is a whole number.", "return an int (no / in the formula).")


# --------------------------------------------------------------- nin_block ---

_NIN_LAYOUT = ("Conv2D(filters, kernel, strides=strides, padding=\"same\") then two "
               "Conv2D(filters, 1), each with activation=\"relu\".")


def _nin_block_cases():
    """(case, input shape, filters, kernel, strides) for 03.4."""
    return [
        ("3x3 stride 1, 8 filters on (6, 6, 3)", (6, 6, 3), 8, 3, 1),
        ("5x5 stride 2, 4 filters on (9, 8, 2)", (9, 8, 2), 4, 5, 2),
        ("11x11 stride 4, 6 filters on (20, 20, 1) (AlexNet's first layer)",
         (20, 20, 1), 6, 11, 4),
    ]


def _nin_block_shape(shape, filters, kernel, strides, *, padding="same", strided="first"):
    """A NiN block's output shape without the batch axis: ceil(n / strides), `filters`.

    Switches (each one mistake):
        padding: "valid" padding in the first convolution.
        strided: which convolutions take the stride: "none", or "all" three.
    """
    h, w, _ = shape
    if strided == "none":
        return h, w, filters
    if padding == "valid":
        out_h, out_w = (h - kernel) // strides + 1, (w - kernel) // strides + 1
    else:
        out_h, out_w = -(-h // strides), -(-w // strides)
    if strided == "all":
        out_h, out_w = -(-out_h // strides ** 2), -(-out_w // strides ** 2)
    return out_h, out_w, filters


_NIN_BLOCK_SHAPE_MISTAKES = {
    "'valid' padding in the first convolution: this exercise uses padding=\"same\"":
        {"padding": "valid"},
    "the stride ignored: the first convolution takes strides=strides": {"strided": "none"},
    "the 1x1 convolutions strided too: only the first convolution has the stride":
        {"strided": "all"},
}


def _nin_block_answer(x, filters, kernel, strides):
    """A NiN block's output with known weights: a kernel x kernel convolution with the
    stride, then two 1x1 convolutions, each with a ReLU."""
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
    for number, (case, shape, filters, kernel, strides) in enumerate(_nin_block_cases()):
        model = call_builder(ex, case, keras.Input(shape=shape), filters, kernel, strides)
        h, w, c = shape
        require_output_shape(
            ex, case, model, (-(-h // strides), -(-w // strides), filters),
            mistakes_from(_nin_block_shape, _NIN_BLOCK_SHAPE_MISTAKES, shape, filters, kernel,
                          strides),
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
        compare_with_known_weights(ex, case, model, x,
                              _nin_block_answer(x, filters, kernel, strides), {},
                              _NIN_LAYOUT)


# --------------------------------------------------------- inception_block ---

def _inception_block_cases():
    """(case, input shape, c1, c2, c3, c4) for 03.5."""
    return [
        ("every branch gives 4 channels, on (6, 6, 3)", (6, 6, 3), 4, (2, 4), (2, 4), 4),
        ("GoogLeNet's proportions scaled down, on (7, 5, 6)", (7, 5, 6), 4, (3, 6), (1, 2), 2),
        ("uneven branches on (8, 8, 4)", (8, 8, 4), 2, (4, 5), (2, 3), 1),
    ]


def _inception_block_shape(shape, c1, c2, c3, c4, *, axis=-1, pool_conv=True):
    """An Inception block's output shape without the batch axis: height and width kept,
    c1 + c2[1] + c3[1] + c4 channels.

    Switches (each one mistake):
        axis: 1 or 2, the axis the branches are concatenated on (four branches of c1
            channels, as when every branch has as many).
        pool_conv: False leaves out the pooling branch's 1x1 convolution.
    """
    h, w, c = shape
    if axis == 1:
        return 4 * h, w, c1
    if axis == 2:
        return h, 4 * w, c1
    return h, w, c1 + c2[1] + c3[1] + (c4 if pool_conv else c)


_INCEPTION_BLOCK_SHAPE_MISTAKES = {
    "branches concatenated on the height axis (axis=1): stack them on the channel axis, "
    "axis=-1": {"axis": 1},
    "branches concatenated on the width axis (axis=2): stack them on the channel axis, "
    "axis=-1": {"axis": 2},
    "the pooling branch has no 1x1 convolution, so it keeps the input's channels":
        {"pool_conv": False},
}


def _inception_block_answer(x, c1, c2, c3, c4):
    """An Inception block's output with known weights: the four branches, concatenated on
    the channel axis."""
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
    for number, (case, shape, c1, c2, c3, c4) in enumerate(_inception_block_cases()):
        model = call_builder(ex, case, keras.Input(shape=shape), c1, c2, c3, c4)
        h, w, c = shape
        require_output_shape(
            ex, case, model, (h, w, c1 + c2[1] + c3[1] + c4),
            mistakes_from(_inception_block_shape, _INCEPTION_BLOCK_SHAPE_MISTAKES, shape,
                          c1, c2, c3, c4),
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
        compare_with_known_weights(ex, case, model, x,
                              _inception_block_answer(x, c1, c2, c3, c4), {},
                              _INCEPTION_LAYOUT)


# ------------------------------------------------------ batch_norm_forward ---

def _keras_bn(x, gamma, beta, mean, var, training, momentum, eps):
    keras = import_keras()
    layer = keras.layers.BatchNormalization(momentum=momentum, epsilon=eps, dtype="float64")
    layer.build(x.shape)
    layer.set_weights([gamma, beta, mean, var])
    y = np.asarray(layer(x, training=training))
    return y, np.asarray(layer.moving_mean), np.asarray(layer.moving_variance)


def _batch_norm_forward_cases():
    """(case, x, gamma, beta, moving_mean, moving_var, training, keyword arguments) for
    03.6: the inputs x are drawn first, then each case's parameters."""
    rng = np.random.default_rng(40)
    inputs = [
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
    cases = []
    for case, x, training, kwargs in inputs:
        c = x.shape[-1]
        gamma, beta = 1.0 + 0.3 * rng.normal(size=c), 0.5 * rng.normal(size=c)
        mean, var = 0.3 * rng.normal(size=c), rng.uniform(0.5, 2.0, size=c)
        cases.append((case, x, gamma, beta, mean, var, training, kwargs))
    return cases


def _batch_norm_forward_answer(x, gamma, beta, moving_mean, moving_var, training, momentum,
                               eps, *, output="y", stats=None, ddof=0, eps_outside=False,
                               swap_gamma_beta=False, batch_axis_only=False, moving=None,
                               update_at_inference=False):
    """One output of batch normalisation: "y", "new_moving_mean" or "new_moving_var".

    y = gamma * (x - mean) / sqrt(var + eps) + beta, with the batch's mean and
    biased variance over every axis but the last in training mode, and the moving
    statistics in inference mode. In training mode each moving statistic becomes
    `moving * momentum + batch_statistic * (1 - momentum)`; in inference mode it stays.

    Switches (each one mistake):
        stats: "batch" or "moving": the statistics y uses, whatever the mode.
        ddof: 1 takes the unbiased batch variance for y.
        eps_outside: True divides by sqrt(var) + eps.
        swap_gamma_beta: True makes beta scale and gamma shift.
        batch_axis_only: True normalises with statistics over the batch axis only.
        moving: how training mode updates the moving statistics: "reversed" (`momentum`
            weighs the batch statistics), "unbiased" (with the unbiased batch variance),
            "replaced" (by the batch statistics) or "unchanged".
        update_at_inference: True updates the moving statistics in inference mode too.
    """
    axes = tuple(range(x.ndim - 1))
    batch_mean, batch_var = x.mean(axis=axes), x.var(axis=axes)
    if stats == "batch" or (stats is None and training):
        mean, var = batch_mean, x.var(axis=axes, ddof=ddof)
    else:
        mean, var = moving_mean, moving_var
    if batch_axis_only:
        mean, var = x.mean(axis=0), x.var(axis=0)
    scale = np.sqrt(var) + eps if eps_outside else np.sqrt(var + eps)
    if swap_gamma_beta:
        gamma, beta = beta, gamma
    y = (x - mean) / scale * gamma + beta
    if (training and moving != "unchanged") or (not training and update_at_inference):
        keep = 1 - momentum if moving == "reversed" else momentum
        update_var = x.var(axis=axes, ddof=1) if moving == "unbiased" else batch_var
        new_mean = moving_mean * keep + batch_mean * (1 - keep)
        new_var = moving_var * keep + update_var * (1 - keep)
        if moving == "replaced":
            new_mean, new_var = batch_mean, batch_var
    else:
        new_mean, new_var = moving_mean, moving_var
    return {"y": y, "new_moving_mean": new_mean, "new_moving_var": new_var}[output]


_BATCH_NORM_FORWARD_MISTAKES = {
    "inference mode used the batch statistics: with training=False normalise with "
    "moving_mean and moving_var (the batch may be a single image)": {"stats": "batch"},
    "training mode used the moving statistics: with training=True normalise with the "
    "batch's own mean and variance": {"stats": "moving"},
    "unbiased variance (ddof=1) for the batch: Keras divides by the number of values, "
    "np.var's default": {"ddof": 1},
    "eps added outside the square root: divide by sqrt(var + eps)": {"eps_outside": True},
    "gamma and beta swapped: gamma scales, beta shifts": {"swap_gamma_beta": True},
    "normalised over the batch axis only: the statistics are per channel, over every axis "
    "but the last": {"batch_axis_only": True},
    "momentum reversed: Keras keeps `momentum` of the old value, "
    "moving * momentum + batch * (1 - momentum)": {"moving": "reversed"},
    "unbiased variance (ddof=1) in the moving average: Keras uses the biased batch variance":
        {"moving": "unbiased"},
    "the moving statistics replaced by the batch statistics instead of averaged":
        {"moving": "replaced"},
    "moving statistics left unchanged in training mode": {"moving": "unchanged"},
    "moving statistics updated in inference mode: with training=False they stay as they "
    "are": {"update_at_inference": True},
}


@exercise("03.6")
def batch_norm_forward(ex):
    """Checks `batch_norm_forward(...)` against `keras.layers.BatchNormalization`.

    Both modes, (batch, features) and NHWC inputs, the default and another
    momentum and eps; the result is `(y, new_moving_mean, new_moving_var)`, three
    new arrays: the inputs are not changed in place, and no result is an input
    (the moving statistics copied in inference mode) or a view of one.
    """
    for case, x, gamma, beta, mean, var, training, kwargs in _batch_norm_forward_cases():
        momentum, eps = kwargs.get("momentum", 0.99), kwargs.get("eps", 1e-3)
        out = ex.call(case, x, gamma, beta, mean, var, training, returns_new=True, **kwargs)
        ex.require(case, isinstance(out, tuple) and len(out) == 3,
                   f"expected a tuple (y, new_moving_mean, new_moving_var), received "
                   f"{describe(out)}.", "return y, new_moving_mean, new_moving_var")
        inputs = (x, gamma, beta, mean, var, training, momentum, eps)
        ref_y, ref_mean, ref_var = _keras_bn(*inputs)
        ex.compare(case, out[0], ref_y, rtol=1e-5, atol=1e-6, part="y",
                   mistakes=mistakes_from(_batch_norm_forward_answer,
                                          _BATCH_NORM_FORWARD_MISTAKES, *inputs, output="y"),
                   hint="y = gamma * (x - mean) / sqrt(var + eps) + beta, with the batch's "
                        "mean and (biased) variance over all axes but the last in training "
                        "mode, and the moving statistics in inference mode.")
        for name, received, expected in [("new_moving_mean", out[1], ref_mean),
                                         ("new_moving_var", out[2], ref_var)]:
            ex.compare(case, received, expected, rtol=1e-5, atol=1e-7, part=name,
                       mistakes=mistakes_from(_batch_norm_forward_answer,
                                              _BATCH_NORM_FORWARD_MISTAKES, *inputs,
                                              output=name),
                       hint="training mode: moving = moving * momentum + batch_statistic * "
                            "(1 - momentum); inference mode: unchanged.")


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


def _residual_block_answer(x, filters, stride, *, variant=None):
    """A residual block's output with known weights: relu(F(x) + shortcut(x)).

    F is Conv2D 3x3 with the stride -> BN -> ReLU -> Conv2D 3x3 -> BN; the
    shortcut is x, or a 1x1 convolution with the stride and BN when the shape
    changes.

    Switches (each one mistake):
        variant: "relu before add" (relu(F(x)) + shortcut), "no relu" (after the
            addition), "no shortcut", "no shortcut BN" (the projection without BN),
            "relu before BN" (inside F) or "stride on the second" (convolution).
    """
    stride_first = variant != "stride on the second"
    y = _bn_relu(conv_with_known_weights(x, filters, 3, stride if stride_first else 1), variant)
    y = bn_with_known_weights(conv_with_known_weights(y, filters, 3, 1 if stride_first else stride))
    return _add_shortcut(x, y, filters, stride, variant)


#: The mistakes of residual and bottleneck blocks alike.
_SHORTCUT_BLOCK_MISTAKES = {
    "shortcut added after the ReLU: add the shortcut to the second BN's output, then apply "
    "the ReLU, relu(F(x) + shortcut)": {"variant": "relu before add"},
    "no ReLU after the addition": {"variant": "no relu"},
    "no shortcut: the block must add its input (or its projection) to F(x)":
        {"variant": "no shortcut"},
    "the projection shortcut has no BatchNormalization: the 1x1 convolution is followed by "
    "BN": {"variant": "no shortcut BN"},
    "ReLU before BN inside F: each convolution is followed by BN, then the ReLU":
        {"variant": "relu before BN"},
}

_RESIDUAL_BLOCK_MISTAKES = {
    **_SHORTCUT_BLOCK_MISTAKES,
    "the stride is on the second convolution: the first 3x3 convolution takes the stride":
        {"variant": "stride on the second"},
}


def _check_block(ex, case, fn_args, shape, main, answer, mistakes, hint, seed):
    """The shared checks of a residual or bottleneck block built by the student.

    Args:
        fn_args: `(filters, stride)`, the student's arguments after x.
        shape: the input shape, without the batch axis.
        main: `(kernel, filters)` of each Conv2D on the main path, in order; the
            last one's filters are the output's channels.
        answer, mistakes: the block's switch oracle, `answer(x, *fn_args)`, and its
            table of mistakes.
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
    ex.require(case, projection or len(convs) != len(main) + 1,
               f"the block has {len(convs)} Conv2D layers ({describe_convs(convs)}); here "
               f"input and output have the same shape, so the shortcut is the identity and "
               f"no 1x1 projection is needed.",
               "use the projection only when stride != 1 or the number of channels changes.")
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
    compare_with_known_weights(ex, case, model, x, answer(x, *fn_args),
                          mistakes_from(answer, mistakes, x, *fn_args), hint)


def _residual_block_cases():
    """(case, input shape, filters, stride) for 03.7."""
    return [
        ("identity shortcut: 8 filters, stride 1 on (6, 6, 8)", (6, 6, 8), 8, 1),
        ("projection for stride 2: 8 filters on (6, 6, 8)", (6, 6, 8), 8, 2),
        ("projection for new channels: 6 filters, stride 1 on (5, 5, 3)", (5, 5, 3), 6, 1),
        ("projection for both: 16 filters, stride 2 on (7, 7, 8)", (7, 7, 8), 16, 2),
    ]


@exercise("03.7")
def residual_block(ex):
    """Checks `residual_block(x, filters, stride)`: relu(F(x) + shortcut(x)).

    Structure (output shape, the Conv2D layers' kernels and filters, one BN
    per Conv2D) and values with known weights against a reference built with
    `tf.nn` (naming the shortcut added after the ReLU, a missing ReLU or
    shortcut or shortcut BN, the stride on the second convolution and ReLU
    before BN), for identity and projection shortcuts.
    """
    for number, (case, shape, filters, stride) in enumerate(_residual_block_cases()):
        _check_block(
            ex, case, (filters, stride), shape, [(3, filters), (3, filters)],
            _residual_block_answer, _RESIDUAL_BLOCK_MISTAKES,
            "main path: Conv2D(filters, 3, strides=stride, padding=\"same\") -> BN -> ReLU "
            "-> Conv2D(filters, 3, padding=\"same\") -> BN; shortcut: x, or Conv2D(filters, "
            "1, strides=stride) -> BN when the shape changes; then Add and ReLU.",
            50 + number)


# -------------------------------------------------------- bottleneck_block ---

def _bottleneck_block_answer(x, filters, stride, *, variant=None):
    """A bottleneck block's output with known weights: relu(F(x) + shortcut(x)).

    F is Conv2D 1x1 -> BN -> ReLU -> Conv2D 3x3 with the stride -> BN -> ReLU ->
    Conv2D 1x1 (4 * filters) -> BN; the shortcut is x, or a 1x1 convolution with
    the stride and BN when the shape changes.

    Switches (each one mistake):
        variant: as for `_residual_block_answer` (but "stride on the second"), or
            "stride on the first 1x1" (as in the 2015 paper).
    """
    first = stride if variant == "stride on the first 1x1" else 1
    y = _bn_relu(conv_with_known_weights(x, filters, 1, first), variant)
    y = _bn_relu(conv_with_known_weights(y, filters, 3, 1 if first != 1 else stride), variant)
    y = bn_with_known_weights(conv_with_known_weights(y, 4 * filters, 1))
    return _add_shortcut(x, y, 4 * filters, stride, variant)


_BOTTLENECK_BLOCK_MISTAKES = {
    **_SHORTCUT_BLOCK_MISTAKES,
    "the stride is on the first 1x1 convolution (as in the 2015 paper, ResNet v1); here, as "
    "in most current code (ResNet v1.5), the 3x3 convolution takes the stride so that no "
    "pixel is skipped":
        {"variant": "stride on the first 1x1"},
}


def _bottleneck_block_cases():
    """(case, input shape, filters, stride) for 03.8."""
    return [
        ("identity shortcut: 4 filters (16 out), stride 1 on (6, 6, 16)", (6, 6, 16), 4, 1),
        ("projection for new channels: 2 filters (8 out), stride 1 on (5, 5, 4)",
         (5, 5, 4), 2, 1),
        ("projection for stride 2: 4 filters (16 out) on (6, 6, 16)", (6, 6, 16), 4, 2),
    ]


@exercise("03.8")
def bottleneck_block(ex):
    """Checks `bottleneck_block(x, filters, stride)`: 1x1 -> 3x3 -> 1x1 (4 * filters).

    The same checks as `residual_block`, with the stride on the 3x3 convolution
    (ResNet v1.5, the convention the docstring names), naming it on the first 1x1
    (as in the 2015 paper, ResNet v1).
    """
    for number, (case, shape, filters, stride) in enumerate(_bottleneck_block_cases()):
        _check_block(
            ex, case, (filters, stride), shape, [(1, filters), (3, filters), (1, 4 * filters)],
            _bottleneck_block_answer, _BOTTLENECK_BLOCK_MISTAKES,
            "main path: Conv2D(filters, 1) -> BN -> ReLU -> Conv2D(filters, 3, "
            "strides=stride, padding=\"same\") -> BN -> ReLU -> Conv2D(4 * filters, 1) -> BN; "
            "shortcut: x, or Conv2D(4 * filters, 1, strides=stride) -> BN when the shape "
            "changes; then Add and ReLU.", 60 + number)


# -------------------------------------------------------------- group_norm ---

def _keras_group_norm(x, groups, gamma, beta, eps):
    """The oracle: keras.layers.GroupNormalization in float64, its gamma and beta set."""
    keras = import_keras()
    layer = keras.layers.GroupNormalization(groups=groups, epsilon=eps, dtype="float64")
    layer.build(x.shape)
    layer.set_weights([np.asarray(gamma, np.float64), np.asarray(beta, np.float64)])
    return np.asarray(layer(np.asarray(x, np.float64)))


def _group_norm_cases():
    """(case, mode, x, groups, gamma, beta, keyword arguments) for 03.9: float32 NHWC
    batches, then the last case again on tensors, traced with the batch unknown (as a
    model built on keras.Input calls it)."""
    rng = np.random.default_rng(90)
    inputs = [
        ("(2, 4, 4, 6), 3 groups of 2 channels", (2, 4, 4, 6), 3, {}),
        ("groups = 1: layer norm over height, width and channels, (2, 3, 3, 4)",
         (2, 3, 3, 4), 1, {}),
        ("groups = channels = 4: instance norm, (3, 3, 3, 4)", (3, 3, 3, 4), 4, {}),
        ("one image (1, 5, 3, 8), 2 groups, eps 0.1 (large)", (1, 5, 3, 8), 2, {"eps": 0.1}),
        ("(3, 2, 4, 6), 2 groups of 3 channels", (3, 2, 4, 6), 2, {}),
    ]
    cases = []
    for case, shape, groups, kwargs in inputs:
        c = shape[-1]
        # every channel its own offset and scale, so that the grouping matters
        x = rng.normal(size=c) + rng.uniform(0.3, 3.0, size=c) * rng.normal(size=shape)
        gamma, beta = 1.0 + 0.3 * rng.normal(size=c), 0.5 * rng.normal(size=c)
        x, gamma, beta = (a.astype(np.float32) for a in (x, gamma, beta))
        cases.append((case, "numpy", x, groups, gamma, beta, kwargs))
    return tensor_modes.with_tensor_modes(cases, unknown_batch=True)


def _group_norm_answer(x, groups, gamma, beta, eps, *, over="group", ddof=0,
                       eps_outside=False, layout="contiguous", affine="channel"):
    """Group normalisation of NHWC `x` in float64, or a known mistake.

    Switches (each one mistake):
        over: the statistics: "group" (right: per image and group, over height, width
            and the group's channels), "all channels" (per image over height, width
            and every channel), "batch" (per channel over the batch, height and width,
            as BatchNorm) or "batch and group" (per group over the batch too).
        ddof: 1 takes the unbiased variance.
        eps_outside: True divides by sqrt(var) + eps.
        layout: "strided" puts channel k in group k % groups instead of k // (C / groups).
        affine: "group" scales and shifts each group by gamma[g] and beta[g];
            "swapped" makes beta scale and gamma shift.
    """
    x = np.asarray(x, np.float64)
    n, h, w, c = x.shape
    if layout == "strided":
        grouped = x.reshape(n, h, w, c // groups, groups)
        axes = (1, 2, 3)
    else:
        grouped = x.reshape(n, h, w, groups, c // groups)
        axes = (1, 2, 4)
    axes = {"group": axes, "all channels": (1, 2, 3, 4), "batch": (0, 1, 2),
            "batch and group": (0,) + axes}[over]
    mean = grouped.mean(axis=axes, keepdims=True)
    var = grouped.var(axis=axes, keepdims=True, ddof=ddof)
    scale = np.sqrt(var) + eps if eps_outside else np.sqrt(var + eps)
    y = ((grouped - mean) / scale).reshape(n, h, w, c)
    gamma, beta = np.asarray(gamma, np.float64), np.asarray(beta, np.float64)
    if affine == "group":
        gamma, beta = (np.repeat(a[:groups], c // groups) for a in (gamma, beta))
    if affine == "swapped":
        gamma, beta = beta, gamma
    return y * gamma + beta


_GROUP_NORM_MISTAKES = {
    "statistics over all the channels of the image (layer norm): each group of channels "
    "has its own mean and variance": {"over": "all channels"},
    "normalised over the batch axis, like BatchNorm: group norm uses each image's own "
    "statistics, never other images'": {"over": "batch"},
    "the statistics include the batch axis: each image is normalised on its own, over "
    "height, width and its group's channels": {"over": "batch and group"},
    "unbiased variance (ddof=1): Keras divides by the number of values": {"ddof": 1},
    "eps added outside the square root: divide by sqrt(var + eps)": {"eps_outside": True},
    "groups taken as strided channels (channel k in group k % groups): a group is a "
    "contiguous block of channels, reshape to (..., groups, channels // groups)":
        {"layout": "strided"},
    "gamma and beta applied per group (gamma[g] for group g): they have one value per "
    "channel, applied after reshaping back to (batch, height, width, channels)":
        {"affine": "group"},
    "gamma and beta swapped: gamma scales, beta shifts": {"affine": "swapped"},
}


@exercise("03.9")
def group_norm(ex):
    """Checks `group_norm(x, groups, gamma, beta, eps)` against
    `keras.layers.GroupNormalization`.

    Float32 NHWC batches with 3 groups, groups = 1 (layer norm), groups = channels
    (instance norm), one image with a large eps, then the last case on float32
    tensors, eagerly and inside tf.function with the batch size unknown.
    """
    hint = ("reshape x to (batch, height, width, groups, channels // groups), take the mean "
            "and the (biased) variance over axes 1, 2 and 4, normalise with "
            "sqrt(var + eps), reshape back, then y = gamma * x_hat + beta per channel.")
    for case, mode, x, groups, gamma, beta, kwargs in _group_norm_cases():
        eps = kwargs.get("eps", 1e-3)
        out = tensor_modes.call(ex, case, mode, x, groups, gamma, beta, **kwargs)
        rtol, atol = tensor_modes.tolerances(np.float32)
        ex.compare(case, tensor_modes.as_numpy(out), _keras_group_norm(x, groups, gamma, beta,
                                                                      eps),
                   kind="tensor", rtol=rtol, atol=atol,
                   mistakes=mistakes_from(_group_norm_answer, _GROUP_NORM_MISTAKES, x, groups,
                                          gamma, beta, eps),
                   hint=hint, shape_hint="y has the shape of x: reshape back to (batch, "
                                         "height, width, channels) after normalising.")
