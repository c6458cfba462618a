"""Checks for notebook 10, generative models: a dense autoencoder, the VAE's
reparameterization, KL term and loss, the GAN's discriminator and generator losses,
and DDPM's noise schedule, forward process and reverse sampling step.

`build_autoencoder` is checked structurally and by calling its models (three Keras
models, Sequential, functional or subclassed, with the stated input and output
shapes, the decoder's last activation a sigmoid, the autoencoder's trainable
weights exactly the encoder's and the decoder's, the parameter counts adding up)
and numerically (the decoder's outputs stay in [0, 1] even for huge codes; the
autoencoder gives decoder(encoder(x)) on random images). The losses are compared with
`keras.losses.BinaryCrossentropy(from_logits=True)` and
`keras.losses.binary_crossentropy` (in float64), the KL term with its closed form
and with a Monte-Carlo estimate of E_q[log q(z) - log p(z)], the schedule with
`np.linspace`. The reparameterization and the forward process are compared with
their definitions and, over many draws, with the mean and variance they must have;
the DDPM step with Ho et al. (2020), Algorithm 2, written out here. Known wrong
answers (variance used as the standard deviation, KL with the wrong sign, the
saturating generator loss, cumulative alphas where alphas belong, ...) are computed
too, so that a message can name the mistake.

The VAE and GAN functions (10.2 to 10.6) are called inside a Keras `train_step`
or a model's `call`, so each is also run on float32 tensors, eagerly and traced by
`tf.function` with the batch size unknown (None), as `fit` traces them (where NumPy
functions fail, and so does reading the batch size with `x.shape[0]` or `len(x)`);
their results may be NumPy values or tensors.

Example:

>>> from helpers.checks import generative as check
>>> check.kl_divergence(kl_divergence)
10.3 kl_divergence: all 8 cases passed
"""

import functools

import numpy as np

from helpers.checks import tensor_modes
from helpers.checks.core import exercise, describe, import_keras, mistakes_from, random_values
from helpers.checks.references import sigmoid
from helpers.checks.keras_models import (activation_name, activation_of, chain, is_container,
                                         leaf_layers, require_built_model)

__all__ = [
    "build_autoencoder", "reparameterize", "kl_divergence", "vae_loss",
    "discriminator_loss", "generator_loss", "linear_beta_schedule", "forward_diffusion",
    "ddpm_sample_step",
]

#: Draws behind the statistical cases (sample means, variances, the Monte-Carlo KL).
DRAWS = 20_000
KL_DRAWS = 100_000

# ---------------------------------------------------------------- helpers ---

def _dtype_of(*arrays):
    return np.float32 if any(np.asarray(a).dtype == np.float32 for a in arrays) else np.float64


def _compare_moments(ex, case, out, shape, mean, variance, hint):
    """Compares the mean and variance of DRAWS draws with the expected ones.

    `out` holds DRAWS draws of an array of `shape` stacked along axis 0 (shape
    `(DRAWS * shape[0], *shape[1:])`); the tolerance is 5 standard errors.
    """
    __tracebackhide__ = True
    received = np.asarray(tensor_modes.as_numpy(out), np.float64)
    ex.require(case, received.shape == (DRAWS * shape[0], *shape[1:]),
               f"for {DRAWS} draws stacked along the batch axis the result has shape "
               f"{received.shape}, expected {(DRAWS * shape[0], *shape[1:])}.", hint)
    draws = received.reshape(DRAWS, *shape)
    ex.compare(case, draws.mean(axis=0), mean, rtol=0.0,
               atol=5 * float(np.sqrt(np.max(variance) / DRAWS)),
               part=f"the mean over {DRAWS} draws", hint=hint)
    ex.compare(case, draws.var(axis=0), variance, rtol=5 * float(np.sqrt(2 / DRAWS)),
               atol=1e-12, part=f"the variance over {DRAWS} draws", hint=hint)


def _gaussian(seed, batch, latent, low=-2.0, high=1.5):
    """(mu, log_var) of shape (batch, latent): mu ~ N(0, 1), log_var uniform in [low, high]."""
    rng = np.random.default_rng(seed)
    return rng.normal(0.0, 1.0, (batch, latent)), rng.uniform(low, high, (batch, latent))


# ------------------------------------------------------- build_autoencoder ---

#: Operations that only move values around: the decoder's last activation is before them.
_SHAPE_ONLY = ("Reshape", "Flatten", "Permute", "Cropping2D", "Dropout", "ExpandDims",
               "Squeeze", "Transpose", "Cast", "Identity")

#: Known wrong output shapes of the decoder (without the batch axis).
_WRONG_DECODER_SHAPES = {
    "the decoder's output is flat, 784 values per image: reshape it to (28, 28, 1)": (784,),
    "the decoder's output has no channel axis: reshape to (28, 28, 1), not (28, 28)": (28, 28),
}

_AUTOENCODER_HINT = ("build the autoencoder from the two models: inputs = "
                     "keras.Input(shape=(28, 28, 1)); autoencoder = keras.Model(inputs, "
                     "decoder(encoder(inputs))).")

_SIGMOID_HINT = ("end the decoder with a sigmoid, e.g. Dense(784, activation=\"sigmoid\") "
                 "then Reshape((28, 28, 1)): each pixel is then in [0, 1], like the images, "
                 "and the binary cross-entropy can compare them.")

#: The batch the check runs the three models on.
_BATCH = 3


def _io_shape(model, which):
    """A model's `input_shape` or `output_shape` as a tuple, or None if it has none (a
    subclassed model's shapes are known only by calling it)."""
    try:
        shape = getattr(model, which)
    except (AttributeError, ValueError):
        return None
    return tuple(shape) if isinstance(shape, (tuple, list)) else shape


def _last_operation(decoder, latent_dim):
    """What the decoder does last, shape-only operations aside, in words, or None when it
    cannot be told (a subclassed layer whose call cannot be replayed on a Keras input).

    The decoder is applied to a `keras.Input` and walked back from its output
    (`keras_models.chain`), nested and subclassed models opened: the result is the
    activation ("sigmoid", "relu", "linear" for a layer without one, ...) or another
    operation ("a Lambda layer", "keras.ops TrueDivide").
    """
    keras = import_keras()
    code = keras.Input(shape=(latent_dim,))
    try:
        operations = chain(decoder(code), code)
    except Exception:  # noqa: BLE001 - a decoder that cannot take a Keras input
        operations = leaf_layers(decoder)
    for operation in reversed(operations):
        name = type(operation).__name__
        if name in _SHAPE_ONLY:
            continue
        activation = activation_of(operation)
        if activation is not None:
            return activation
        if is_container(operation):
            return None
        if isinstance(operation, keras.layers.Layer):
            return activation_name(operation) or (
                "linear" if "activation" in operation.get_config() else f"a {name} layer")
        return f"keras.ops {name}"
    return None


def _call_model(ex, case, name, model, batch, what):
    """Runs one of the three models on a batch (training=False); returns its output."""
    __tracebackhide__ = True
    try:
        out = model(batch, training=False)
    except Exception as error:  # noqa: BLE001 - the student's model, reported as such
        ex.fail(case, f"the {name} raised {type(error).__name__} on {what}: {error}",
                "each model takes a batch of any size: build it on keras.Input(shape=...) "
                "without the batch axis, or call the layers in a subclassed model's call.")
    ex.require(case, hasattr(out, "shape") and hasattr(out, "dtype"),
               f"the {name} returned {describe(out)} on {what}, expected one tensor.",
               f"the {name} has one output.")
    return out


def _require_shapes(ex, case, models, latent_dim, seed):
    """The input and output shapes of the encoder, the decoder and the autoencoder.

    A model with a known input shape (a functional model or a Sequential started with
    keras.Input) must have the right one; then each model is called on a batch (as
    `fit` and `predict` call it, which also builds a subclassed model) and its output
    must have the right shape.
    """
    __tracebackhide__ = True
    encoder, decoder, autoencoder = models
    image, code = (None, 28, 28, 1), (None, latent_dim)
    image_input = "keras.Input(shape=(28, 28, 1))"
    rng = np.random.default_rng(seed)
    images = rng.uniform(size=(_BATCH, 28, 28, 1)).astype(np.float32)
    codes = rng.standard_normal((_BATCH, latent_dim)).astype(np.float32)
    on_images = f"a batch of {_BATCH} images of shape (28, 28, 1)"
    on_codes = f"a batch of {_BATCH} codes of shape ({latent_dim},)"

    def output_shape(name, model, expected_input, start, batch, what):
        received = _io_shape(model, "input_shape")
        if received is not None:
            ex.require(case, tuple(received)[1:] == expected_input[1:],
                       f"the {name} takes inputs of shape {received}, expected "
                       f"{expected_input}.", f"start the {name} with {start}.")
        out = _call_model(ex, case, name, model, batch, what)
        return (None, *tuple(out.shape)[1:])

    received = output_shape("encoder", encoder, image, image_input, images, on_images)
    ex.require(case, received == code,
               f"the encoder's output has shape {received}, expected {code}: the code must "
               f"have latent_dim = {latent_dim} numbers per image, so the latent size is "
               f"not latent_dim.",
               "end the encoder with keras.layers.Dense(latent_dim), using the argument.")
    received = output_shape("decoder", decoder, code, "keras.Input(shape=(latent_dim,))",
                            codes, on_codes)
    if received != image:
        hint = ("the decoder gives images like its inputs: end it with "
                "keras.layers.Reshape((28, 28, 1)) (after a Dense(784, activation=\"sigmoid\") "
                "or a convolution with 1 filter).")
        problem = f"the decoder's output has shape {received}, expected {image}"
        for description, wrong in _WRONG_DECODER_SHAPES.items():
            if received == (None, *wrong):
                ex.fail(case, f"{problem}: this looks like a common mistake: {description}.",
                        hint)
        ex.fail(case, f"{problem}.", hint)
    received = output_shape("autoencoder", autoencoder, image, image_input, images, on_images)
    ex.require(case, received == image,
               f"the autoencoder's output has shape {received}, expected {image}.",
               _AUTOENCODER_HINT)


def _require_shared_weights(ex, case, models):
    """The autoencoder's trainable weights are exactly the encoder's and the decoder's."""
    __tracebackhide__ = True
    enc, dec, auto = ({id(w) for w in m.trainable_weights} for m in models)
    ex.require(case, auto & (enc | dec),
               "the autoencoder shares no weights with the encoder and the decoder: it is a "
               "separate copy, so training it would leave the encoder and the decoder "
               "untrained.", _AUTOENCODER_HINT)
    for name, own in (("encoder", enc), ("decoder", dec)):
        ex.require(case, own <= auto,
                   f"{len(own - auto)} of the {name}'s {len(own)} trainable weights are not "
                   f"in the autoencoder: it uses a copy of the {name}, not the {name} itself.",
                   _AUTOENCODER_HINT)
    extra = auto - enc - dec
    ex.require(case, not extra,
               f"the autoencoder has {len(extra)} trainable weight(s) of its own besides the "
               f"encoder's and the decoder's: it must be exactly decoder(encoder(x)).",
               _AUTOENCODER_HINT)
    counts = [int(m.count_params()) for m in models]
    ex.require(case, counts[2] == counts[0] + counts[1],
               f"the autoencoder has {counts[2]} parameters, the encoder and the decoder "
               f"{counts[0]} + {counts[1]} = {counts[0] + counts[1]}.", _AUTOENCODER_HINT)


def _require_sigmoid_output(ex, case, decoder, latent_dim, seed):
    """The decoder's outputs stay in [0, 1], even for codes of size about 1000, and its
    last activation is a sigmoid (not another function that stays in [0, 1])."""
    __tracebackhide__ = True
    last = _last_operation(decoder, latent_dim)
    for scale, what in ((1.0, "codes drawn from N(0, 1)"), (1000.0, "codes of size about 1000")):
        codes = random_values(seed, (4, latent_dim), scale=scale).astype(np.float32)
        out = np.asarray(decoder(codes, training=False), np.float64)
        inside = bool(np.all(np.isfinite(out))) and out.min() >= 0.0 and out.max() <= 1.0
        named = {"sigmoid": "something after its sigmoid moves them",
                 None: "end it with a sigmoid"}.get(
            last, f"its last activation is {last}, not a sigmoid")
        ex.require(case, inside,
                   f"the decoder's outputs are not pixel values in [0, 1]: on {what} they "
                   f"range from {out.min():.4g} to {out.max():.4g} ({named}).", _SIGMOID_HINT)
    if last is None or last == "sigmoid":
        return
    why = {"softmax": "a softmax makes the 784 pixels of an image share one unit of ink: "
                      "they sum to 1, so a pixel cannot be 1 where the image is white",
           "hard_sigmoid": "a hard sigmoid is flat outside [-3, 3], where its gradient is 0 "
                           "and the pixel stops learning"}.get(
        last, "the docstring names a sigmoid, 1 / (1 + exp(-x)): smooth, never exactly 0 or "
              "1, so every pixel keeps a gradient")
    ex.fail_mistake(case, f"the decoder's outputs lie in [0, 1], but its last activation is "
                          f"{last}, not the sigmoid the docstring names",
                    f"{why}.", _SIGMOID_HINT)


def _build_autoencoder_cases():
    """(case, latent_dim, seed) for 10.1."""
    return [("latent_dim 2", 2, 100), ("latent_dim 16", 16, 101)]


@exercise("10.1")
def build_autoencoder(ex):
    """Checks `build_autoencoder(latent_dim)` structurally and on random inputs.

    For latent_dim 2 and 16 it requires a tuple (encoder, decoder, autoencoder) of
    three Keras models (Sequential, functional or subclassed): called on a batch, the
    encoder maps (batch, 28, 28, 1) to (batch, latent_dim), the decoder
    (batch, latent_dim) to (batch, 28, 28, 1), the autoencoder (batch, 28, 28, 1) to
    (batch, 28, 28, 1), and a model whose input shape is declared declares those
    (None, ...) shapes; the autoencoder's trainable weights are exactly the encoder's
    and the decoder's (the same variables, not copies) and its parameter count is
    their sum; the decoder's outputs lie in [0, 1] on codes drawn from N(0, 1) and on
    codes of size about 1000, and its last activation (shape-only layers aside) is a
    sigmoid, whether an `activation="sigmoid"` argument, an Activation layer or
    `keras.ops.sigmoid` (a hard sigmoid, a softmax or a clip also land in [0, 1], and
    are named); and autoencoder(x) equals decoder(encoder(x)) on random images. With
    the weights shared and the outputs equal, the autoencoder's output depends on the
    image only through the encoder's latent_dim numbers: the bottleneck is real.
    """
    keras = import_keras()
    for case, latent_dim, seed in _build_autoencoder_cases():
        out = ex.call(case, latent_dim)
        ex.require(case, isinstance(out, (tuple, list)) and len(out) == 3,
                   f"expected three models (encoder, decoder, autoencoder), received "
                   f"{describe(out)}.", "return encoder, decoder, autoencoder")
        for name, model in zip(("encoder", "decoder", "autoencoder"), out):
            ex.require(case, isinstance(model, keras.Model),
                       f"the {name} is {describe(model)}, expected a keras.Model.",
                       "build each part as a keras.Sequential, a functional keras.Model or a "
                       "keras.Model subclass, and return the three models.")
        _require_shapes(ex, case, out, latent_dim, seed)
        for model in out:  # built now: the check called each one, as fit would
            require_built_model(ex, case, model)
        _require_shared_weights(ex, case, out)
        encoder, decoder, autoencoder = out
        _require_sigmoid_output(ex, case, decoder, latent_dim, seed)
        images = np.random.default_rng(seed).uniform(size=(3, 28, 28, 1)).astype(np.float32)
        composed = decoder(encoder(images, training=False), training=False)
        ex.compare(case, autoencoder(images, training=False), np.asarray(composed),
                   kind="tensor", rtol=1e-4, atol=1e-5,
                   part="autoencoder(x) on 3 random images",
                   hint="the autoencoder is decoder(encoder(x)) and nothing else: no path "
                        "around the encoder's code, no extra layer. " + _AUTOENCODER_HINT)


# ---------------------------------------------------------- reparameterize ---

def _reparameterize_cases():
    """(case, mode, mu, log_var, eps) for 10.2: NumPy cases, then float32 tensors."""
    return tensor_modes.with_tensor_modes([
        ("batch 4, latent 2", "numpy", *_gaussian(200, 4, 2), random_values(201, (4, 2))),
        ("batch of one, latent 8, log_var from -6 to 3", "numpy", *_gaussian(202, 1, 8, -6, 3),
         random_values(203, (1, 8))),
        ("float32, batch 3, latent 5", "numpy",
         *(a.astype(np.float32) for a in (*_gaussian(204, 3, 5), random_values(205, (3, 5))))),
        ("batch 3, latent 4", "numpy", *_gaussian(206, 3, 4), random_values(207, (3, 4))),
    ], unknown_batch=True)


def _reparameterize_answer(mu, log_var, eps, *, std="exp(0.5 * log_var)", use_eps=True,
                           sign=1.0):
    """z = mu + sigma * eps in float64, with switches for the known mistakes.

    Args:
        mu, log_var, eps: arrays of one shape.
        std: what is taken for sigma: "exp(0.5 * log_var)" (right), "exp(log_var)",
            "exp(-0.5 * log_var)", "log_var" or "sqrt(log_var)".
        use_eps: False leaves eps out: mu + sigma.
        sign: -1 subtracts the noise term, 0 leaves it out.
    """
    mu, log_var, eps = (np.asarray(a, np.float64) for a in (mu, log_var, eps))
    sigma = {"exp(0.5 * log_var)": np.exp(0.5 * log_var), "exp(log_var)": np.exp(log_var),
             "exp(-0.5 * log_var)": np.exp(-0.5 * log_var), "log_var": log_var,
             "sqrt(log_var)": np.sqrt(log_var)}[std]
    return mu + sign * sigma * (eps if use_eps else 1.0)


_REPARAMETERIZE_MISTAKES = {
    "exp(log_var) used as the standard deviation: that is the variance; the standard "
    "deviation is exp(0.5 * log_var)": {"std": "exp(log_var)"},
    "log_var used as the standard deviation: it is the log of the variance, so the "
    "standard deviation is exp(0.5 * log_var)": {"std": "log_var"},
    "sqrt(log_var) used as the standard deviation: log_var can be negative; the "
    "standard deviation is exp(0.5 * log_var)": {"std": "sqrt(log_var)"},
    "exp(-0.5 * log_var) is 1 / sigma: the standard deviation is exp(0.5 * log_var)":
        {"std": "exp(-0.5 * log_var)"},
    "eps ignored: the noise scales the standard deviation, z = mu + sigma * eps":
        {"use_eps": False},
    "the noise term missing: z = mu + sigma * eps, not mu": {"sign": 0.0},
    "mu - sigma * eps: with the eps given, z = mu + sigma * eps": {"sign": -1.0},
}


@exercise("10.2")
def reparameterize(ex):
    """Checks `reparameterize(mu, log_var, eps)`: z = mu + exp(0.5 * log_var) * eps.

    `mu`, `log_var` and `eps` are float arrays (or tensors) of shape (batch, latent);
    the result, of that shape, is compared with the definition in float64 (a NumPy
    array or a tensor), then, for 20,000 draws of eps, its mean and variance with mu
    and exp(log_var). Cases: float64, float32, log_var from -6 to 3, and float32
    tensors, eagerly and inside tf.function.
    """
    hint = ("z = mu + sigma * eps with sigma = exp(0.5 * log_var), the standard deviation "
            "(log_var is the log of the variance sigma**2).")
    for case, mode, mu, log_var, eps in _reparameterize_cases():
        out = tensor_modes.call(ex, case, mode, mu, log_var, eps)
        m, lv, e = (np.asarray(a, np.float64) for a in (mu, log_var, eps))
        rtol, atol = tensor_modes.tolerances(_dtype_of(mu, log_var, eps))
        ex.compare(case, out, m + np.exp(0.5 * lv) * e, kind="tensor", rtol=rtol, atol=atol,
                   mistakes=mistakes_from(_reparameterize_answer, _REPARAMETERIZE_MISTAKES,
                                          mu, log_var, eps),
                   hint=hint,
                   shape_hint="z has the shape of mu, (batch, latent): elementwise operations "
                              "only, no sum or mean.")
    mu, log_var = _gaussian(208, 2, 3)
    case = f"{DRAWS} draws of eps: z has mean mu and variance exp(log_var)"
    out = ex.call(case, np.tile(mu, (DRAWS, 1)), np.tile(log_var, (DRAWS, 1)),
                  np.random.default_rng(209).standard_normal((DRAWS * 2, 3)))
    _compare_moments(ex, case, out, mu.shape, mu, np.exp(log_var), hint)


# ----------------------------------------------------------- kl_divergence ---

def _kl(mu, log_var):
    """The closed form KL(N(mu, exp(log_var)) || N(0, I)) of each example, (batch,)."""
    mu, log_var = np.asarray(mu, np.float64), np.asarray(log_var, np.float64)
    return -0.5 * np.sum(1 + log_var - mu ** 2 - np.exp(log_var), axis=-1)


def _kl_divergence_cases():
    """(case, mode, mu, log_var) for 10.3: NumPy cases, then float32 tensors."""
    return tensor_modes.with_tensor_modes([
        ("batch 4, latent 3", "numpy", *_gaussian(300, 4, 3)),
        ("mu 0 and log_var 0: q is N(0, I), the KL is 0", "numpy", np.zeros((2, 4)),
         np.zeros((2, 4))),
        ("batch of one, latent 8, log_var from -8 to 4", "numpy", *_gaussian(301, 1, 8, -8, 4)),
        ("float32, batch 5, latent 2", "numpy",
         *(a.astype(np.float32) for a in _gaussian(302, 5, 2))),
        ("batch 3, latent 4", "numpy", *_gaussian(303, 3, 4)),
    ], unknown_batch=True)


def _kl_divergence_answer(mu, log_var, *, log_variance="log_var", variance="exp(log_var)",
                          one=1.0, half=0.5, sign=-1.0, latent=np.sum, batch=np.mean):
    """The batch mean of KL(N(mu, exp(log_var)) || N(0, I)) in float64, with switches for
    the known mistakes: sign * half * sum(one + log-variance - mu**2 - variance) over the
    latent axis, then the mean over the batch.

    Args:
        mu, log_var: arrays (batch, latent).
        log_variance: the log-variance term: "log_var" (right), "log(log_var)" (log_var
            read as the variance) or "log(log_var**2)" (read as sigma).
        variance: the variance term: "exp(log_var)" (right), "exp(0.5 * log_var)" (the
            standard deviation), "log_var" or "log_var**2".
        one, half, sign: the 1, the 0.5 and the minus sign of the closed form.
        latent, batch: the reductions over the latent axis and over the batch.
    """
    mu, log_var = np.asarray(mu, np.float64), np.asarray(log_var, np.float64)
    log_term = {"log_var": log_var, "log(log_var)": np.log(log_var),
                "log(log_var**2)": np.log(log_var ** 2)}[log_variance]
    variance_term = {"exp(log_var)": np.exp(log_var), "exp(0.5 * log_var)": np.exp(0.5 * log_var),
                     "log_var": log_var, "log_var**2": log_var ** 2}[variance]
    terms = one + log_term - mu ** 2 - variance_term
    return batch(sign * half * latent(terms, axis=-1))


_KL_DIVERGENCE_MISTAKES = {
    "sign flipped: the KL divergence is -0.5 * sum(1 + log_var - mu**2 - "
    "exp(log_var)), which is >= 0": {"sign": 1.0},
    "log_var treated as sigma (1 + log(sigma**2) - mu**2 - sigma**2 with sigma = "
    "log_var): the argument is the log-variance, so use log_var and exp(log_var)":
        {"log_variance": "log(log_var**2)", "variance": "log_var**2"},
    "log_var treated as the variance (1 + log(v) - mu**2 - v with v = log_var): the "
    "argument is the log-variance": {"log_variance": "log(log_var)", "variance": "log_var"},
    "exp(0.5 * log_var), the standard deviation, where exp(log_var), the variance, "
    "belongs": {"variance": "exp(0.5 * log_var)"},
    "averaged over the latent dimensions: sum over them (the KL of independent "
    "dimensions adds up), then average over the batch": {"latent": np.mean},
    "summed over the batch: average the examples' KL over the batch": {"batch": np.sum},
    "the 1 missing: -0.5 * sum(1 + log_var - mu**2 - exp(log_var))": {"one": 0.0},
    "the 0.5 missing: -0.5 * sum(1 + log_var - mu**2 - exp(log_var))": {"half": 1.0},
}


def _normal_log_density(z, mu, log_var):
    return -0.5 * (np.log(2 * np.pi) + log_var + (z - mu) ** 2 / np.exp(log_var))


@functools.cache
def _kl_monte_carlo_case():
    """(mu, log_var, estimate, standard error) of the batch-mean KL by Monte Carlo.

    The estimate is the mean of log q(z) - log p(z) over KL_DRAWS draws z ~ q, with
    q = N(mu, exp(log_var)) and p = N(0, I): the definition of the KL divergence.
    Written out in NumPy because TensorFlow Probability, which has these
    distributions, is not installed.
    """
    mu, log_var = _gaussian(310, 4, 3, -1.5, 1.0)
    rng = np.random.default_rng(311)
    z = mu + np.exp(0.5 * log_var) * rng.standard_normal((KL_DRAWS, *mu.shape))
    log_ratio = np.sum(_normal_log_density(z, mu, log_var) - _normal_log_density(z, 0.0, 0.0),
                       axis=-1)  # (KL_DRAWS, batch)
    standard_error = np.sqrt(np.sum(log_ratio.var(axis=0)) / KL_DRAWS) / len(mu)
    return mu, log_var, float(log_ratio.mean()), float(standard_error)


@exercise("10.3")
def kl_divergence(ex):
    """Checks `kl_divergence(mu, log_var)`: the VAE's KL term, as the batch mean.

    KL(N(mu, diag(exp(log_var))) || N(0, I)) = -0.5 * sum(1 + log_var - mu**2 -
    exp(log_var)) over the latent dimensions, averaged over the batch: one number
    (a NumPy or Python number, or a 0-d tensor). Compared with that closed form in
    float64, then with a Monte-Carlo estimate of E_q[log q(z) - log p(z)] from
    100,000 draws (within 5 standard errors). Cases: float64, mu 0 and log_var 0
    (KL 0), log_var from -8 to 4, float32, and float32 tensors, eagerly and inside
    tf.function.
    """
    hint = ("KL = -0.5 * sum(1 + log_var - mu**2 - exp(log_var)) over the latent "
            "dimensions of each example, then the mean over the batch.")
    shape_hint = ("return the mean over the batch, one number: sum over the latent axis "
                  "(axis=-1), then take the mean.")
    for case, mode, mu, log_var in _kl_divergence_cases():
        out = tensor_modes.call(ex, case, mode, mu, log_var)
        rtol, atol = tensor_modes.tolerances(_dtype_of(mu, log_var))
        ex.compare(case, tensor_modes.as_numpy(out), np.mean(_kl(mu, log_var)), kind="scalar",
                   rtol=rtol, atol=atol, hint=hint, shape_hint=shape_hint,
                   mistakes=mistakes_from(_kl_divergence_answer, _KL_DIVERGENCE_MISTAKES,
                                          mu, log_var))
    mu, log_var, estimate, standard_error = _kl_monte_carlo_case()
    case = (f"a Monte-Carlo estimate of E_q[log q(z) - log p(z)] from {KL_DRAWS} draws, "
            f"batch 4, latent 3")
    ex.compare(case, tensor_modes.as_numpy(ex.call(case, mu, log_var)), estimate,
               kind="scalar", rtol=0.0, atol=5 * standard_error, hint=hint,
               shape_hint=shape_hint,
               mistakes=mistakes_from(_kl_divergence_answer, _KL_DIVERGENCE_MISTAKES,
                                      mu, log_var))


# ---------------------------------------------------------------- vae_loss ---

def _bce_per_example(x, x_reconstructed):
    """Binary cross-entropy summed over every pixel of each example, (batch,).

    `keras.losses.binary_crossentropy` averages over the last axis, so it gets each
    example flat and is multiplied back by the number of pixels.
    """
    keras = import_keras()
    x, x_reconstructed = (np.asarray(a, np.float64).reshape(len(a), -1)
                          for a in (x, x_reconstructed))
    return np.asarray(keras.losses.binary_crossentropy(x, x_reconstructed)) * x.shape[1]


def _images(seed, shape, dtype=np.float64):
    """(x, x_reconstructed): images in [0, 1] with many exact 0s and some 1s, and
    reconstructions in [0.02, 0.98] (away from Keras's clipping at 1e-7)."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(size=shape)
    x[rng.uniform(size=shape) < 0.4] = 0.0
    x[rng.uniform(size=shape) < 0.1] = 1.0
    return x.astype(dtype), rng.uniform(0.02, 0.98, size=shape).astype(dtype)


def _vae_loss_cases():
    """(case, mode, x, x_reconstructed, mu, log_var, beta or None for the default) for 10.4."""
    return tensor_modes.with_tensor_modes([
        ("(3, 28, 28, 1) images, latent 2, default beta", "numpy", *_images(400, (3, 28, 28, 1)),
         *_gaussian(401, 3, 2), None),
        ("(4, 5, 7, 1) images, latent 3, beta 4.0", "numpy", *_images(402, (4, 5, 7, 1)),
         *_gaussian(403, 4, 3), 4.0),
        ("flat (2, 20) images, latent 4, beta 0.25", "numpy", *_images(404, (2, 20)),
         *_gaussian(405, 2, 4), 0.25),
        ("(2, 6, 6, 1) images, latent 2, beta 2.0", "numpy", *_images(406, (2, 6, 6, 1)),
         *_gaussian(407, 2, 2), 2.0),
    ], unknown_batch=True)


def _vae_loss_answer(x, x_reconstructed, mu, log_var, beta, *, reconstruction="bce",
                     swap=False, pixels="sum", beta_on="kl", kl_sign=1.0, batch=np.mean):
    """The batch mean of reconstruction + beta * KL in float64, with switches for the
    known mistakes.

    Args:
        x, x_reconstructed: images (batch, ...); mu, log_var: (batch, latent).
        reconstruction: "bce" (right, from `keras.losses.binary_crossentropy`) or
            "squared error".
        swap: True swaps x and x_reconstructed in the reconstruction term.
        pixels: "sum" (right) or "mean", the reduction over each example's pixels.
        beta_on: what beta weighs: "kl" (right), "reconstruction" or "nothing".
        kl_sign: -1 subtracts the KL term, 0 leaves it out.
        batch: the reduction over the batch.
    """
    x, x_reconstructed = (np.asarray(a, np.float64).reshape(len(a), -1)
                          for a in (x, x_reconstructed))
    if swap:
        x, x_reconstructed = x_reconstructed, x
    per_example = (_bce_per_example(x, x_reconstructed) if reconstruction == "bce" else
                   np.sum((x - x_reconstructed) ** 2, axis=1))
    if pixels == "mean":
        per_example = per_example / x.shape[1]
    weights = {"kl": (1.0, beta), "reconstruction": (beta, 1.0), "nothing": (1.0, 1.0)}[beta_on]
    return batch(weights[0] * per_example + kl_sign * weights[1] * _kl(mu, log_var))


_VAE_LOSS_MISTAKES = {
    "the reconstruction averaged over the pixels (keras.losses.binary_crossentropy "
    "averages over the last axis): sum it over every pixel of an example, or the KL "
    "term outweighs it": {"pixels": "mean"},
    "the KL term missing: the loss is reconstruction + beta * KL": {"kl_sign": 0.0},
    "beta ignored: the KL term is weighted by beta": {"beta_on": "nothing"},
    "beta weights the reconstruction instead of the KL term": {"beta_on": "reconstruction"},
    "the KL term with the wrong sign: it is added, and it is >= 0": {"kl_sign": -1.0},
    "summed over the batch: the loss is the mean over the batch": {"batch": np.sum},
    "squared error instead of binary cross-entropy for the reconstruction":
        {"reconstruction": "squared error"},
    "x and x_reconstructed swapped in the cross-entropy: the targets are the images "
    "x": {"swap": True},
}


@exercise("10.4")
def vae_loss(ex):
    """Checks `vae_loss(x, x_reconstructed, mu, log_var, beta=1.0)`.

    The loss is the batch mean of reconstruction + beta * KL, where the
    reconstruction is the binary cross-entropy of x (targets) and x_reconstructed
    (probabilities in (0, 1)) summed over every pixel of an example, and the KL is
    that of 10.3, summed over the latent dimensions. One number (a NumPy or Python
    number, or a 0-d tensor), compared with `keras.losses.binary_crossentropy` (the
    mean over the last axis, of each example flattened, times its number of pixels)
    and the closed-form KL, in float64 (rtol 1e-4: Keras adds 1e-7 inside its logs).
    Cases: (3, 28, 28, 1) images with the default beta, beta 4 on (4, 5, 7, 1), beta
    0.25 on flat (2, 20) images, and float32 tensors with beta 2, eagerly and inside
    tf.function.
    """
    hint = ("per example: the binary cross-entropy summed over all its pixels, plus beta "
            "times its KL (summed over the latent dimensions); then the mean over the batch.")
    for case, mode, x, x_reconstructed, mu, log_var, beta in _vae_loss_cases():
        kwargs = {} if beta is None else {"beta": beta}
        out = tensor_modes.call(ex, case, mode, x, x_reconstructed, mu, log_var, **kwargs)
        beta = 1.0 if beta is None else beta
        expected = np.mean(_bce_per_example(x, x_reconstructed) + beta * _kl(mu, log_var))
        ex.compare(case, tensor_modes.as_numpy(out), expected, kind="scalar", rtol=1e-4, atol=1e-5,
                   mistakes=mistakes_from(_vae_loss_answer, _VAE_LOSS_MISTAKES, x,
                                          x_reconstructed, mu, log_var, beta),
                   hint=hint, shape_hint="return the mean over the batch, one number.",
                   nonfinite_hint="log(0) is -inf. The reconstructions here are in "
                                  "(0, 1) but the images x hold exact 0s and 1s: take the "
                                  "logs of x_reconstructed and 1 - x_reconstructed, not of x "
                                  "(x and x_reconstructed swapped?).")


# ----------------------------------------------------------- the GAN losses ---

def _gan_bce(labels, logits, *, read_as="logits", dtype="float64"):
    """The binary cross-entropy of `labels` and `logits` averaged over the batch, as a float:
    `keras.losses.BinaryCrossentropy(from_logits=True)` in float64, with switches for the
    known mistakes.

    Args:
        labels, logits: arrays of one shape.
        read_as: how the logits are taken: "logits" (right), "probabilities"
            (from_logits=True missing: Keras clips them to [1e-7, 1 - 1e-7] and adds 1e-7
            inside its logs), "log" (the log of the logits themselves, no Keras) or
            "sigmoid twice" (a sigmoid applied before the loss's own).
        dtype: the dtype Keras computes in: "float32" (its default) gives other values
            than "float64" for probabilities.
    """
    keras = import_keras()
    labels, logits = np.asarray(labels, np.float64), np.asarray(logits, np.float64)
    if read_as == "log":
        return float(-np.mean(np.where(labels == 1, np.log(logits), np.log(1 - logits))))
    if read_as == "sigmoid twice":
        logits = sigmoid(logits)
    loss = keras.losses.BinaryCrossentropy(from_logits=read_as != "probabilities", dtype=dtype)
    return float(loss(labels.astype(dtype), logits.astype(dtype)))


#: Mistakes of both GAN losses: the logits taken for probabilities, in Keras's default
#: float32 and in float64 (which give other values).
_LOGITS_AS_PROBABILITIES = {
    "logits treated as probabilities (from_logits=True missing): the discriminator outputs "
    "logits, before any sigmoid": {"read_as": "probabilities", "dtype": "float32"},
    "logits treated as probabilities (from_logits=True missing), in float64: the "
    "discriminator outputs logits, before any sigmoid": {"read_as": "probabilities"},
}

_LOGITS_HINT = ("use keras.losses.BinaryCrossentropy(from_logits=True), or the stable form "
                "softplus: BCE(1, x) = softplus(-x), BCE(0, x) = softplus(x).")
_STABLE_HINT = ("log(sigmoid(x)) overflows or gives log(0) for large |x|: use "
                "keras.losses.BinaryCrossentropy(from_logits=True) or softplus "
                "(BCE(1, x) = softplus(-x)), which stay finite.")


def _logits(seed, shape, scale=2.0, dtype=np.float64):
    return random_values(seed, shape, scale=scale).astype(dtype)


def _discriminator_loss_cases():
    """(case, mode, real_logits, fake_logits) for 10.5: NumPy cases, then float32 tensors."""
    large = np.array([[-120.0], [-30.0], [5.0], [60.0]], np.float32)
    return tensor_modes.with_tensor_modes([
        ("3 real and 6 fake logits, (batch, 1)", "numpy", _logits(504, (3, 1)),
         _logits(505, (6, 1))),
        ("(4, 1) logits", "numpy", _logits(500, (4, 1)), _logits(501, (4, 1))),
        ("(5,) float32 logits", "numpy", _logits(502, (5,), dtype=np.float32),
         _logits(503, (5,), dtype=np.float32)),
        ("float32 logits from -120 to 60", "numpy", large, large[::-1].copy()),
        ("(4, 1) logits", "numpy", _logits(506, (4, 1)), _logits(507, (4, 1))),
    ], unknown_batch=True)


def _discriminator_loss_answer(real, fake, *, labels=(1.0, 0.0), terms=("real", "fake"),
                               scale=1.0, together=False, read_as="logits", dtype="float64"):
    """BCE(1, real) + BCE(0, fake), each averaged over its own batch, with switches for the
    known mistakes.

    Args:
        real, fake: the discriminator's logits on real and on generated images.
        labels: the labels of the real and the fake logits.
        terms: the terms added up: "real", "fake" or both.
        scale: what the sum is multiplied by (0.5 for a mean of the terms, -1).
        together: True takes one mean over the real and fake logits together.
        read_as, dtype: how each term takes the logits, as for `_gan_bce`.
    """
    if together:
        return _gan_bce(np.concatenate([np.full(np.size(real), labels[0]),
                                        np.full(np.size(fake), labels[1])]),
                        np.concatenate([np.ravel(real), np.ravel(fake)]),
                        read_as=read_as, dtype=dtype)
    found = {"real": _gan_bce(np.full(np.shape(real), labels[0]), real, read_as=read_as,
                              dtype=dtype),
             "fake": _gan_bce(np.full(np.shape(fake), labels[1]), fake, read_as=read_as,
                              dtype=dtype)}
    return scale * sum(found[term] for term in terms)


_DISCRIMINATOR_LOSS_MISTAKES = {
    "labels swapped: real logits get label 1, fake logits label 0": {"labels": (0.0, 1.0)},
    **_LOGITS_AS_PROBABILITIES,
    "log of the logits themselves: they are logits, so the loss needs log(sigmoid(x)) "
    "(e.g. from_logits=True)": {"read_as": "log"},
    "sigmoid applied twice: with from_logits=True the loss applies the sigmoid itself":
        {"read_as": "sigmoid twice"},
    "only the real term: add the fake term, BCE of the fake logits against label 0":
        {"terms": ("real",)},
    "only the fake term: add the real term, BCE of the real logits against label 1":
        {"terms": ("fake",)},
    "averaged instead of summed: the loss is the real term plus the fake term": {"scale": 0.5},
    "one mean over the real and fake logits together: average each term over its own "
    "batch, then add them": {"together": True},
    "sign flipped: a cross-entropy is >= 0": {"scale": -1.0},
}


@exercise("10.5")
def discriminator_loss(ex):
    """Checks `discriminator_loss(real_logits, fake_logits)` against Keras.

    The loss is BCE(1, real_logits) + BCE(0, fake_logits), each the binary
    cross-entropy from logits averaged over its own batch (the TensorFlow DCGAN
    tutorial's form), compared with `keras.losses.BinaryCrossentropy(from_logits=True)`
    in float64. Logits are (batch, 1) or (batch,); one number comes back (a NumPy or
    Python number, or a 0-d tensor). Cases: batches of 3 real and 6 fake, (4, 1)
    logits, (5,) float32 logits, logits from -120 to 60 in float32 (a naive
    log(sigmoid) gives log(0)), and float32 tensors, eagerly and inside tf.function.
    """
    hint = ("BCE of the real logits against label 1 plus BCE of the fake logits against "
            "label 0, each averaged over its batch. " + _LOGITS_HINT)
    for case, mode, real, fake in _discriminator_loss_cases():
        out = tensor_modes.call(ex, case, mode, real, fake)
        expected = _gan_bce(np.ones_like(real), real) + _gan_bce(np.zeros_like(fake), fake)
        rtol, atol = tensor_modes.tolerances(_dtype_of(real, fake))
        ex.compare(case, tensor_modes.as_numpy(out), expected, kind="scalar", rtol=rtol, atol=atol,
                   mistakes=mistakes_from(_discriminator_loss_answer,
                                          _DISCRIMINATOR_LOSS_MISTAKES, real, fake),
                   hint=hint, shape_hint="return one number: each term is a mean over its batch.",
                   nonfinite_hint=_STABLE_HINT)


def _generator_loss_cases():
    """(case, mode, fake_logits) for 10.6: NumPy cases, then float32 tensors."""
    return tensor_modes.with_tensor_modes([
        ("(4, 1) logits", "numpy", _logits(600, (4, 1))),
        ("(5,) float32 logits", "numpy", _logits(601, (5,), dtype=np.float32)),
        ("a batch of one, (1, 1)", "numpy", np.array([[-0.7]])),
        ("float32 logits from -120 to 60", "numpy",
         np.array([-120.0, -30.0, 5.0, 60.0], np.float32)),
        ("(6, 1) logits", "numpy", _logits(602, (6, 1))),
    ], unknown_batch=True)


def _generator_loss_answer(fake, *, label=1.0, sign=1.0, batch="mean", read_as="logits",
                           dtype="float64"):
    """BCE(1, fake) averaged over the batch, with switches for the known mistakes.

    Args:
        fake: the discriminator's logits on generated images.
        label: the label the fakes are compared with.
        sign: -1 flips the loss.
        batch: "mean" (right) or "sum" over the batch.
        read_as, dtype: how the loss takes the logits, as for `_gan_bce`.
    """
    loss = sign * _gan_bce(np.full(np.shape(fake), label), fake, read_as=read_as, dtype=dtype)
    return loss * np.size(fake) if batch == "sum" else loss


_GENERATOR_LOSS_MISTAKES = {
    "the saturating loss (minimising log(1 - D(G(z))), i.e. -BCE(0, logits)): its "
    "gradient vanishes while the discriminator wins; the non-saturating loss is "
    "BCE(1, logits)": {"label": 0.0, "sign": -1.0},
    "label 0: that is the discriminator's fake term; the generator wants its fakes "
    "labelled real, 1": {"label": 0.0},
    "sign flipped: the loss is BCE(1, logits), >= 0": {"sign": -1.0},
    **_LOGITS_AS_PROBABILITIES,
    "log of the logits themselves: the loss is -log(sigmoid(x)), e.g. from_logits=True":
        {"read_as": "log"},
    "sigmoid applied twice: with from_logits=True the loss applies the sigmoid itself":
        {"read_as": "sigmoid twice"},
    "summed over the batch: the loss is the mean over the batch": {"batch": "sum"},
}


@exercise("10.6")
def generator_loss(ex):
    """Checks `generator_loss(fake_logits)`: the non-saturating generator loss.

    BCE(1, fake_logits) from logits, averaged over the batch (= the mean of
    softplus(-fake_logits)), compared with
    `keras.losses.BinaryCrossentropy(from_logits=True)` in float64. Logits are
    (batch, 1) or (batch,); one number comes back (a NumPy or Python number, or a
    0-d tensor). Cases: (4, 1), (5,) float32, a batch of one, logits from -120 to 60
    in float32, and float32 tensors, eagerly and inside tf.function.
    """
    hint = ("the generator wants D to call its fakes real: BCE of the fake logits against "
            "label 1, averaged over the batch. " + _LOGITS_HINT)
    for case, mode, fake in _generator_loss_cases():
        out = tensor_modes.call(ex, case, mode, fake)
        rtol, atol = tensor_modes.tolerances(_dtype_of(fake))
        ex.compare(case, tensor_modes.as_numpy(out), _gan_bce(np.ones_like(fake), fake),
                   kind="scalar", rtol=rtol, atol=atol,
                   mistakes=mistakes_from(_generator_loss_answer, _GENERATOR_LOSS_MISTAKES, fake),
                   hint=hint, shape_hint="return one number, the mean over the batch.",
                   nonfinite_hint=_STABLE_HINT)


# ------------------------------------------------------ linear_beta_schedule ---

def _linear_beta_schedule_cases():
    """(case, num_steps, (beta_start, beta_end) or None for the defaults) for 10.7."""
    return [("1000 steps, default betas (1e-4 to 0.02)", 1000, None),
            ("10 steps from 0.001 to 0.05", 10, (0.001, 0.05)),
            ("2 steps from 0.1 to 0.2: [beta_start, beta_end]", 2, (0.1, 0.2)),
            ("1 step from 0.005 to 0.01: [beta_start]", 1, (0.005, 0.01))]


def _linear_beta_schedule_answer(num_steps, beta_start, beta_end, *, one_step="beta_start",
                                 endpoint=True, late=False, swap=False, returns="betas"):
    """num_steps betas evenly spaced from beta_start to beta_end, with switches for the
    known mistakes.

    Args:
        num_steps, beta_start, beta_end: the schedule.
        one_step: what a schedule of one step holds: "beta_start" (right) or "beta_end".
        endpoint: False leaves beta_end out, like np.arange.
        late: True starts one step late (the first value is not beta_start).
        swap: True runs from beta_end to beta_start.
        returns: "betas" (right), "alphas" (1 - beta) or "cumulative alphas".
    """
    if swap:
        beta_start, beta_end = beta_end, beta_start
    if num_steps == 1 and one_step == "beta_end":
        betas = np.array([beta_end])
    elif late:
        betas = np.linspace(beta_start, beta_end, num_steps + 1)[1:]
    else:
        betas = np.linspace(beta_start, beta_end, num_steps, endpoint=endpoint)
    return {"betas": betas, "alphas": 1 - betas, "cumulative alphas": np.cumprod(1 - betas)}[
        returns]


_LINEAR_BETA_SCHEDULE_MISTAKES = {
    "one step gives [beta_start], the start of the schedule, not [beta_end]":
        {"one_step": "beta_end"},
    "beta_end excluded (like np.arange or np.linspace(..., endpoint=False)): the "
    "schedule runs from beta_start to beta_end, both included": {"endpoint": False},
    "the schedule starts one step late: its first value is beta_start": {"late": True},
    "beta_start and beta_end swapped: the betas grow from beta_start to beta_end":
        {"swap": True},
    "the alphas (1 - beta) returned instead of the betas": {"returns": "alphas"},
    "the cumulative alphas (the product of 1 - beta) returned instead of the betas":
        {"returns": "cumulative alphas"},
}


@exercise("10.7")
def linear_beta_schedule(ex):
    """Checks `linear_beta_schedule(num_steps, beta_start=1e-4, beta_end=0.02)`.

    The result is a NumPy float64 array of num_steps values, evenly spaced from
    beta_start to beta_end, both included (Ho et al. 2020), compared with
    `np.linspace(beta_start, beta_end, num_steps)`; one step gives [beta_start].
    Cases: 1000 steps with the defaults, 10 steps from 0.001 to 0.05, 2 steps and
    1 step.
    """
    hint = ("num_steps values from beta_start to beta_end, both included, evenly spaced: "
            "np.linspace(beta_start, beta_end, num_steps).")
    for case, steps, betas in _linear_beta_schedule_cases():
        out = ex.call(case, steps) if betas is None else ex.call(case, steps, *betas)
        start, end = betas or (1e-4, 0.02)
        ex.compare(case, out, np.linspace(start, end, steps), hint=hint,
                   mistakes=mistakes_from(_linear_beta_schedule_answer,
                                          _LINEAR_BETA_SCHEDULE_MISTAKES, steps, start, end),
                   shape_hint="exactly num_steps values: np.linspace(beta_start, beta_end, "
                              "num_steps) gives that many; np.arange with a float step "
                              "can give one more or one fewer.")
        ex.require(case, out.dtype == np.float64,
                   f"the values are right, but the dtype is {out.dtype}, expected float64.",
                   "the sampler multiplies 1 - beta over hundreds of steps; build the "
                   "schedule in float64 (np.linspace's default).")


# ------------------------------------------------------- forward_diffusion ---

def _alphas_bar(num_steps, beta_end=0.2):
    return np.cumprod(1.0 - np.linspace(1e-4, beta_end, num_steps))


def _diffused(x0, noise, signal, noise_weight):
    """signal * x0 + noise_weight * noise, the weights (batch,) spread over each example."""
    x0, noise = np.asarray(x0, np.float64), np.asarray(noise, np.float64)
    shape = (len(x0),) + (1,) * (x0.ndim - 1)
    return np.reshape(signal, shape) * x0 + np.reshape(noise_weight, shape) * noise


def _forward_diffusion_cases():
    """(case, shape of x0, steps t, seed) for 10.8, with alphas_bar = _alphas_bar(50)."""
    return [
        ("(4, 6, 6, 1) images, steps [0, 9, 30, 17] of 50", (4, 6, 6, 1), [0, 9, 30, 17], 800),
        ("(3, 5) vectors, steps [49, 2, 25]: the last step", (3, 5), [49, 2, 25], 801),
        ("(3, 4, 3): the batch size equals the last axis, steps [1, 20, 40]", (3, 4, 3),
         [1, 20, 40], 802),
        ("float32 (2, 28, 28, 1) images, steps [5, 44]", (2, 28, 28, 1), [5, 44], 803),
        ("a batch of one, (1, 3, 3, 1), step [12]", (1, 3, 3, 1), [12], 804),
    ]


def _forward_diffusion_answer(x0, t, noise, alphas_bar, *, signal="sqrt(ab)",
                              spread="sqrt(1 - ab)", shift=0, first=False, per_example=True):
    """signal * x0 + spread * noise with ab = alphas_bar[t], in float64, with switches for
    the known mistakes. A mistake that would raise on a case gives None (no result).

    Args:
        x0, t, noise, alphas_bar: as for forward_diffusion.
        signal, spread: the weights of x0 and of the noise, in terms of ab: "sqrt(ab)"
            and "sqrt(1 - ab)" (right), "ab", "1 - ab" or "1 - sqrt(ab)".
        shift: ab = alphas_bar[t + shift] (-1 at t = 0 wraps round to alphas_bar[-1]).
        first: True uses t[0] for the whole batch.
        per_example: False multiplies by the weights (batch,) along the last axis.
    """
    if np.any(t + shift >= len(alphas_bar)):
        return None  # IndexError
    ab = np.full(len(t), alphas_bar[t[0]]) if first else alphas_bar[t + shift]
    weights = {"sqrt(ab)": np.sqrt(ab), "ab": ab, "sqrt(1 - ab)": np.sqrt(1 - ab),
               "1 - ab": 1 - ab, "1 - sqrt(ab)": 1 - np.sqrt(ab)}
    if per_example:
        return _diffused(x0, noise, weights[signal], weights[spread])
    if x0.ndim == 1 or x0.shape[-1] != len(t):
        return None  # the weights do not broadcast along the last axis (or they are right)
    return (weights[signal] * np.asarray(x0, np.float64)
            + weights[spread] * np.asarray(noise, np.float64))


_FORWARD_DIFFUSION_MISTAKES = {
    "no square roots: the weights are sqrt(alphas_bar[t]) and sqrt(1 - alphas_bar[t])":
        {"signal": "ab", "spread": "1 - ab"},
    "the signal and noise weights swapped: x0 gets sqrt(alphas_bar[t]), the noise "
    "sqrt(1 - alphas_bar[t])": {"signal": "sqrt(1 - ab)", "spread": "sqrt(ab)"},
    "1 - sqrt(alphas_bar[t]) as the noise weight: it is sqrt(1 - alphas_bar[t])":
        {"spread": "1 - sqrt(ab)"},
    "t shifted by one (alphas_bar[t - 1]): t is a 0-based index, step t uses "
    "alphas_bar[t]": {"shift": -1},
    "the noise weight without its square root": {"spread": "1 - ab"},
    "t shifted by one (alphas_bar[t + 1]): t is a 0-based index, step t uses "
    "alphas_bar[t]": {"shift": 1},
    "one t for the whole batch (t[0]): each example has its own step t[i]": {"first": True},
    "the weights broadcast along the last axis, not per example: reshape "
    "alphas_bar[t] to (batch, 1, ..., 1)": {"per_example": False},
}


def _explain_diffusion_error(message):
    """The hint for an error that a known forward_diffusion mistake raises, else None."""
    if "broadcast" in message:
        return ("alphas_bar[t] has shape (batch,): reshape it to (batch, 1, ..., 1), one "
                "axis per axis of x0, so that each example's weight spreads over its own "
                "values.")
    if "out of bounds" in message or "IndexError" in message:
        return ("t holds 0-based indices into alphas_bar: step t uses alphas_bar[t] "
                "(t + 1 runs past the end at the last step).")
    return None


@exercise("10.8")
def forward_diffusion(ex):
    """Checks `forward_diffusion(x0, t, noise, alphas_bar)`: a sample of q(x_t | x_0).

    x_t = sqrt(alphas_bar[t]) * x0 + sqrt(1 - alphas_bar[t]) * noise, where `x0` and
    `noise` are float arrays (batch, ...), `t` an int array (batch,) of 0-based steps
    and `alphas_bar` the float64 cumulative products of 1 - beta; each example's two
    weights spread over its other axes. The result (a NumPy array or a tensor of the
    shape of x0) is compared with that definition in float64, then, for 20,000 noises
    of two examples, its mean and variance with sqrt(alphas_bar[t]) * x0 and
    1 - alphas_bar[t]. Cases: (4, 6, 6, 1) images with t 0 among the steps, (3, 5)
    with the last step, (3, 4, 3) (the batch size equals the last axis, where
    weights broadcast along it go unnoticed), float32 (2, 28, 28, 1), a batch of one.
    """
    hint = ("x_t = sqrt(alphas_bar[t]) * x0 + sqrt(1 - alphas_bar[t]) * noise, with "
            "alphas_bar[t] of shape (batch,) reshaped to (batch, 1, ..., 1) so that each "
            "example gets its own step.")
    schedule = _alphas_bar(50)
    for case, shape, steps, seed in _forward_diffusion_cases():
        dtype = np.float32 if "float32" in case else np.float64
        x0 = random_values(seed, shape).astype(dtype)
        noise = random_values(seed + 50, shape).astype(dtype)
        t = np.array(steps)
        out = ex.call_explained(case, _explain_diffusion_error, x0, t, noise, schedule)
        ab = schedule[t]
        rtol, atol = tensor_modes.tolerances(dtype)
        ex.compare(case, out, _diffused(x0, noise, np.sqrt(ab), np.sqrt(1 - ab)), kind="tensor",
                   rtol=rtol, atol=atol, hint=hint,
                   mistakes=mistakes_from(_forward_diffusion_answer, _FORWARD_DIFFUSION_MISTAKES,
                                          x0, t, noise, schedule),
                   shape_hint="x_t has the shape of x0. Multiplying x0 by an array of shape "
                              "(batch,) broadcasts it along the last axis: reshape "
                              "alphas_bar[t] to (batch, 1, ..., 1), one weight per example.")
    base, steps = random_values(805, (2, 3)), np.array([4, 40])
    case = (f"{DRAWS} noises of 2 examples: mean sqrt(alphas_bar[t]) * x0, variance "
            f"1 - alphas_bar[t]")
    out = ex.call(case, np.tile(base, (DRAWS, 1)), np.tile(steps, DRAWS),
                  np.random.default_rng(806).standard_normal((DRAWS * 2, 3)), schedule)
    ab = schedule[steps][:, None]
    _compare_moments(ex, case, out, base.shape, np.sqrt(ab) * base,
                     np.broadcast_to(1 - ab, base.shape), hint)


# -------------------------------------------------------- ddpm_sample_step ---

def _ddpm_sample_step_cases():
    """(case, t, shape, seed) for 10.9, with betas np.linspace(1e-4, 0.2, 50)."""
    return [
        ("t 25 of 50, (3, 4, 4, 1)", 25, (3, 4, 4, 1), 900),
        ("t 1: beta_tilde_1 is much smaller than beta_1, (2, 6)", 1, (2, 6), 901),
        ("t 0: the last step adds no noise, (2, 4, 4, 1)", 0, (2, 4, 4, 1), 902),
        ("t 49, the first step of sampling, (2, 5)", 49, (2, 5), 903),
        ("float32 (2, 28, 28, 1), t 10", 10, (2, 28, 28, 1), 904),
    ]


def _ddpm_sample_step_answer(x_t, t, predicted_noise, betas, noise, *, factor="alpha",
                             coefficient="bar", sign=-1, variance="posterior", std=True,
                             last_step_noise=None, clip_x0=False):
    """One reverse step of DDPM in float64, with switches for the known mistakes.

    Hand-written: no installed library has a DDPM sampler (diffusers is not
    installed). From Ho et al. (2020), eq. 11 for the mean and Algorithm 2, with the
    posterior variance beta_tilde_t = beta_t * (1 - alphas_bar[t-1]) / (1 - alphas_bar[t]).

    Args:
        x_t, t, predicted_noise, betas, noise: as for ddpm_sample_step.
        factor: the mean divides by sqrt(alphas[t]) ("alpha", right) or by
            sqrt(alphas_bar[t]) ("bar").
        coefficient: the noise coefficient is betas[t] / sqrt(1 - alphas_bar[t]) ("bar",
            right) or betas[t] / sqrt(1 - alphas[t]) ("alpha").
        sign: +1 adds the predicted noise instead of subtracting it.
        variance: sigma**2 for t > 0: "posterior" (right), "beta" (beta_t), "swapped"
            (alphas_bar[t] and alphas_bar[t - 1] swapped), "next" (that of step t + 1) or
            "none".
        std: False scales the noise by sigma**2 instead of sigma.
        last_step_noise: the variance of noise added at t = 0, where none belongs: "beta"
            or "posterior" (alphas_bar[t - 1] wraps round to alphas_bar[-1]).
        clip_x0: True estimates x0 from the predicted noise, clips it to [-1, 1] and
            takes the posterior mean of q(x_{t-1} | x_t, x0) (Ho et al. eq. 7), as the
            keras.io DDPM example does by default (`clip_denoised=True`).
    """
    x_t, eps, z = (np.asarray(a, np.float64) for a in (x_t, predicted_noise, noise))
    alphas = 1.0 - betas
    alphas_bar = np.cumprod(alphas)
    under_root = alphas_bar[t] if coefficient == "bar" else alphas[t]
    scale = alphas[t] if factor == "alpha" else alphas_bar[t]
    mean = (x_t + sign * betas[t] / np.sqrt(1 - under_root) * eps) / np.sqrt(scale)
    if clip_x0:
        before = alphas_bar[t - 1] if t > 0 else 1.0
        x0 = np.clip((x_t - np.sqrt(1 - alphas_bar[t]) * eps) / np.sqrt(alphas_bar[t]), -1, 1)
        mean = (np.sqrt(before) * betas[t] * x0
                + np.sqrt(alphas[t]) * (1 - before) * x_t) / (1 - alphas_bar[t])
    if t == 0:
        if last_step_noise is None:
            return mean
        variance = last_step_noise
    previous = alphas_bar[t - 1]  # at t = 0 only for a mistake: NumPy wraps round to the end
    sigma2 = {"posterior": betas[t] * (1 - previous) / (1 - alphas_bar[t]),
              "beta": betas[t],
              "swapped": betas[t] * (1 - alphas_bar[t]) / (1 - previous),
              "next": (betas[t + 1] * (1 - alphas_bar[t]) / (1 - alphas_bar[t + 1])
                       if t + 1 < len(betas) else np.nan),
              "none": 0.0}[variance]
    return mean + (np.sqrt(sigma2) if std else sigma2) * z


_DDPM_SAMPLE_STEP_MISTAKES = {
    "alphas instead of cumulative alphas in the noise coefficient: it is "
    "betas[t] / sqrt(1 - alphas_bar[t])": {"coefficient": "alpha"},
    "cumulative alphas in the 1 / sqrt(alpha_t) factor: the mean divides by "
    "sqrt(alphas[t]) = sqrt(1 - betas[t])": {"factor": "bar"},
    "the predicted noise added instead of subtracted": {"sign": 1},
    "noise added at t = 0: the last step returns the mean (with sigma**2 = beta_0)":
        {"last_step_noise": "beta"},
    "noise added at t = 0: the last step returns the mean (alphas_bar[t - 1] wrapped "
    "round to alphas_bar[-1])": {"last_step_noise": "posterior"},
    "sigma**2 = beta_t, the other variance choice in Ho et al.: this exercise uses the "
    "posterior variance beta_tilde_t = betas[t] * (1 - alphas_bar[t - 1]) / "
    "(1 - alphas_bar[t])": {"variance": "beta"},
    "the posterior variance with alphas_bar[t] and alphas_bar[t - 1] swapped: it is "
    "betas[t] * (1 - alphas_bar[t - 1]) / (1 - alphas_bar[t])": {"variance": "swapped"},
    "the posterior variance of step t + 1: use betas[t], alphas_bar[t] and "
    "alphas_bar[t - 1]": {"variance": "next"},
    "the variance where the standard deviation belongs: the noise is scaled by "
    "sqrt(beta_tilde_t)": {"std": False},
    "no noise added: for t > 0, x_{t-1} = mean + sqrt(beta_tilde_t) * noise":
        {"variance": "none"},
    "x0 estimated from the predicted noise and clipped to [-1, 1] before the mean (the "
    "keras.io DDPM example's default, clip_denoised=True): this function takes the mean "
    "straight from predicted_noise, (x_t - betas[t] / sqrt(1 - alphas_bar[t]) * "
    "predicted_noise) / sqrt(alphas[t]), with no clipping": {"clip_x0": True},
}


@exercise("10.9")
def ddpm_sample_step(ex):
    """Checks `ddpm_sample_step(x_t, t, predicted_noise, betas, noise)`: one reverse step.

    With alphas = 1 - betas and alphas_bar their cumulative products, the mean is
    (x_t - betas[t] / sqrt(1 - alphas_bar[t]) * predicted_noise) / sqrt(alphas[t]);
    for t > 0 the result is mean + sqrt(beta_tilde_t) * noise with the posterior
    variance beta_tilde_t = betas[t] * (1 - alphas_bar[t - 1]) / (1 - alphas_bar[t]),
    and at t = 0 it is the mean, no noise. The mean comes straight from
    predicted_noise: no estimate of x0 clipped to [-1, 1] (the keras.io DDPM example
    clips by default; that mistake is named). `t` is a Python int (one step for the
    whole batch); `x_t`, `predicted_noise` and `noise` are float arrays (batch, ...);
    `betas` a float64 array (num_steps,). The result (a NumPy array or a tensor of
    the shape of x_t) is compared with Ho et al. (2020), Algorithm 2, written out in
    float64. Cases: t 25, 1, 0 and 49 of 50, and float32 (2, 28, 28, 1) at t 10.
    """
    hint = ("alphas = 1 - betas, alphas_bar = np.cumprod(alphas); mean = (x_t - betas[t] / "
            "sqrt(1 - alphas_bar[t]) * predicted_noise) / sqrt(alphas[t]); for t > 0 add "
            "sqrt(betas[t] * (1 - alphas_bar[t - 1]) / (1 - alphas_bar[t])) * noise; at t = 0 "
            "return the mean.")
    betas = np.linspace(1e-4, 0.2, 50)
    for case, t, shape, seed in _ddpm_sample_step_cases():
        dtype = np.float32 if "float32" in case else np.float64
        x_t, predicted, noise = (random_values(seed + 10 * i, shape).astype(dtype)
                                 for i in range(3))
        out = ex.call(case, x_t, t, predicted, betas, noise)
        rtol, atol = tensor_modes.tolerances(dtype)
        ex.compare(case, out, _ddpm_sample_step_answer(x_t, t, predicted, betas, noise),
                   kind="tensor", rtol=rtol, atol=atol, hint=hint,
                   mistakes=mistakes_from(_ddpm_sample_step_answer, _DDPM_SAMPLE_STEP_MISTAKES,
                                          x_t, t, predicted, betas, noise),
                   shape_hint="x_{t-1} has the shape of x_t: t is one step for the whole "
                              "batch, so betas[t] and alphas_bar[t] are single numbers.")
