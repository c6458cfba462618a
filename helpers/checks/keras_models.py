"""Tools for checking Keras models and blocks that students build.

Every check module that inspects a Keras model uses these, so that "a layer",
"its activation" or "known weights" mean the same thing in every notebook:

* `leaf_layers`, `is_container`, `is_subclassed_model`, `activation_name`,
  `is_nonlinear`, `conv_layers`, `describe_convs`, `describe_layer`: what a model is
  made of. Nested models and
  subclassed layers are opened up everywhere, so that every correct style of a block
  (layers applied to x, a nested `keras.Sequential`, a `keras.layers.Layer` subclass)
  is inspected alike.
* `chain`, `concatenated_branches`, `applications`, `activation_of`, `activation_after`: how its
  operations follow each other, the activations (layers, `activation=` arguments
  or `keras.ops` calls) included.
* `require_built_model`, `require_output_shape`, `require_relu_after`,
  `count_params_from_config`: structural checks; `require_probabilities`: a
  classifier's output on a real batch.
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
>>> [describe_layer(op) for op in chain(model.output, model.input)]
["Conv2D 3x3 8 'same'", "Conv2D 3x3 8 'same'", 'MaxPooling2D 2x2 stride 2']
"""

import collections
import re

import numpy as np

from helpers.checks.core import describe, import_keras, import_tensorflow

# ------------------------------------------------------------- inspecting ---


def is_container(operation):
    """Tells whether an operation is made of the student's own layers: a nested model
    (`keras.Sequential`, a functional or subclassed `keras.Model`) or a layer subclassed
    outside Keras (`class Block(keras.layers.Layer)`). Keras's own layers that hold
    layers (`Bidirectional`, `MultiHeadAttention`, ...) are not containers."""
    keras = import_keras()
    return isinstance(operation, keras.Model) or (
        isinstance(operation, keras.layers.Layer) and
        not type(operation).__module__.startswith("keras."))


def is_subclassed_model(model):
    """Tells whether `model` is a subclassed `keras.Model`: neither a Sequential nor a
    functional model (one built on `keras.Input`), so it records no input shape and no
    output of each layer."""
    keras = import_keras()
    if not isinstance(model, keras.Model) or isinstance(model, keras.Sequential):
        return False
    try:
        return not model.inputs
    except AttributeError:  # a subclassed model has no inputs
        return True


def leaf_layers(model):
    """Every layer of a model, in order, nested models and subclassed layers opened up,
    input layers left out."""
    keras = import_keras()
    leaves = []
    for layer in _sublayers(model):
        if isinstance(layer, keras.layers.InputLayer):
            continue
        leaves += leaf_layers(layer) if is_container(layer) else [layer]
    return leaves


def _sublayers(container):
    """The layers a model or a subclassed layer holds, in the order they were made."""
    if hasattr(container, "layers"):
        return list(container.layers)
    flatten = getattr(container, "_flatten_layers", None)
    return list(flatten(include_self=False, recursive=False)) if flatten else []


def layer_names(layers):
    """The class names of layers, e.g. `['Conv2D', 'MaxPooling2D']`, for messages."""
    return [type(layer).__name__ for layer in layers]


def activation_name(layer):
    """The name of a layer's `activation` argument ("relu", "linear", ...), or "" if none.

    Only the argument counts: a `keras.layers.ReLU` layer has no `activation`
    argument, so this gives "" for it (see `activation_of` for such layers).
    """
    activation = _config(layer).get("activation")
    return activation if isinstance(activation, str) else getattr(activation, "__name__", "")


def _config(layer):
    """A layer's configuration, or {} when it has none that can be read (a subclassed
    layer's `get_config` may raise)."""
    try:
        return layer.get_config()
    except Exception:  # noqa: BLE001 - inspecting a student's layer never fails a check
        return {}


#: `keras.ops` (and `keras.activations`) calls that are activations, by class name.
_ACTIVATION_OPS = {"relu": "relu", "relu6": "relu6", "sigmoid": "sigmoid", "tanh": "tanh",
                   "softmax": "softmax", "elu": "elu", "selu": "selu", "gelu": "gelu",
                   "silu": "silu", "leakyrelu": "leaky_relu", "softplus": "softplus",
                   "hardsigmoid": "hard_sigmoid"}


def activation_of(operation):
    """The activation an operation is, if applying one is all it does; else None.

    `keras.layers.ReLU()` and `keras.ops.relu` give "relu" (a ReLU layer with a
    `max_value`, `negative_slope` or `threshold` gives "modified relu"),
    `keras.layers.Activation("tanh")` gives "tanh", `LeakyReLU` "leaky_relu",
    `ELU` "elu", `Softmax` "softmax". A Conv2D or Dense layer gives None, whatever
    its `activation` argument (see `activation_name`).
    """
    layers = import_keras().layers
    if isinstance(operation, layers.ReLU):
        config = operation.get_config()
        plain = not (config.get("max_value") or config.get("negative_slope")
                     or config.get("threshold"))
        return "relu" if plain else "modified relu"
    if isinstance(operation, layers.Activation):
        return activation_name(operation)
    named = {layers.LeakyReLU: "leaky_relu", layers.ELU: "elu", layers.Softmax: "softmax"}
    for layer_class, name in named.items():
        if isinstance(operation, layer_class):
            return name
    if isinstance(operation, layers.Layer):
        return None
    return _ACTIVATION_OPS.get(type(operation).__name__.lower())


def is_nonlinear(layer):
    """Tells whether a layer applies a nonlinearity (its activation, or a ReLU-like layer)."""
    if activation_of(layer) is not None:
        return activation_of(layer) != "linear"
    return activation_name(layer) not in ("linear", "")


def activation_after(operations, index, through=()):
    """The activation applied to the output of `operations[index]`, or "" if none.

    That is the operation's own `activation` argument when it is not linear,
    else the activation layer or `keras.ops` call that follows it in
    `operations` (a chain in order, see `leaf_layers` and `chain`), looking
    past operations of the `through` types (e.g. BatchNormalization, Dropout).

    Example: for `[Conv2D(8, 3), BatchNormalization(), ReLU()]`,
    `activation_after(ops, 0, through=(BatchNormalization,))` is "relu".
    """
    own = activation_name(operations[index])
    if own not in ("linear", ""):
        return own
    for operation in operations[index + 1:]:
        name = activation_of(operation)
        if name is not None:
            return "" if name == "linear" else name
        if not isinstance(operation, through) or activation_name(operation) not in ("linear", ""):
            return ""
    return ""


def chain(tensor, start):
    """The operations that lead from the tensor `start` to `tensor`, in order.

    Walks back from `tensor` through the first input of each operation (a
    layer, or a `keras.ops` call such as `keras.ops.relu`) until it reaches
    `start` or a model input. For a block without branches this is the whole
    block, its activation layers and calls included. Nested models and subclassed
    layers are walked through (see `_producer`).
    """
    operations = []
    while tensor is not start:
        operation, inputs = _producer(tensor)
        if not inputs:
            break
        if type(operation).__name__ not in _PASS_THROUGH:
            operations.append(operation)
        tensor = inputs[0]
    return operations[::-1]


#: Operations that hand their input on unchanged (`keras.Sequential` converts its input).
_PASS_THROUGH = ("ConvertToTensor",)


def concatenated_branches(model):
    """The branches a block's output concatenates, each as its `chain` from the input.

    A concatenation of concatenations counts as one: `concat([concat([a, b]), c])`
    gives the branches of a, b and c. Returns None when the output does not come
    from a concatenation (`keras.layers.Concatenate` or `keras.ops.concatenate`).
    """
    def branch_ends(tensor):
        operation, inputs = _producer(tensor)
        if type(operation).__name__ != "Concatenate":
            return [tensor]
        return [end for part in inputs for end in branch_ends(part)]

    if type(_producer(model.output)[0]).__name__ != "Concatenate":
        return None
    return [chain(tensor, model.input) for tensor in branch_ends(model.output)]


def _producer(tensor):
    """The operation that made a Keras tensor, and that operation's input tensors.

    When that operation is a container (`is_container`: a nested model or a subclassed
    layer), the tensor its `call` gives when replayed takes its place (`_replayed`): a
    block written as a nested `keras.Sequential` or as a `keras.layers.Layer` subclass is
    walked like the same block written with layers applied to x.
    """
    inner = _replayed(tensor)
    if inner is not None:
        return _producer(inner)
    history = tensor._keras_history
    node = history.operation._inbound_nodes[history.node_index]
    return history.operation, list(node.input_tensors)


def _replayed(tensor):
    """When a container (`is_container`) made the Keras tensor: its `call` run again on the
    same symbolic inputs, so that the layers and `keras.ops` calls inside it make the
    result; the result's matching output. None for any other operation, or a call that
    cannot be replayed."""
    history = tensor._keras_history
    operation = history.operation
    node = operation._inbound_nodes[history.node_index]
    if not node.input_tensors or not is_container(operation):
        return None
    try:
        inner = operation.call(*node.arguments.args, **node.arguments.kwargs)
    except Exception:  # noqa: BLE001 - a call that cannot be replayed stays one operation
        return None
    if isinstance(inner, (list, tuple)):
        inner = inner[history.tensor_index] if history.tensor_index < len(inner) else None
    return inner if inner is not tensor and hasattr(inner, "_keras_history") else None


def applications(model):
    """How many times each layer is applied between the model's inputs and its output,
    by `id` of the layer (a layer used twice counts twice).

    Walks back from the output through every input of every operation, containers
    replayed as in `chain` (`_replayed`). A layer the walk cannot reach (inside a call
    that cannot be replayed) is absent.
    """
    counts, seen, nodes, kept = collections.Counter(), set(), set(), []
    stack = list(model.outputs)
    while stack:
        tensor = stack.pop()
        if id(tensor) in seen or getattr(tensor, "_keras_history", None) is None:
            continue
        seen.add(id(tensor))
        kept.append(tensor)  # keeps the ids in `seen` from being reused
        inner = _replayed(tensor)
        if inner is not None:
            stack.append(inner)
            continue
        history = tensor._keras_history
        operation = history.operation
        inputs = list(operation._inbound_nodes[history.node_index].input_tensors)
        if not inputs:
            continue
        if (id(operation), history.node_index) not in nodes:
            nodes.add((id(operation), history.node_index))
            counts[id(operation)] += 1
        stack.extend(inputs)
    return counts


def conv_layers(layers):
    """The plain `keras.layers.Conv2D` layers among `layers` (not subclasses)."""
    keras = import_keras()
    return [layer for layer in layers if type(layer) is keras.layers.Conv2D]


def describe_convs(convs):
    """Conv2D layers as "kernel filters" for messages, e.g. `"3x3 8, 1x1 16"`."""
    return ", ".join(f"{_config(c)['kernel_size'][0]}x{_config(c)['kernel_size'][1]} "
                     f"{_config(c)['filters']}" for c in convs) or "none"


def describe_layer(operation):
    """A layer in a few words for messages, with what a check compares.

    Conv2D: `"Conv2D 5x5 6 'same'"` (kernel, filters, the stride when not 1,
    the padding unless the kernel is 1x1, where it changes nothing); pooling:
    `"MaxPooling2D 2x2 stride 2"` (and `'same'` when so); Dense: `"Dense 120"`;
    anything else: its class name.
    """
    layers = import_keras().layers
    name = type(operation).__name__
    config = _config(operation) if isinstance(operation, layers.Layer) else {}
    if isinstance(operation, layers.Conv2D):
        (kh, kw), (sh, sw) = config["kernel_size"], config["strides"]
        text = f"{name} {kh}x{kw} {config['filters']}"
        if (sh, sw) != (1, 1):
            text += f" stride {sh}" if sh == sw else f" strides {sh}x{sw}"
        return text + (f" '{config['padding']}'" if (kh, kw) != (1, 1) else "")
    if isinstance(operation, (layers.MaxPooling2D, layers.AveragePooling2D)):
        (ph, pw), (sh, sw) = config["pool_size"], config["strides"]
        stride = f"stride {sh}" if sh == sw else f"strides {sh}x{sw}"
        padding = " 'same'" if config["padding"] == "same" else ""
        return f"{name} {ph}x{pw} {stride}{padding}"
    if isinstance(operation, layers.Dense):
        return f"{name} {config['units']}"
    return name


def count_params_from_config(layer):
    """A layer's parameter count worked out from its configuration and input shape.

    Returns None for a layer type this function does not know, or whose input shape
    cannot be read (a layer inside a subclassed layer has no input of its own): the
    caller then trusts the layer's own count.
    """
    try:
        return _count_params_from_config(layer)
    except (AttributeError, ValueError, KeyError, TypeError):
        return None


def _count_params_from_config(layer):
    keras = import_keras()
    config = _config(layer)
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


def require_probabilities(ex, case, model, batch, num_classes, what, hint):
    """Runs `model` (training=False) on `batch`; fails unless each row is probabilities.

    Args:
        ex, case: the `Exercise` and the case name.
        model: the built classifier.
        batch: a NumPy batch of inputs.
        num_classes: the number of classes, the width of each row.
        what: the batch in words for the message, e.g. `"2 images"`.
        hint: what to look at when the rows are not probabilities.
    """
    __tracebackhide__ = True
    probs = np.asarray(model(batch, training=False))
    ex.require(
        case, probs.shape == (len(batch), num_classes) and bool(np.all(np.isfinite(probs)))
        and np.allclose(probs.sum(axis=-1), 1.0, atol=1e-4) and bool(np.all(probs >= 0)),
        f"on a batch of {what} the model returned {describe(probs)}, expected "
        f"probabilities of shape ({len(batch)}, {num_classes}) that sum to 1 in each row.",
        hint)


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


def require_relu_after(ex, case, operations, targets, hint, through=()):
    """Fails unless a ReLU follows each of `targets` (some of `operations`, a chain).

    The message names the first target without one, e.g. "the 2nd Conv2D
    (3x3 8 'same') has no activation: no ReLU after it", and what follows it
    instead. See `activation_after` for what counts, and `through`.
    """
    __tracebackhide__ = True
    for number, target in enumerate(targets, 1):
        index = next(i for i, operation in enumerate(operations) if operation is target)
        found = activation_after(operations, index, through)
        if found == "relu":
            continue
        kind, _, details = describe_layer(target).partition(" ")
        which = f"the {_ordinal(number)} {kind} ({details})" if len(targets) > 1 else \
            f"the {kind} ({details})"
        problem = (f"{which} has no activation: no ReLU after it." if not found else
                   f"{which} is followed by {found}, not by a ReLU.")
        ex.fail(case, problem, hint)


def _ordinal(number):
    return {1: "1st", 2: "2nd", 3: "3rd"}.get(number, f"{number}th")


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
    out = ex.call_explained(case, lambda message: error_hint, inputs, *args,
                            copy_inputs=False)  # keep the tensor tied to its Input
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
    try:
        received = np.asarray(model(x, training=False))
    except Exception as error:  # noqa: BLE001 - the student's block failed to run
        text = re.sub(r"\x1b\[[0-9;]*m", "", str(error)).split("Arguments received")[0]
        reason = " ".join(line.strip() for line in text.splitlines() if line.strip())[:300]
        ex.fail(case, f"the block was built on a keras.Input, but running it on a batch of "
                      f"{len(x)} inputs raised {type(error).__name__}: {reason}",
                "x is a keras.Input while the block is built, so its batch size is None: "
                "read sizes with keras.ops.shape(x)[0], not x.shape[0], or leave them to the "
                "layers; a block written with layers alone needs no sizes.")
    ex.compare(case, received, np.asarray(expected), kind="tensor", rtol=2e-3, atol=2e-4,
               mistakes={k: np.asarray(v) for k, v in mistakes.items()}, hint=hint,
               part="output with known weights")
