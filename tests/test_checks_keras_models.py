"""Unit tests of helpers.checks.keras_models: what a model is made of, the structural
checks, the functional-builder call and the known weights."""

import keras
import numpy as np
import pytest

from helpers.checks.core import CheckError, Exercise, NotAttemptedError
from helpers.checks.keras_models import (activation_after, activation_name, activation_of,
                                         bn_with_known_weights, call_builder, chain,
                                         compare_with_known_weights, concatenated_branches,
                                         conv_layers, conv_with_known_weights,
                                         count_params_from_config, describe_convs, describe_layer,
                                         is_nonlinear, layer_names, leaf_layers,
                                         require_built_model, require_output_shape,
                                         require_relu_after, set_known_weights)

L = keras.layers


def make(fn=lambda *args: None):
    return Exercise("99.1", "block", fn)


def functional(build, shape=(6, 6, 3)):
    """`build(x)` wrapped in a keras.Model on an input of `shape`."""
    x = keras.Input(shape=shape)
    return keras.Model(x, build(x))


# ------------------------------------------------------------- inspecting ---

def test_leaf_layers_opens_nested_sequential_models_and_skips_the_input():
    inner = keras.Sequential([L.Conv2D(4, 3), L.ReLU()])
    model = keras.Sequential([keras.Input(shape=(8, 8, 1)), inner, L.Flatten(), L.Dense(2)])
    assert layer_names(leaf_layers(model)) == ["Conv2D", "ReLU", "Flatten", "Dense"]


def test_leaf_layers_opens_a_model_inside_a_functional_model():
    inner = keras.Sequential([L.Conv2D(4, 1), L.BatchNormalization()])
    model = functional(lambda x: L.MaxPooling2D(2)(inner(x)))
    assert layer_names(leaf_layers(model)) == ["Conv2D", "BatchNormalization", "MaxPooling2D"]
    assert leaf_layers(L.Dense(3)) == []


def test_activation_name_and_is_nonlinear():
    assert activation_name(L.Dense(3, activation="relu")) == "relu"
    assert activation_name(L.Conv2D(3, 1)) == "linear"
    assert activation_name(L.Dense(3, activation=keras.activations.tanh)) == "tanh"
    assert activation_name(L.ReLU()) == activation_name(L.Flatten()) == ""
    assert [is_nonlinear(layer) for layer in (
        L.Dense(3, activation="relu"), L.ReLU(), L.LeakyReLU(), L.Activation("sigmoid"),
        L.Softmax())] == [True] * 5
    assert [is_nonlinear(layer) for layer in (
        L.Dense(3), L.Conv2D(3, 1), L.Activation("linear"), L.Flatten(),
        L.MaxPooling2D(2))] == [False] * 5


def test_activation_of_layers_and_keras_ops():
    assert activation_of(L.ReLU()) == "relu"
    assert activation_of(L.ReLU(max_value=6.0)) == "modified relu"
    assert activation_of(L.Activation("tanh")) == "tanh"
    assert activation_of(L.LeakyReLU()) == "leaky_relu"
    assert activation_of(L.Conv2D(3, 1, activation="relu")) is None
    ops = chain(functional(lambda x: keras.ops.sigmoid(keras.ops.relu(x))).output, None)
    assert [activation_of(op) for op in ops] == ["relu", "sigmoid"]


def test_activation_after_looks_past_the_given_layers_only():
    layers = [L.Conv2D(4, 3), L.BatchNormalization(), L.Dropout(0.1), L.ReLU(), L.Dense(2)]
    assert activation_after(layers, 0, through=(L.BatchNormalization, L.Dropout)) == "relu"
    assert activation_after(layers, 0, through=(L.BatchNormalization,)) == ""
    assert activation_after(layers, 0) == ""
    assert activation_after([L.Conv2D(4, 3, activation="elu"), L.ReLU()], 0) == "elu"
    assert activation_after([L.Dense(2), L.Activation("linear")], 0) == ""
    assert activation_after([L.Dense(2)], 0) == ""


def test_chain_and_concatenated_branches_follow_the_graph():
    def block(x):
        a = keras.ops.relu(L.Conv2D(2, 1)(x))
        b = L.Conv2D(3, 3, padding="same", activation="relu")(L.MaxPooling2D(3, 1, "same")(x))
        return L.Concatenate()([a, b])

    model = functional(block)
    branches = concatenated_branches(model)
    assert [[type(op).__name__ for op in branch] for branch in branches] == [
        ["Conv2D", "Relu"], ["MaxPooling2D", "Conv2D"]]
    assert [type(op).__name__ for op in chain(branches[0][-1].output, model.input)] == [
        "Conv2D", "Relu"]
    assert concatenated_branches(functional(lambda x: L.ReLU()(x))) is None


def test_describe_layer_and_convs():
    model = keras.Sequential([keras.Input(shape=(16, 16, 3)), L.Conv2D(6, 5, padding="same"),
                              L.Conv2D(4, 1, strides=2), L.Conv2D(2, (3, 1), strides=(2, 1)),
                              L.AveragePooling2D(2), L.MaxPooling2D(3, 1, "same"),
                              L.Flatten(), L.Dense(7)])
    assert [describe_layer(layer) for layer in leaf_layers(model)] == [
        "Conv2D 5x5 6 'same'", "Conv2D 1x1 4 stride 2", "Conv2D 3x1 2 strides 2x1 'valid'",
        "AveragePooling2D 2x2 stride 2", "MaxPooling2D 3x3 stride 1 'same'", "Flatten",
        "Dense 7"]
    assert describe_convs(conv_layers(leaf_layers(model))) == "5x5 6, 1x1 4, 3x1 2"
    assert describe_convs([]) == "none"


@pytest.mark.parametrize("layer", [
    L.Conv2D(5, 3), L.Conv2D(4, (1, 3), use_bias=False), L.Dense(6), L.Dense(2, use_bias=False),
    L.BatchNormalization(), L.BatchNormalization(center=False, scale=False), L.Flatten(),
], ids=lambda layer: describe_layer(layer) + str(len(layer.get_config())))
def test_count_params_from_config_equals_count_params(layer):
    shape = (4,) if isinstance(layer, L.Dense) else (5, 5, 3)
    keras.Sequential([keras.Input(shape=shape), layer])
    assert count_params_from_config(layer) == layer.count_params()


# ------------------------------------------------------ structural checks ---

def test_require_built_model_returns_the_parameter_count():
    model = keras.Sequential([keras.Input(shape=(3,)), L.Dense(2)])
    assert require_built_model(make(), "a case", model) == 8


@pytest.mark.parametrize("value, message", [
    (L.Dense(2), r"case 'a case': expected a Keras model, received <Dense"),
    (None, r"expected a Keras model, received None.\nHint: build it with keras.Sequential"),
    (keras.Sequential([L.Dense(2)]),
     (r"the model is not built, so it has no weights yet .*\nHint: start the Sequential list "
      r"with keras.Input\(shape=input_shape\)")),
])
def test_require_built_model_rejects_a_non_model_and_an_unbuilt_one(value, message):
    with pytest.raises(CheckError, match=message):
        require_built_model(make(), "a case", value)


def test_require_output_shape_names_a_known_mistake():
    model = functional(lambda x: L.Conv2D(4, 3)(x))
    require_output_shape(make(), "c", model, (4, 4, 4), {}, "hint")
    with pytest.raises(CheckError, match=r"\(None, 4, 4, 4\), expected \(None, 6, 6, 4\): this "
                                         r"looks like a common mistake: 'valid' padding"):
        require_output_shape(make(), "c", model, (6, 6, 4), {"'valid' padding": (4, 4, 4)}, "")
    with pytest.raises(CheckError, match=r"expected \(None, 2, 2, 4\)\.\nHint: h$"):
        require_output_shape(make(), "c", model, (2, 2, 4), {"other": (1, 1, 1)}, "h")


def test_require_relu_after_names_the_first_layer_without_one():
    layers = [L.Conv2D(4, 3, activation="relu"), L.Conv2D(8, 1), L.Activation("tanh"),
              L.Conv2D(2, 3, padding="same")]
    require_relu_after(make(), "c", layers, layers[:1], "hint")
    with pytest.raises(CheckError, match=r"the 2nd Conv2D \(1x1 8\) is followed by tanh, not "
                                         r"by a ReLU\.\nHint: h"):
        require_relu_after(make(), "c", layers, layers[:2], "h")
    with pytest.raises(CheckError, match=r"the Conv2D \(3x3 2 'same'\) has no activation: no "
                                         r"ReLU after it"):
        require_relu_after(make(), "c", layers, layers[3:], "h")


# ------------------------------------------------------------ call_builder ---

def test_call_builder_wraps_the_output_in_a_model():
    ex = make(lambda x, filters: L.Conv2D(filters, 1)(x))
    model = call_builder(ex, "c", keras.Input(shape=(4, 4, 2)), 3)
    assert isinstance(model, keras.Model) and model.output_shape == (None, 4, 4, 3)


@pytest.mark.parametrize("block, message", [
    (lambda x: L.Conv2D(2, 1), (r"expected a Keras tensor \(the block's output\), received "
                                r"<Conv2D.*\nHint: apply layers to x")),
    (lambda x: None, r"your function returned None\.\nHint: end it with `return`"),
    (lambda x: L.Dense(2)(keras.Input(shape=(4, 4, 2))),
     (r"the output is not connected to the input x .*\nHint: start every path of the block "
      r"from the argument x")),
])
def test_call_builder_explains_what_is_not_a_block(block, message):
    with pytest.raises(CheckError, match=message):
        call_builder(make(block), "c", keras.Input(shape=(4, 4, 2)))


def test_call_builder_adds_its_hint_to_an_error_and_keeps_a_stub_a_stub():
    def raises(x):
        raise ValueError("shapes differ")

    with pytest.raises(CheckError, match=r"(?s)raised ValueError: shapes differ.*\nHint: .*\n"
                                         r"look at the shortcut$"):
        call_builder(make(raises), "c", keras.Input(shape=(4, 4, 2)),
                     error_hint="look at the shortcut")

    def stub(x):
        raise NotImplementedError()

    with pytest.raises(NotAttemptedError):
        call_builder(make(stub), "c", keras.Input(shape=(4, 4, 2)), error_hint="unused")


# ----------------------------------------------------------- known weights ---

def test_known_weights_of_a_conv_agree_with_conv_with_known_weights():
    model = functional(lambda x: L.Conv2D(5, 3, strides=2, padding="same")(x), (7, 6, 3))
    set_known_weights(model)
    x = np.random.default_rng(0).normal(size=(2, 7, 6, 3)).astype(np.float32)
    np.testing.assert_allclose(np.asarray(model(x)), conv_with_known_weights(x, 5, 3, 2),
                               rtol=1e-5, atol=1e-5)


def test_known_weights_of_a_bn_agree_with_bn_with_known_weights():
    model = functional(lambda x: L.BatchNormalization()(x), (3, 3, 4))
    set_known_weights(model)
    x = np.random.default_rng(1).normal(size=(2, 3, 3, 4)).astype(np.float32)
    np.testing.assert_allclose(np.asarray(model(x, training=False)), bn_with_known_weights(x),
                               rtol=1e-5, atol=1e-5)


def test_compare_with_known_weights_names_a_mistake():
    model = functional(lambda x: L.Conv2D(2, 3, padding="same")(x), (4, 4, 1))
    x = np.random.default_rng(2).normal(size=(1, 4, 4, 1)).astype(np.float32)
    right = conv_with_known_weights(x, 2, 3)
    compare_with_known_weights(make(), "c", model, x, right, {}, "hint")
    with pytest.raises(CheckError, match=r"output with known weights: your result matches a "
                                         r"common mistake: no ReLU"):
        compare_with_known_weights(make(), "c", model, x, np.maximum(right, 0),
                                   {"no ReLU": right}, "hint")


class _Block(L.Layer):
    """A block written as a subclassed layer, with a constructor get_config cannot save."""

    def __init__(self, filters, marker=object()):
        super().__init__()
        self.marker = marker
        self.conv = L.Conv2D(filters, 3, padding="same")
        self.inner = keras.Sequential([L.Conv2D(filters, 1), L.ReLU()])

    def call(self, x):
        return self.inner(keras.ops.relu(self.conv(x)))

    def get_config(self):
        raise NotImplementedError("a layer whose get_config is not written")


def test_nested_models_and_subclassed_layers_are_walked_like_layers_on_x():
    from helpers.checks.keras_models import chain, describe_layer, is_container, leaf_layers

    plain = functional(lambda x: L.ReLU()(L.Conv2D(4, 1)(keras.ops.relu(
        L.Conv2D(4, 3, padding="same")(x)))))
    nested = functional(lambda x: keras.Sequential([
        L.Conv2D(4, 3, padding="same"), L.ReLU(), keras.Sequential([L.Conv2D(4, 1), L.ReLU()])
    ])(x))
    subclassed = functional(lambda x: _Block(4)(x))
    shown = {}
    for name, model in [("plain", plain), ("nested", nested), ("subclassed", subclassed)]:
        shown[name] = [describe_layer(op) if isinstance(op, L.Layer) else "relu"
                       for op in chain(model.output, model.input)]
        assert [type(layer).__name__ for layer in leaf_layers(model)
                if type(layer).__name__ == "Conv2D"] == ["Conv2D", "Conv2D"], name
    assert shown["plain"] == shown["subclassed"] == [
        "Conv2D 3x3 4 'same'", "relu", "Conv2D 1x1 4", "ReLU"]
    assert shown["nested"] == ["Conv2D 3x3 4 'same'", "ReLU", "Conv2D 1x1 4", "ReLU"]
    assert is_container(_Block(2)) and is_container(keras.Sequential())
    assert not is_container(L.MultiHeadAttention(2, 4)) and not is_container(L.Conv2D(2, 1))
    assert activation_name(_Block(2)) == ""  # get_config raised: no activation read
