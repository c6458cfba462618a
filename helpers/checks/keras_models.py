"""Tools for checking Keras models and blocks that students build.

Every check module that inspects a Keras model uses these, so that "a layer",
"its activation" or "known weights" mean the same thing in every notebook:

* `leaf_layers`, `activation_name`, `conv_layers`, `describe_convs`: what a
  model is made of.
* `require_built_model`, `require_output_shape`, `count_params_from_config`:
  structural checks.
* `call_builder`: calls a functional builder `block(x, ...)` on a `keras.Input`
  and wraps its output in a `keras.Model`.
* `known_kernel`, `known_bn_params`, `set_known_weights`, `conv_with_known_weights`,
  `bn_with_known_weights`, `compare_with_known_weights`: give every Conv2D and
  BatchNormalization layer weights that depend only on the layer's shape, so the
  student's block can be compared with a reference built with `tf.nn` from the
  same weights.

Example:

>>> ex = Exercise("03.2", "vgg_block", vgg_block)
>>> model = call_builder(ex, "a case", keras.Input(shape=(8, 8, 3)), 2, 8)
>>> [type(layer).__name__ for layer in leaf_layers(model)]
['Conv2D', 'Conv2D', 'MaxPooling2D']
"""

import numpy as np

from helpers.checks.core import (CheckError, NotAttemptedError, describe, import_keras,
                                 import_tensorflow)

# ------------------------------------------------------------- inspecting ---


def leaf_layers(model):
    """Every layer of a model, in order, nested models opened up, input layers left out."""
    keras = import_keras()
    leaves = []
    for layer in getattr(model, "layers", []):
        if isinstance(layer, keras.layers.InputLayer):
            continue
        if hasattr(layer, "layers"):
            leaves += leaf_layers(layer)
        else:
            leaves.append(layer)
    return leaves


def layer_names(layers):
    """The class names of layers, e.g. `['Conv2D', 'MaxPooling2D']`, for messages."""
    return [type(layer).__name__ for layer in layers]


def activation_name(layer):
    """The name of a layer's `activation` ("relu", "linear", ...), or "" if it has none."""
    activation = layer.get_config().get("activation")
    return activation if isinstance(activation, str) else getattr(activation, "__name__", "")


def is_nonlinear(layer):
    """Tells whether a layer applies a nonlinearity (its activation, or a ReLU-like layer)."""
    keras = import_keras()
    if isinstance(layer, (keras.layers.ReLU, keras.layers.LeakyReLU, keras.layers.ELU,
                          keras.layers.Softmax)):
        return True
    return activation_name(layer) not in ("linear", "")


def conv_layers(layers):
    """The plain `keras.layers.Conv2D` layers among `layers` (not subclasses)."""
    keras = import_keras()
    return [layer for layer in layers if type(layer) is keras.layers.Conv2D]


def describe_convs(convs):
    """Conv2D layers as "kernel filters" for messages, e.g. `"3x3 8, 1x1 16"`."""
    return ", ".join(f"{c.get_config()['kernel_size'][0]}x{c.get_config()['kernel_size'][1]} "
                     f"{c.get_config()['filters']}" for c in convs) or "none"


def count_params_from_config(layer):
    """A layer's parameter count worked out from its configuration and input shape.

    Returns None for a layer type this function does not know (the caller
    then trusts the layer's own count).
    """
    keras = import_keras()
    config = layer.get_config()
    if type(layer) is keras.layers.Conv2D:
        kh, kw = config["kernel_size"]
        channel_axis = -1 if config.get("data_format", "channels_last") == "channels_last" else 1
        c_in = layer.input.shape[channel_axis]
        return kh * kw * c_in * config["filters"] + (config["filters"] if config["use_bias"] else 0)
    if type(layer) is keras.layers.Dense:
        return layer.input.shape[-1] * config["units"] + (
            config["units"] if config["use_bias"] else 0)
    if type(layer) is keras.layers.BatchNormalization:
        channels = layer.input.shape[config["axis"] if isinstance(config["axis"], int)
                                     else config["axis"][0]]
        return channels * (2 + int(config["center"]) + int(config["scale"]))
    if not layer.weights:
        return 0
    return None


# ----------------------------------------------------- structural checks ---


def require_built_model(ex, case, model):
    """Fails unless `model` is a Keras model with weights; returns its parameter count."""
    __tracebackhide__ = True
    keras = import_keras()
    ex.require(case, isinstance(model, keras.Model),
               f"expected a Keras model, received {describe(model)}.",
               "build it with keras.Sequential([keras.Input(shape=input_shape), ...]) and "
               "return it.")
    try:
        return int(model.count_params())
    except ValueError as error:
        ex.fail(case, f"the model is not built, so it has no weights yet ({error}).",
                "start the Sequential list with keras.Input(shape=input_shape).")


def require_output_shape(ex, case, model, expected, mistakes, hint):
    """Compares a model's output shape `(None, *expected)`, naming known wrong shapes.

    Args:
        ex: the `Exercise`.
        case: the case name.
        model: the built model.
        expected: the expected shape without the batch axis.
        mistakes: dict mapping a mistake's description to the shape (without
            the batch axis) it would give.
        hint: what to look at when the shape is wrong.
    """
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


def call_builder(ex, case, inputs, *args, error_hint=None):
    """Calls a functional builder on a Keras input; returns `keras.Model(inputs, output)`.

    Args:
        ex: the `Exercise` whose student function is `block(x, *args)`.
        case: the case name.
        inputs: a `keras.Input`.
        *args: the builder's other arguments.
        error_hint: added to the message when the student's function raises.
    """
    __tracebackhide__ = True
    keras = import_keras()
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


# ----------------------------------------------------------- known weights ---


def known_kernel(shape):
    """A convolution kernel that depends only on its shape (He-scaled normal values)."""
    seed = [int(s) for s in shape] + [1]
    fan_in = int(np.prod(shape[:-1]))
    return (np.random.default_rng(seed).normal(size=shape) * np.sqrt(2.0 / fan_in)).astype(
        np.float32)


def known_bn_params(channels):
    """BatchNormalization weights `[gamma, beta, moving_mean, moving_var]` for `channels`."""
    rng = np.random.default_rng([channels, 2])
    gamma = 1.0 + 0.2 * rng.normal(size=channels)
    beta = 0.2 * rng.normal(size=channels)
    mean = 0.2 * rng.normal(size=channels)
    var = rng.uniform(0.5, 1.5, size=channels)
    return [v.astype(np.float32) for v in (gamma, beta, mean, var)]


def set_known_weights(model):
    """Gives every Conv2D its known kernel and a zero bias, every BN its known weights."""
    keras = import_keras()
    for layer in leaf_layers(model):
        if isinstance(layer, keras.layers.Conv2D):
            layer.kernel.assign(known_kernel(tuple(layer.kernel.shape)))
            if layer.bias is not None:
                layer.bias.assign(np.zeros(layer.bias.shape, np.float32))
        elif isinstance(layer, keras.layers.BatchNormalization):
            gamma, beta, mean, var = known_bn_params(int(layer.moving_mean.shape[0]))
            if layer.gamma is not None:
                layer.gamma.assign(gamma)
            if layer.beta is not None:
                layer.beta.assign(beta)
            layer.moving_mean.assign(mean)
            layer.moving_variance.assign(var)


def conv_with_known_weights(x, filters, kernel_size, stride=1):
    """The reference of a Conv2D ('same' padding, zero bias) with its known kernel."""
    tf = import_tensorflow()
    w = known_kernel((kernel_size, kernel_size, int(x.shape[-1]), filters))
    return tf.nn.conv2d(x, w, strides=stride, padding="SAME")


def bn_with_known_weights(x, eps=1e-3):
    """The reference of a BatchNormalization at inference with its known weights."""
    gamma, beta, mean, var = known_bn_params(int(x.shape[-1]))
    return (x - mean) / np.sqrt(var + eps) * gamma + beta


def compare_with_known_weights(ex, case, model, x, expected, mistakes, hint):
    """Runs `model` (training=False) on `x` with known weights and compares the output.

    Args:
        ex, case: the `Exercise` and the case name.
        model: the student's block wrapped in a model (see `call_builder`).
        x: the input batch.
        expected: the reference output, computed with the same known weights.
        mistakes: dict mapping a mistake's description to the output it gives.
        hint: what to look at when the values differ.
    """
    __tracebackhide__ = True
    set_known_weights(model)
    received = np.asarray(model(x, training=False))
    ex.compare(case, received, np.asarray(expected), kind="tensor", rtol=2e-3, atol=2e-4,
               mistakes={k: np.asarray(v) for k, v in mistakes.items()}, hint=hint,
               part="output with known weights")
