"""Mutation tests of helpers.checks.deep_cnns (notebook 03).

For every exercise: the reference passes and prints exactly its success line,
plausible wrong versions fail with a message that says why, and the release
stub ("raise NotImplementedError()") is reported as not attempted yet.
"""

import os

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import keras  # noqa: E402

from helpers.checks import deep_cnns as check  # noqa: E402
from helpers.checks.core import CheckError, NotAttemptedError  # noqa: E402

from mutants import assert_enough_mutants, assert_rejected, mutant_ids  # noqa: E402

L = keras.layers


# ------------------------------------------------------------ references ---

def lenet5(input_shape, num_classes, first_padding="same", dense=(120, 84), softmax=True,
           pool=True):
    layers = [keras.Input(shape=input_shape),
              L.Conv2D(6, 5, padding=first_padding, activation="relu")]
    layers += [L.AveragePooling2D(2)] if pool else []
    layers += [L.Conv2D(16, 5, activation="relu")]
    layers += [L.AveragePooling2D(2)] if pool else []
    layers += [L.Flatten()] + [L.Dense(u, activation="relu") for u in dense]
    layers += [L.Dense(num_classes, activation="softmax" if softmax else None)]
    return keras.Sequential(layers)


def vgg_block(x, num_convs, filters, padding="same", pool="end", relu="relu"):
    if pool == "start":
        x = L.MaxPooling2D(2, strides=2)(x)
    for _ in range(num_convs):
        x = L.Conv2D(filters, 3, padding=padding, activation=relu)(x)
    if pool == "end":
        x = L.MaxPooling2D(2, strides=2)(x)
    return x


def vgg16_param_count(biases=True, head=True):
    count, c_in = 0, 3
    for num_convs, filters in [(2, 64), (2, 128), (3, 256), (3, 512), (3, 512)]:
        for _ in range(num_convs):
            count += 9 * c_in * filters + (filters if biases else 0)
            c_in = filters
    if head:
        for a, b in [(7 * 7 * 512, 4096), (4096, 4096), (4096, 1000)]:
            count += a * b + (b if biases else 0)
    return count


def nin_block(x, filters, kernel, strides, padding="same", last="relu", all_strided=False):
    x = L.Conv2D(filters, kernel, strides=strides, padding=padding, activation="relu")(x)
    x = L.Conv2D(filters, 1, strides=strides if all_strided else 1, activation="relu")(x)
    return L.Conv2D(filters, 1, strides=strides if all_strided else 1, activation=last)(x)


def inception_block(x, c1, c2, c3, c4, axis=-1, order=(0, 1, 2, 3), pool_conv=True,
                    relu="relu"):
    p1 = L.Conv2D(c1, 1, activation=relu)(x)
    p2 = L.Conv2D(c2[0], 1, activation=relu)(x)
    p2 = L.Conv2D(c2[1], 3, padding="same", activation=relu)(p2)
    p3 = L.Conv2D(c3[0], 1, activation=relu)(x)
    p3 = L.Conv2D(c3[1], 5, padding="same", activation=relu)(p3)
    p4 = L.MaxPooling2D(3, strides=1, padding="same")(x)
    if pool_conv:
        p4 = L.Conv2D(c4, 1, activation=relu)(p4)
    branches = [p1, p2, p3, p4]
    return L.Concatenate(axis=axis)([branches[i] for i in order])


def batch_norm_forward(x, gamma, beta, moving_mean, moving_var, training, momentum=0.99,
                       eps=1e-3, ddof=0, reverse=False, batch_at_inference=False,
                       eps_outside=False):
    axes = tuple(range(x.ndim - 1))
    if training or batch_at_inference:
        mean, var = x.mean(axis=axes), x.var(axis=axes, ddof=ddof)
    else:
        mean, var = moving_mean, moving_var
    scale = np.sqrt(var) + eps if eps_outside else np.sqrt(var + eps)
    y = gamma * (x - mean) / scale + beta
    if training:
        keep = 1 - momentum if reverse else momentum
        moving_mean = moving_mean * keep + mean * (1 - keep)
        moving_var = moving_var * keep + var * (1 - keep)
    return y, moving_mean, moving_var


def _conv_bn(x, filters, kernel, stride=1, bn=True):
    x = L.Conv2D(filters, kernel, strides=stride, padding="same", use_bias=False)(x)
    return L.BatchNormalization()(x) if bn else x


def residual_block(x, filters, stride, variant=None):
    y = L.ReLU()(_conv_bn(x, filters, 3, stride))
    y = _conv_bn(y, filters, 3)
    needs = stride != 1 or x.shape[-1] != filters
    if variant == "always project" or (needs and variant != "no projection"):
        shortcut = _conv_bn(x, filters, 1, stride, bn=variant != "no shortcut BN")
    else:
        shortcut = x
    if variant == "relu before add":
        return L.Add()([L.ReLU()(y), shortcut])
    if variant == "no relu":
        return L.Add()([y, shortcut])
    return L.ReLU()(L.Add()([y, shortcut]))


def residual_block_plus(x, filters, stride):
    """Another correct design: biases in the convolutions, `+` and keras.ops.relu."""
    y = L.Conv2D(filters, 3, strides=stride, padding="same")(x)
    y = L.Activation("relu")(L.BatchNormalization()(y))
    y = L.BatchNormalization()(L.Conv2D(filters, 3, padding="same")(y))
    if stride != 1 or x.shape[-1] != filters:
        x = L.BatchNormalization()(L.Conv2D(filters, 1, strides=stride)(x))
    return keras.ops.relu(y + x)


def bottleneck_block(x, filters, stride, variant=None):
    first = stride if variant == "stride first" else 1
    y = L.ReLU()(_conv_bn(x, filters, 1, first))
    y = L.ReLU()(_conv_bn(y, filters, 3, 1 if first != 1 else stride))
    y = _conv_bn(y, 4 * filters, 1)
    needs = stride != 1 or x.shape[-1] != 4 * filters
    if needs and variant != "no projection":
        shortcut = _conv_bn(x, 4 * filters, 1, stride)
    else:
        shortcut = x
    if variant == "relu before add":
        return L.Add()([L.ReLU()(y), shortcut])
    return L.ReLU()(L.Add()([y, shortcut]))


REFERENCES = {
    "lenet5": (lenet5, "03.1 lenet5: all 2 cases passed"),
    "vgg_block": (vgg_block, "03.2 vgg_block: all 3 cases passed"),
    "vgg16_param_count": (vgg16_param_count, "03.3 vgg16_param_count: all 1 case passed"),
    "nin_block": (nin_block, "03.4 nin_block: all 3 cases passed"),
    "inception_block": (inception_block, "03.5 inception_block: all 3 cases passed"),
    "batch_norm_forward": (batch_norm_forward, "03.6 batch_norm_forward: all 6 cases passed"),
    "residual_block": (residual_block, "03.7 residual_block: all 4 cases passed"),
    "bottleneck_block": (bottleneck_block, "03.8 bottleneck_block: all 3 cases passed"),
}


@pytest.mark.parametrize("name", list(REFERENCES))
def test_reference_passes_with_one_stable_line(name, capsys):
    fn, line = REFERENCES[name]
    getattr(check, name)(fn)
    assert capsys.readouterr().out == line + "\n"


def test_other_correct_designs_pass(capsys):
    check.residual_block(residual_block_plus)
    check.lenet5(lambda shape, n: keras.Sequential(
        [keras.Input(shape=shape), L.Conv2D(6, 5, padding="same", activation="sigmoid"),
         L.MaxPooling2D(2), L.Conv2D(16, 5, activation="sigmoid"), L.MaxPooling2D(2),
         L.Flatten(), L.Dense(120, activation="sigmoid"), L.Dense(84, activation="sigmoid"),
         L.Dense(n, activation="softmax")]))
    check.vgg16_param_count(lambda: np.int64(vgg16_param_count()))
    assert capsys.readouterr().out.count("passed") == 3


@pytest.mark.parametrize("name", list(REFERENCES))
def test_stub_is_not_attempted(name):
    def stub(*args, **kwargs):
        raise NotImplementedError()

    exercise_id = REFERENCES[name][1].split()[0]
    with pytest.raises(NotAttemptedError, match=f"{exercise_id} {name}: not attempted yet"):
        getattr(check, name)(stub)


def test_a_call_instead_of_the_function_is_explained():
    with pytest.raises(CheckError, match=r"check\.vgg16_param_count\(vgg16_param_count\)"):
        check.vgg16_param_count(vgg16_param_count())


# ---------------------------------------------------------------- mutants ---

def _bn_with(**changes):
    def bn(x, gamma, beta, moving_mean, moving_var, training, momentum=0.99, eps=1e-3):
        return batch_norm_forward(x, gamma, beta, moving_mean, moving_var, training, momentum,
                                  eps, **changes)
    return bn


def _bn_in_place(x, gamma, beta, moving_mean, moving_var, training, momentum=0.99, eps=1e-3):
    y, mean, var = batch_norm_forward(x, gamma, beta, moving_mean, moving_var, training,
                                      momentum, eps)
    moving_mean[...] = mean
    return y, moving_mean, var


MUTANTS = [
    # lenet5
    ("lenet5", lambda s, n: lenet5(s, n, first_padding="valid"),
     "common mistake: the first convolution uses 'valid' padding"),
    ("lenet5", lambda s, n: lenet5(s, n, dense=(128,)), "expected Dense layers of 120, 84"),
    ("lenet5", lambda s, n: lenet5(s, n, softmax=False), "expected class probabilities"),
    ("lenet5", lambda s, n: lenet5(s, n, pool=False), "pooling layer after each convolution"),
    # vgg_block
    ("vgg_block", lambda x, n, f: vgg_block(x, n, f, pool=None),
     "common mistake: no pooling at the end"),
    ("vgg_block", lambda x, n, f: vgg_block(x, n, f, padding="valid"),
     "common mistake: 'valid' padding"),
    ("vgg_block", lambda x, n, f: vgg_block(x, n, f, pool="start"),
     "common mistake: pooled before the convolutions"),
    ("vgg_block", lambda x, n, f: vgg_block(x, n, f, relu=None),
     "common mistake: no ReLU after the convolutions"),
    ("vgg_block", lambda x, n, f: L.Conv2D(f, 3, padding="same"), "expected a Keras tensor"),
    # vgg16_param_count
    ("vgg16_param_count", lambda: vgg16_param_count(biases=False),
     "common mistake: biases missing"),
    ("vgg16_param_count", lambda: vgg16_param_count(head=False),
     "common mistake: only the 13 convolutions counted"),
    ("vgg16_param_count", lambda: float(vgg16_param_count()), "it is a float"),
    # nin_block
    ("nin_block", lambda x, f, k, s: nin_block(x, f, k, s, last=None),
     "common mistake: no ReLU after the last 1x1"),
    ("nin_block", lambda x, f, k, s: nin_block(x, f, k, s, padding="valid"),
     "common mistake: 'valid' padding"),
    ("nin_block", lambda x, f, k, s: nin_block(x, f, k, 1), "common mistake: the stride ignored"),
    ("nin_block", lambda x, f, k, s: nin_block(x, f, k, s, all_strided=True),
     "common mistake: the 1x1 convolutions strided too"),
    # inception_block
    ("inception_block", lambda x, *c: inception_block(x, *c, axis=1),
     "common mistake: branches concatenated on the height axis"),
    ("inception_block", lambda x, *c: inception_block(x, *c, order=(3, 2, 1, 0)),
     r"concatenated in the order \(4, 3, 2, 1\)"),
    ("inception_block", lambda x, *c: inception_block(x, *c, pool_conv=False),
     "common mistake: the pooling branch has no 1x1 convolution"),
    ("inception_block", lambda x, *c: inception_block(x, *c, relu=None),
     "common mistake: no ReLU after the convolutions"),
    # batch_norm_forward
    ("batch_norm_forward", _bn_with(batch_at_inference=True),
     "common mistake: inference mode used the batch statistics"),
    ("batch_norm_forward", _bn_with(reverse=True), "common mistake: momentum reversed"),
    ("batch_norm_forward", _bn_with(ddof=1),
     r"common mistake: unbiased variance \(ddof=1\) for the batch"),
    ("batch_norm_forward", _bn_with(eps_outside=True),
     "common mistake: eps added outside the square root"),
    ("batch_norm_forward", lambda *a, **k: batch_norm_forward(*a, **k)[0],
     r"expected a tuple \(y, new_moving_mean, new_moving_var\)"),
    ("batch_norm_forward", _bn_in_place, "changed its input `moving_mean` in place"),
    # residual_block
    ("residual_block", lambda x, f, s: residual_block(x, f, s, "relu before add"),
     "common mistake: shortcut added after the ReLU"),
    ("residual_block", lambda x, f, s: residual_block(x, f, s, "no projection"),
     "projection shortcut is missing"),
    ("residual_block", lambda x, f, s: residual_block(x, f, s, "no relu"),
     "common mistake: no ReLU after the addition"),
    ("residual_block", lambda x, f, s: residual_block(x, f, s, "no shortcut BN"),
     "expected a BatchNormalization after each"),
    ("residual_block", lambda x, f, s: residual_block(x, f, s, "always project"),
     "the shortcut is the identity"),
    # bottleneck_block
    ("bottleneck_block", lambda x, f, s: bottleneck_block(x, f, s, "relu before add"),
     "common mistake: shortcut added after the ReLU"),
    ("bottleneck_block", lambda x, f, s: bottleneck_block(x, f, s, "no projection"),
     "projection shortcut is missing"),
    ("bottleneck_block", lambda x, f, s: bottleneck_block(x, f, s, "stride first"),
     "common mistake: the stride is on the first 1x1"),
]


@pytest.mark.parametrize("name, wrong, message", MUTANTS, ids=mutant_ids(MUTANTS))
def test_wrong_version_fails_with_reason(name, wrong, message):
    assert_rejected(check, name, wrong, message)


def test_every_exercise_has_at_least_three_mutants():
    assert_enough_mutants(MUTANTS, REFERENCES)


def test_messages_name_the_exercise_the_case_and_the_mistake():
    with pytest.raises(CheckError) as info:
        check.residual_block(lambda x, f, s: residual_block(x, f, s, "relu before add"))
    message = str(info.value)
    assert message.startswith("03.7 residual_block, case 'identity shortcut: ")
    assert "expected:" in message and "received:" in message


def test_batch_statistics_at_inference_fail_on_the_inference_case():
    with pytest.raises(CheckError, match=r"case '\(batch, features\) = \(8, 5\), inference'"):
        check.batch_norm_forward(_bn_with(batch_at_inference=True))
