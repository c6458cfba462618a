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

from helpers.checks import core
from helpers.checks.core import CheckError, Exercise, NotAttemptedError, describe

__all__ = [
    "lenet5", "vgg_block", "vgg16_param_count", "nin_block", "inception_block",
    "batch_norm_forward", "residual_block", "bottleneck_block",
]


# ---------------------------------------------------------------- helpers ---

_tf = core.import_tensorflow
_keras = core.import_keras


def _is_int(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _leaf_layers(model):
    """Every layer of a model, nested models opened up, input layers left out."""
    keras = _keras()
    leaves = []
    for layer in getattr(model, "layers", []):
        if isinstance(layer, keras.layers.InputLayer):
            continue
        if hasattr(layer, "layers"):
            leaves += _leaf_layers(layer)
        else:
            leaves.append(layer)
    return leaves


def _activation_name(layer):
    activation = layer.get_config().get("activation")
    return activation if isinstance(activation, str) else getattr(activation, "__name__", "")


def _convs(leaves):
    keras = _keras()
    return [layer for layer in leaves if type(layer) is keras.layers.Conv2D]


def _describe_convs(convs):
    return ", ".join(f"{c.get_config()['kernel_size'][0]}x{c.get_config()['kernel_size'][1]} "
                     f"{c.get_config()['filters']}" for c in convs) or "none"


def _call_builder(ex, case, inputs, *args, error_hint=None):
    """Calls a functional builder on a Keras input; returns keras.Model(inputs, output).

    `error_hint` is added to the message when the student's function raises.
    """
    __tracebackhide__ = True
    keras = _keras()
    try:
        out = ex.call(case, inputs, *args, copy_inputs=False)  # keep the tensor tied to its Input
    except NotAttemptedError:
        raise
    except CheckError as error:
        if error_hint is None:
            raise
        raise CheckError(f"{error}\nHint: {error_hint}") from None
    if out is None:
        ex.fail(case, "your function returned None.",
                "end it with `return` and the output tensor of the block.")
    if not isinstance(out, keras.KerasTensor):
        ex.fail(case, f"expected a Keras tensor (the block's output), received "
                      f"{describe(out)}.",
                "apply layers to x, e.g. `y = keras.layers.Conv2D(...)(x)`, and return y; "
                "do not return a layer or a model.")
    try:
        return keras.Model(inputs, out)
    except Exception as error:  # the output does not come from the input
        ex.fail(case, f"the output is not connected to the input x ({type(error).__name__}: "
                      f"{error}).", "start every path of the block from the argument x.")


def _rule_values(shape, salt):
    """Fixed values that depend only on a weight's shape (and what it is)."""
    seed = [int(s) for s in shape] + [salt]
    return np.random.default_rng(seed).normal(size=shape)


def _kernel(shape):
    fan_in = int(np.prod(shape[:-1]))
    return (_rule_values(shape, 1) * np.sqrt(2.0 / fan_in)).astype(np.float32)


def _bn_params(channels):
    rng = np.random.default_rng([channels, 2])
    gamma = 1.0 + 0.2 * rng.normal(size=channels)
    beta = 0.2 * rng.normal(size=channels)
    mean = 0.2 * rng.normal(size=channels)
    var = rng.uniform(0.5, 1.5, size=channels)
    return [v.astype(np.float32) for v in (gamma, beta, mean, var)]


def _set_known_weights(model):
    """Gives every Conv2D a kernel by rule and zero bias, every BN its rule values."""
    keras = _keras()
    for layer in _leaf_layers(model):
        if isinstance(layer, keras.layers.Conv2D):
            layer.kernel.assign(_kernel(tuple(layer.kernel.shape)))
            if layer.bias is not None:
                layer.bias.assign(np.zeros(layer.bias.shape, np.float32))
        elif isinstance(layer, keras.layers.BatchNormalization):
            gamma, beta, mean, var = _bn_params(int(layer.moving_mean.shape[0]))
            if layer.gamma is not None:
                layer.gamma.assign(gamma)
            if layer.beta is not None:
                layer.beta.assign(beta)
            layer.moving_mean.assign(mean)
            layer.moving_variance.assign(var)


def _conv(x, c_out, k, stride=1):
    """Reference convolution ('same' padding) with the rule kernel for its shape."""
    tf = _tf()
    w = _kernel((k, k, int(x.shape[-1]), c_out))
    return tf.nn.conv2d(x, w, strides=stride, padding="SAME")


def _bn(x, eps=1e-3):
    gamma, beta, mean, var = _bn_params(int(x.shape[-1]))
    return (x - mean) / np.sqrt(var + eps) * gamma + beta


def _relu(x):
    return _tf().nn.relu(x)


def _maxpool(x, size, stride, padding="VALID"):
    return _tf().nn.max_pool2d(x, size, stride, padding)


def _inputs(seed, shape):
    return np.random.default_rng(seed).normal(size=(2, *shape)).astype(np.float32)


def _check_shape(ex, case, model, expected, mistakes, hint):
    """Compares the model's output shape (None, ...) with the expected one."""
    __tracebackhide__ = True
    received = tuple(model.output_shape)
    expected = (None, *expected)
    if received == expected:
        return
    for description, wrong in mistakes.items():
        if received == (None, *wrong):
            ex.fail(case, f"the output has shape {received}, expected {expected}: this "
                          f"looks like a common mistake: {description}.", hint)
    ex.fail(case, f"the output has shape {received}, expected {expected}.", hint)


def _check_values(ex, case, model, x, expected, mistakes, hint):
    """Runs the model (training=False) on x with known weights and compares."""
    __tracebackhide__ = True
    _set_known_weights(model)
    received = np.asarray(model(x, training=False))
    ex.compare(case, received, np.asarray(expected), kind="tensor", rtol=2e-3, atol=2e-4,
               mistakes={k: np.asarray(v) for k, v in mistakes.items()}, hint=hint,
               part="output with known weights")


# ------------------------------------------------------------------ lenet5 ---

def _lenet_params(input_shape, num_classes, first_same=True, dense=(120, 84)):
    h, w, c = input_shape
    if first_same:
        h1, w1 = h // 2, w // 2
    else:
        h1, w1 = (h - 4) // 2, (w - 4) // 2
    h2, w2 = (h1 - 4) // 2, (w1 - 4) // 2
    count = 5 * 5 * c * 6 + 6 + 5 * 5 * 6 * 16 + 16
    units = [h2 * w2 * 16, *dense, num_classes]
    for a, b in zip(units[:-1], units[1:]):
        count += a * b + b
    return count


def lenet5(fn):
    """Checks `lenet5(input_shape, num_classes)`: LeNet-5's layers and parameter count.

    Conv 6 5x5 'same' -> pool 2 -> conv 16 5x5 'valid' -> pool 2 -> flatten ->
    dense 120 -> dense 84 -> dense num_classes softmax; the parameter count is
    worked out from the formula for each input shape.
    """
    __tracebackhide__ = True
    keras = _keras()
    layers = keras.layers
    ex = Exercise("03.1", "lenet5", fn)
    cases = [
        ("Fashion-MNIST: (28, 28, 1) images, 10 classes", (28, 28, 1), 10),
        ("colour images: (32, 32, 3), 5 classes", (32, 32, 3), 5),
    ]
    for case, input_shape, num_classes in cases:
        model = ex.call(case, input_shape, num_classes)
        ex.require(case, isinstance(model, keras.Model),
                   f"expected a Keras model, received {describe(model)}.",
                   "build it with keras.Sequential([keras.Input(shape=input_shape), ...]).")
        try:
            total = int(model.count_params())
        except ValueError as error:
            ex.fail(case, f"the model is not built, so it has no weights yet ({error}).",
                    "start the Sequential list with keras.Input(shape=input_shape).")
        leaves = _leaf_layers(model)
        names = [type(layer).__name__ for layer in leaves]
        convs = _convs(leaves)
        shapes = [(c.get_config()["kernel_size"][0], c.get_config()["filters"]) for c in convs]
        ex.require(case, shapes == [(5, 6), (5, 16)],
                   f"expected two Conv2D layers, 6 filters of 5x5 then 16 filters of 5x5; "
                   f"the model has {_describe_convs(convs)}.",
                   "LeNet-5 has exactly two convolution layers: Conv2D(6, 5) and "
                   "Conv2D(16, 5).")
        pools = [layer for layer in leaves
                 if isinstance(layer, (layers.AveragePooling2D, layers.MaxPooling2D))]
        ex.require(case, len(pools) == 2,
                   f"expected a 2x2 pooling layer after each convolution; the layers are "
                   f"{names}.", "add keras.layers.AveragePooling2D(2) after each Conv2D.")
        dense = [layer.get_config()["units"] for layer in leaves
                 if isinstance(layer, layers.Dense)]
        ex.require(case, dense == [120, 84, num_classes],
                   f"expected Dense layers of 120, 84 and {num_classes} units, the model "
                   f"has {dense}.", "LeNet-5's head is Dense(120) -> Dense(84) -> "
                                    "Dense(num_classes).")
        ex.require(case, tuple(model.output_shape) == (None, num_classes)
                   and _activation_name(leaves[-1]) == "softmax",
                   f"the output has shape {tuple(model.output_shape)} with activation "
                   f"{_activation_name(leaves[-1]) or 'none'}; expected class probabilities "
                   f"of shape (None, {num_classes}).",
                   'end with keras.layers.Dense(num_classes, activation="softmax").')
        hidden = [layer for layer in leaves if isinstance(layer, (layers.Conv2D, layers.Dense))]
        ex.require(case, all(_activation_name(layer) not in ("linear", "", None)
                             for layer in hidden[:-1])
                   or any(isinstance(layer, (layers.ReLU, layers.Activation)) for layer in leaves),
                   "the convolutions and hidden Dense layers have no activation: without a "
                   "nonlinearity the network collapses to one linear map.",
                   'give them activation="relu" (or "sigmoid", as in 1998).')
        ex.compare(
            case, total, _lenet_params(input_shape, num_classes), kind="scalar",
            mistakes={
                "the first convolution uses 'valid' padding: LeNet-5 was made for 32x32 "
                "inputs; here the first Conv2D takes padding=\"same\" so that a 28x28 image "
                "gives 5x5 maps before Flatten":
                    _lenet_params(input_shape, num_classes, first_same=False),
            },
            hint="count (5*5*c_in + 1)*filters per Conv2D and (inputs + 1)*units per Dense; "
                 "the first Conv2D has padding=\"same\", the second 'valid', and each 2x2 "
                 "pooling halves height and width.", part="parameter count")
    ex.passed()


# --------------------------------------------------------------- vgg_block ---

def _vgg_ref(x, num_convs, filters, pool_first=False, pool=True, relu=True):
    y = _maxpool(x, 2, 2) if pool_first else x
    for _ in range(num_convs):
        y = _conv(y, filters, 3)
        y = _relu(y) if relu else y
    return _maxpool(y, 2, 2) if pool and not pool_first else y


def vgg_block(fn):
    """Checks `vgg_block(x, num_convs, filters)` structurally and with known weights."""
    __tracebackhide__ = True
    keras = _keras()
    ex = Exercise("03.2", "vgg_block", fn)
    cases = [
        ("two convolutions of 8 filters on (8, 8, 3)", (8, 8, 3), 2, 8),
        ("one convolution of 4 filters on (6, 10, 2)", (6, 10, 2), 1, 4),
        ("three convolutions of 6 filters on (7, 7, 4) (odd size: pooling drops the "
         "last row and column)", (7, 7, 4), 3, 6),
    ]
    for number, (case, shape, num_convs, filters) in enumerate(cases):
        model = _call_builder(ex, case, keras.Input(shape=shape), num_convs, filters)
        h, w, _ = shape
        _check_shape(
            ex, case, model, (h // 2, w // 2, filters),
            {"no pooling at the end: a VGG block ends with MaxPooling2D(2, strides=2), "
             "which halves height and width": (h, w, filters),
             "'valid' padding: the 3x3 convolutions use padding=\"same\" so that only "
             "the pooling changes the size": ((h - 2 * num_convs) // 2,
                                              (w - 2 * num_convs) // 2, filters)},
            "num_convs Conv2D(filters, 3, padding=\"same\", activation=\"relu\") layers, "
            "then MaxPooling2D(2, strides=2).")
        convs = _convs(_leaf_layers(model))
        ex.require(case, len(convs) == num_convs and all(
            c.get_config()["kernel_size"] == (3, 3) and c.get_config()["strides"] == (1, 1)
            and c.get_config()["filters"] == filters for c in convs),
            f"expected {num_convs} Conv2D layer(s) with {filters} filters of 3x3 and stride "
            f"1; the block has {_describe_convs(convs)}.",
            "use the arguments: a loop of num_convs Conv2D(filters, 3, padding=\"same\").")
        params = sum(9 * c_in * filters + filters
                     for c_in in [shape[-1]] + [filters] * (num_convs - 1))
        ex.compare(case, int(model.count_params()), params, kind="scalar",
                   part="parameter count",
                   hint="each 3x3 convolution has (9 * c_in + 1) * filters parameters; "
                        "pooling has none.")
        x = _inputs(10 + number, shape)
        _check_values(
            ex, case, model, x, _vgg_ref(x, num_convs, filters),
            {"pooled before the convolutions: the pooling comes last":
                _vgg_ref(x, num_convs, filters, pool_first=True),
             "no ReLU after the convolutions": _vgg_ref(x, num_convs, filters, relu=False)},
            "each convolution is followed by a ReLU, and one 2x2 max pooling with stride "
            "2 ends the block.")
    ex.passed()


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


def vgg16_param_count(fn):
    """Checks `vgg16_param_count()` against the layer formula (138,357,544)."""
    __tracebackhide__ = True
    ex = Exercise("03.3", "vgg16_param_count", fn)
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
    ex.require(case, _is_int(out),
               f"the value is right, but it is a {type(out).__name__}; a parameter count "
               "is a whole number.", "return an int (no / in the formula).")
    ex.passed()


# --------------------------------------------------------------- nin_block ---

def _nin_ref(x, filters, kernel, strides, last_relu=True):
    y = _relu(_conv(x, filters, kernel, strides))
    y = _relu(_conv(y, filters, 1))
    y = _conv(y, filters, 1)
    return _relu(y) if last_relu else y


def nin_block(fn):
    """Checks `nin_block(x, filters, kernel, strides)` structurally and with known weights."""
    __tracebackhide__ = True
    keras = _keras()
    ex = Exercise("03.4", "nin_block", fn)
    cases = [
        ("3x3 stride 1, 8 filters on (6, 6, 3)", (6, 6, 3), 8, 3, 1),
        ("5x5 stride 2, 4 filters on (9, 8, 2)", (9, 8, 2), 4, 5, 2),
        ("11x11 stride 4, 6 filters on (20, 20, 1) (AlexNet's first layer)",
         (20, 20, 1), 6, 11, 4),
    ]
    for number, (case, shape, filters, kernel, strides) in enumerate(cases):
        model = _call_builder(ex, case, keras.Input(shape=shape), filters, kernel, strides)
        h, w, c = shape
        out_h, out_w = -(-h // strides), -(-w // strides)
        _check_shape(
            ex, case, model, (out_h, out_w, filters),
            {"'valid' padding in the first convolution: this exercise uses "
             "padding=\"same\"": ((h - kernel) // strides + 1, (w - kernel) // strides + 1,
                                 filters),
             "the stride ignored: the first convolution takes strides=strides":
                 (h, w, filters),
             "the 1x1 convolutions strided too: only the first convolution has the stride":
                 (-(-out_h // strides ** 2), -(-out_w // strides ** 2), filters)},
            "Conv2D(filters, kernel, strides=strides, padding=\"same\") then two "
            "Conv2D(filters, 1), each with a ReLU.")
        convs = _convs(_leaf_layers(model))
        wanted = [(kernel, filters), (1, filters), (1, filters)]
        got = [(cv.get_config()["kernel_size"][0], cv.get_config()["filters"]) for cv in convs]
        ex.require(case, got == wanted,
                   f"expected three Conv2D layers: {kernel}x{kernel} {filters}, 1x1 "
                   f"{filters}, 1x1 {filters}; the block has {_describe_convs(convs)}.",
                   "a NiN block is one ordinary convolution followed by two 1x1 "
                   "convolutions with the same number of filters.")
        params = kernel * kernel * c * filters + filters + 2 * (filters * filters + filters)
        ex.compare(case, int(model.count_params()), params, kind="scalar",
                   part="parameter count", hint="(k*k*c_in + 1)*filters for the first "
                   "convolution, (filters + 1)*filters for each 1x1.")
        x = _inputs(20 + number, shape)
        _check_values(
            ex, case, model, x, _nin_ref(x, filters, kernel, strides),
            {"no ReLU after the last 1x1 convolution": _nin_ref(x, filters, kernel, strides,
                                                                last_relu=False)},
            "every one of the three convolutions is followed by a ReLU.")
    ex.passed()


# --------------------------------------------------------- inception_block ---

def _inception_ref(x, c1, c2, c3, c4, order=(0, 1, 2, 3), relu=True):
    r = _relu if relu else (lambda t: t)
    tf = _tf()
    p1 = r(_conv(x, c1, 1))
    p2 = r(_conv(r(_conv(x, c2[0], 1)), c2[1], 3))
    p3 = r(_conv(r(_conv(x, c3[0], 1)), c3[1], 5))
    p4 = r(_conv(_maxpool(x, 3, 1, "SAME"), c4, 1))
    branches = [p1, p2, p3, p4]
    return tf.concat([branches[i] for i in order], axis=-1)


def inception_block(fn):
    """Checks `inception_block(x, c1, c2, c3, c4)`: four branches concatenated on channels."""
    __tracebackhide__ = True
    keras = _keras()
    ex = Exercise("03.5", "inception_block", fn)
    cases = [
        ("every branch gives 4 channels, on (6, 6, 3)", (6, 6, 3), 4, (2, 4), (2, 4), 4),
        ("GoogLeNet's proportions scaled down, on (7, 5, 6)", (7, 5, 6), 4, (3, 6), (1, 2), 2),
        ("uneven branches on (8, 8, 4)", (8, 8, 4), 2, (4, 5), (2, 3), 1),
    ]
    for number, (case, shape, c1, c2, c3, c4) in enumerate(cases):
        model = _call_builder(ex, case, keras.Input(shape=shape), c1, c2, c3, c4)
        h, w, c = shape
        total = c1 + c2[1] + c3[1] + c4
        _check_shape(
            ex, case, model, (h, w, total),
            {"branches concatenated on the height axis (axis=1): stack them on the "
             "channel axis, axis=-1": (4 * h, w, c1),
             "branches concatenated on the width axis (axis=2): stack them on the channel "
             "axis, axis=-1": (h, 4 * w, c1),
             "the pooling branch has no 1x1 convolution, so it keeps the input's channels":
                 (h, w, c1 + c2[1] + c3[1] + c)},
            "each branch keeps height and width ('same' padding, pooling with strides=1) "
            "and the four are joined with keras.layers.Concatenate(axis=-1).")
        convs = _convs(_leaf_layers(model))
        wanted = sorted([(1, c1), (1, c2[0]), (3, c2[1]), (1, c3[0]), (5, c3[1]), (1, c4)])
        got = sorted((cv.get_config()["kernel_size"][0], cv.get_config()["filters"])
                     for cv in convs)
        ex.require(case, got == wanted,
                   f"expected six Conv2D layers (kernel, filters) {wanted}; the block has "
                   f"{got}.", "branch 1: 1x1 c1; branch 2: 1x1 c2[0] then 3x3 c2[1]; "
                              "branch 3: 1x1 c3[0] then 5x5 c3[1]; branch 4: 3x3 max pooling "
                              "then 1x1 c4.")
        x = _inputs(30 + number, shape)
        order_mistakes = {
            f"the branches concatenated in the order {tuple(i + 1 for i in order)}: join "
            f"them as [1x1, 3x3, 5x5, pooling]": _inception_ref(x, c1, c2, c3, c4, order)
            for order in [(3, 2, 1, 0), (1, 2, 3, 0), (3, 0, 1, 2), (0, 2, 1, 3)]}
        order_mistakes["no ReLU after the convolutions"] = _inception_ref(
            x, c1, c2, c3, c4, relu=False)
        _check_values(
            ex, case, model, x, _inception_ref(x, c1, c2, c3, c4), order_mistakes,
            "every convolution has a ReLU; the pooling branch is MaxPooling2D(3, strides=1, "
            "padding=\"same\") then a 1x1 convolution.")
    ex.passed()


# ------------------------------------------------------ batch_norm_forward ---

def _keras_bn(x, gamma, beta, mean, var, training, momentum, eps):
    keras = _keras()
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


def batch_norm_forward(fn):
    """Checks `batch_norm_forward(...)` against `keras.layers.BatchNormalization`.

    Both modes, (batch, features) and NHWC inputs, the default and another
    momentum and eps; the result is `(y, new_moving_mean, new_moving_var)`.
    """
    __tracebackhide__ = True
    ex = Exercise("03.6", "batch_norm_forward", fn)
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
    ex.passed()


# ---------------------------------------------------------- residual_block ---

def _add_shortcut(x, y, out_channels, stride, variant):
    """relu(y + shortcut(x)), the shortcut projected when shapes differ; or a known mistake."""
    if stride != 1 or int(x.shape[-1]) != out_channels:
        shortcut = _conv(x, out_channels, 1, stride)
        shortcut = shortcut if variant == "no shortcut BN" else _bn(shortcut)
    else:
        shortcut = x
    if variant == "relu before add":
        return _relu(y) + shortcut
    if variant == "no relu":
        return y + shortcut
    if variant == "no shortcut":
        return _relu(y)
    return _relu(y + shortcut)


def _residual_ref(x, filters, stride, variant=None):
    stride_first = variant != "stride on the second"
    y = _relu(_bn(_conv(x, filters, 3, stride if stride_first else 1)))
    y = _bn(_conv(y, filters, 3, 1 if stride_first else stride))
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
    }


def _check_block(ex, case, fn_args, shape, out_shape, n_convs, n_bn, reference, mistakes,
                 projection, hint, seed):
    """The shared checks of a residual or bottleneck block built by the student."""
    __tracebackhide__ = True
    keras = _keras()
    model = _call_builder(
        ex, case, keras.Input(shape=shape), *fn_args,
        error_hint="a common mistake: the projection shortcut is missing. With a stride or a "
                   "change of channels x and F(x) have different shapes; the shortcut is "
                   "then a 1x1 convolution with that stride, followed by BN."
        if projection else None)
    _check_shape(ex, case, model, out_shape, {}, hint)
    leaves = _leaf_layers(model)
    convs = _convs(leaves)
    bns = [layer for layer in leaves if isinstance(layer, keras.layers.BatchNormalization)]
    if len(convs) == n_convs + 1 and not projection:
        ex.fail(case, f"the block has {len(convs)} Conv2D layers ({_describe_convs(convs)}); "
                      f"here input and output have the same shape, so the shortcut is the "
                      f"identity and no 1x1 projection is needed.",
                "use the projection only when stride != 1 or the number of channels "
                "changes.")
    wanted = n_convs + (1 if projection else 0)
    ex.require(case, len(convs) == wanted,
               f"expected {wanted} Conv2D layers, the block has {len(convs)} "
               f"({_describe_convs(convs)}).", hint)
    ex.require(case, len(bns) == n_bn + (1 if projection else 0),
               f"expected a BatchNormalization after each of the {wanted} convolutions, the "
               f"block has {len(bns)}.", "follow every Conv2D with "
               "keras.layers.BatchNormalization().")
    x = _inputs(seed, shape)
    _check_values(ex, case, model, x, reference(x), mistakes(x), hint)


def residual_block(fn):
    """Checks `residual_block(x, filters, stride)`: relu(F(x) + shortcut(x)).

    Structure (number of Conv2D and BN layers, output shape) and values with
    known weights against a reference built with `tf.nn`, for identity and
    projection shortcuts.
    """
    __tracebackhide__ = True
    ex = Exercise("03.7", "residual_block", fn)
    cases = [
        ("identity shortcut: 8 filters, stride 1 on (6, 6, 8)", (6, 6, 8), 8, 1),
        ("projection for stride 2: 8 filters on (6, 6, 8)", (6, 6, 8), 8, 2),
        ("projection for new channels: 6 filters, stride 1 on (5, 5, 3)", (5, 5, 3), 6, 1),
        ("projection for both: 16 filters, stride 2 on (7, 7, 8)", (7, 7, 8), 16, 2),
    ]
    for number, (case, shape, filters, stride) in enumerate(cases):
        h, w, c = shape
        _check_block(
            ex, case, (filters, stride), shape, (-(-h // stride), -(-w // stride), filters),
            2, 2, lambda x, f=filters, s=stride: _residual_ref(x, f, s),
            lambda x, f=filters, s=stride: _residual_mistakes(x, f, s, _residual_ref),
            stride != 1 or c != filters,
            "main path: Conv2D(filters, 3, strides=stride, padding=\"same\") -> BN -> ReLU "
            "-> Conv2D(filters, 3, padding=\"same\") -> BN; shortcut: x, or Conv2D(filters, "
            "1, strides=stride) -> BN when the shape changes; then Add and ReLU.",
            50 + number)
    ex.passed()


# -------------------------------------------------------- bottleneck_block ---

def _bottleneck_ref(x, filters, stride, variant=None):
    first = stride if variant == "stride on the second" else 1  # stride on the first 1x1
    y = _relu(_bn(_conv(x, filters, 1, first)))
    y = _relu(_bn(_conv(y, filters, 3, 1 if first != 1 else stride)))
    y = _bn(_conv(y, 4 * filters, 1))
    return _add_shortcut(x, y, 4 * filters, stride, variant)


def bottleneck_block(fn):
    """Checks `bottleneck_block(x, filters, stride)`: 1x1 -> 3x3 -> 1x1 (4 * filters)."""
    __tracebackhide__ = True
    ex = Exercise("03.8", "bottleneck_block", fn)
    cases = [
        ("identity shortcut: 4 filters (16 out), stride 1 on (6, 6, 16)", (6, 6, 16), 4, 1),
        ("projection for new channels: 2 filters (8 out), stride 1 on (5, 5, 4)",
         (5, 5, 4), 2, 1),
        ("projection for stride 2: 4 filters (16 out) on (6, 6, 16)", (6, 6, 16), 4, 2),
    ]
    for number, (case, shape, filters, stride) in enumerate(cases):
        h, w, c = shape

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
            ex, case, (filters, stride), shape,
            (-(-h // stride), -(-w // stride), 4 * filters), 3, 3,
            lambda x, f=filters, s=stride: _bottleneck_ref(x, f, s), mistakes,
            stride != 1 or c != 4 * filters,
            "main path: Conv2D(filters, 1) -> BN -> ReLU -> Conv2D(filters, 3, "
            "strides=stride, padding=\"same\") -> BN -> ReLU -> Conv2D(4 * filters, 1) -> BN; "
            "shortcut: x, or Conv2D(4 * filters, 1, strides=stride) -> BN when the shape "
            "changes; then Add and ReLU.", 60 + number)
    ex.passed()
