"""Mutation tests of helpers.checks.generative (notebook 10): the tests of every exercise
(tests/mutants.py) on the references and wrong versions below, then other correct
answers that must pass, the oracles against independent derivations and messages
read in full.
"""

import keras
import numpy as np
import pytest

from helpers.checks import generative as check
from helpers.checks.core import CheckError

from mutants import CheckTests

L = keras.layers
ops = keras.ops


# ------------------------------------------------------------ references ---

def build_autoencoder(latent_dim, *, activation="sigmoid", latent=None, output=(28, 28, 1),
                      image=(28, 28, 1), copy=(), extra=False, skip=False, count=3):
    code = latent_dim if latent is None else latent
    encoder = keras.Sequential([keras.Input(shape=image), L.Flatten(),
                                L.Dense(32, activation="relu"), L.Dense(code)])
    decoder = keras.Sequential([keras.Input(shape=(code,)), L.Dense(32, activation="relu"),
                                L.Dense(784, activation=activation)]
                               + ([L.Reshape(output)] if output != (784,) else []))
    inputs = keras.Input(shape=image)
    parts = {"encoder": encoder, "decoder": decoder}
    for name in copy:  # a clone: the same layers with weights of its own
        parts[name] = keras.models.clone_model(parts[name])
    y = parts["decoder"](parts["encoder"](inputs))
    if extra:
        y = L.Conv2D(1, 1, activation="sigmoid")(y)
    if skip:
        y = L.Average()([y, inputs])
    return (encoder, decoder, keras.Model(inputs, y))[:count]


def reparameterize(mu, log_var, eps, *, std=lambda v: ops.exp(0.5 * v), sign=1, noise=True):
    return mu + sign * std(log_var) * (eps if noise else 1.0)


def kl_divergence(mu, log_var, *, sign=-1, one=1.0, half=0.5, variance=ops.exp,
                  latent=ops.sum, batch=ops.mean):
    terms = one + log_var - mu ** 2 - variance(log_var)
    return batch(sign * half * latent(terms, axis=-1))


def vae_loss(x, x_reconstructed, mu, log_var, beta=1.0, *, pixels=ops.sum, kl_weight=None,
             kl_sign=1, batch=ops.mean, beta_on_reconstruction=False, squared=False):
    axes = tuple(range(1, len(x.shape)))
    bce = -(x * ops.log(x_reconstructed) + (1 - x) * ops.log(1 - x_reconstructed))
    if squared:
        bce = (x - x_reconstructed) ** 2
    kl = -0.5 * ops.sum(1 + log_var - mu ** 2 - ops.exp(log_var), axis=-1)
    weight = beta if kl_weight is None else kl_weight(beta)
    reconstruction = pixels(bce, axis=axes) * (beta if beta_on_reconstruction else 1.0)
    return batch(reconstruction + kl_sign * weight * kl)


def discriminator_loss(real_logits, fake_logits, *, labels=(1.0, 0.0), from_logits=True,
                       twice=False, terms=("real", "fake"), scale=1.0):
    bce = keras.losses.BinaryCrossentropy(from_logits=from_logits)
    if twice:
        real_logits, fake_logits = ops.sigmoid(real_logits), ops.sigmoid(fake_logits)
    found = {"real": bce(ops.full_like(real_logits, labels[0]), real_logits),
             "fake": bce(ops.full_like(fake_logits, labels[1]), fake_logits)}
    return scale * sum(found[term] for term in terms)


def generator_loss(fake_logits, *, label=1.0, from_logits=True, twice=False, sign=1,
                   reduction="sum_over_batch_size"):
    bce = keras.losses.BinaryCrossentropy(from_logits=from_logits, reduction=reduction)
    logits = ops.sigmoid(fake_logits) if twice else fake_logits
    return sign * bce(ops.full_like(fake_logits, label), logits)


def linear_beta_schedule(num_steps, beta_start=1e-4, beta_end=0.02, *, endpoint=True,
                         swap=False, returns="betas", dtype=np.float64):
    if swap:
        beta_start, beta_end = beta_end, beta_start
    betas = np.linspace(beta_start, beta_end, num_steps, endpoint=endpoint)
    found = {"betas": betas, "alphas": 1 - betas, "alphas_bar": np.cumprod(1 - betas)}
    return found[returns].astype(dtype)


def forward_diffusion(x0, t, noise, alphas_bar, *, roots=True, swap=False, shift=0,
                      first=False, per_example=True, noise_weight=None):
    ab = alphas_bar[t + shift] if not first else np.full(len(t), alphas_bar[t[0]])
    if per_example:
        ab = ab.reshape((-1,) + (1,) * (x0.ndim - 1))
    signal, spread = (np.sqrt(ab), np.sqrt(1 - ab)) if roots else (ab, 1 - ab)
    if noise_weight is not None:
        spread = noise_weight(ab)
    if swap:
        signal, spread = spread, signal
    return signal * x0 + spread * noise


def ddpm_sample_step(x_t, t, predicted_noise, betas, noise, *, bar_in_noise=True,
                     bar_in_factor=False, sigma="posterior", last_noise=False, wrap=False,
                     root=True, eps_sign=-1):
    alpha = 1.0 - betas
    cumulative = np.cumprod(alpha)
    noise_coefficient = betas[t] / np.sqrt(1 - (cumulative if bar_in_noise else alpha)[t])
    divide = np.sqrt((cumulative if bar_in_factor else alpha)[t])
    mean = (x_t + eps_sign * noise_coefficient * predicted_noise) / divide
    if t == 0 and not last_noise:
        return mean
    before = cumulative[t - 1] if t > 0 or wrap else 1.0  # wrap: alphas_bar[-1] at t = 0
    variance = {"posterior": (1 - before) / (1 - cumulative[t]) * betas[t],
                "beta": betas[t],
                "swapped": (1 - cumulative[t]) / (1 - cumulative[t - 1]) * betas[t],
                "next": lambda: (1 - cumulative[t]) / (1 - cumulative[t + 1]) * betas[t + 1],
                "none": 0.0}[sigma]
    variance = variance() if callable(variance) else variance
    return mean + (np.sqrt(variance) if root else variance) * noise


REFERENCES = {
    "build_autoencoder": build_autoencoder,
    "reparameterize": reparameterize,
    "kl_divergence": kl_divergence,
    "vae_loss": vae_loss,
    "discriminator_loss": discriminator_loss,
    "generator_loss": generator_loss,
    "linear_beta_schedule": linear_beta_schedule,
    "forward_diffusion": forward_diffusion,
    "ddpm_sample_step": ddpm_sample_step,
}


# ---------------------------------------------------------------- mutants ---

def _numpy_reparameterize(mu, log_var, eps):
    return mu + np.exp(0.5 * log_var) * eps


def _numpy_kl(mu, log_var):
    return -0.5 * np.mean(np.sum(1 + log_var - mu ** 2 - np.exp(log_var), axis=-1))


def _naive_sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _naive_discriminator(real_logits, fake_logits):
    with np.errstate(all="ignore"):
        return (-np.mean(np.log(_naive_sigmoid(real_logits)))
                - np.mean(np.log(1 - _naive_sigmoid(fake_logits))))


def _naive_generator(fake_logits):
    with np.errstate(all="ignore"):
        return -np.mean(np.log(_naive_sigmoid(fake_logits)))


def _kl_with_sigma(mu, log_var):
    return ops.mean(-0.5 * ops.sum(1 + ops.log(log_var ** 2) - mu ** 2 - log_var ** 2, axis=-1))


def _keras_bce_mean_over_pixels(x, x_reconstructed, mu, log_var, beta=1.0):
    kl = -0.5 * ops.sum(1 + log_var - mu ** 2 - ops.exp(log_var), axis=-1)
    return ops.mean(keras.losses.binary_crossentropy(x, x_reconstructed)) + beta * ops.mean(kl)


def _keras_bce_swapped(x, x_reconstructed, mu, log_var, beta=1.0):
    flat = ops.reshape(x, (x.shape[0], -1)), ops.reshape(x_reconstructed, (x.shape[0], -1))
    reconstruction = keras.losses.binary_crossentropy(flat[1], flat[0]) * flat[0].shape[1]
    return ops.mean(reconstruction + beta * kl_divergence(mu, log_var, batch=lambda k: k))


def _decoder_ending(latent_dim, *ending):
    """The reference's encoder, a decoder ending with `ending`, and the autoencoder."""
    encoder = build_autoencoder(latent_dim)[0]
    decoder = keras.Sequential([keras.Input(shape=(latent_dim,)), L.Dense(32, activation="relu"),
                                *ending, L.Reshape((28, 28, 1))])
    inputs = keras.Input(shape=(28, 28, 1))
    return encoder, decoder, keras.Model(inputs, decoder(encoder(inputs)))


def _tanh_rescaled_decoder(latent_dim):
    """(tanh + 1) / 2: in [0, 1], a keras.ops division last, no sigmoid."""
    encoder = build_autoencoder(latent_dim)[0]
    code = keras.Input(shape=(latent_dim,))
    h = L.Dense(784, activation="tanh")(L.Dense(32, activation="relu")(code))
    decoder = keras.Model(code, L.Reshape((28, 28, 1))((h + 1.0) / 2.0))
    inputs = keras.Input(shape=(28, 28, 1))
    return encoder, decoder, keras.Model(inputs, decoder(encoder(inputs)))


def _kl_batch_read_statically(mu, log_var):
    return -0.5 * ops.sum(1 + log_var - mu ** 2 - ops.exp(log_var)) / mu.shape[0]


def _vae_loss_batch_read_statically(x, x_reconstructed, mu, log_var, beta=1.0):
    batch = x.shape[0]
    bce = -(x * ops.log(x_reconstructed) + (1 - x) * ops.log(1 - x_reconstructed))
    reconstruction = ops.sum(ops.reshape(bce, (batch, -1)), axis=1)
    kl = -0.5 * ops.sum(1 + log_var - mu ** 2 - ops.exp(log_var), axis=-1)
    return ops.sum(reconstruction + beta * kl) / batch


def _keras_io_ddpm_step(x_t, t, predicted_noise, betas, noise):
    """The keras.io DDPM example's step (clip_denoised=True): x0 estimated, clipped to
    [-1, 1], then the posterior mean of q(x_{t-1} | x_t, x0)."""
    alphas_bar = np.cumprod(1 - betas)
    before = alphas_bar[t - 1] if t > 0 else 1.0
    x0 = np.clip((x_t - np.sqrt(1 - alphas_bar[t]) * predicted_noise) / np.sqrt(alphas_bar[t]),
                 -1.0, 1.0)
    mean = (np.sqrt(before) * betas[t] * x0
            + np.sqrt(1 - betas[t]) * (1 - before) * x_t) / (1 - alphas_bar[t])
    variance = betas[t] * (1 - before) / (1 - alphas_bar[t])
    return mean + (t > 0) * np.sqrt(variance) * noise


#: The message of a function that reads the batch size statically, traced with it unknown.
_STATIC_BATCH = r"(?s)inside tf.function.*read it with keras.ops.shape\(x\)\[0\]"

MUTANTS = [
    # build_autoencoder
    ("build_autoencoder", lambda d: build_autoencoder(d, activation=None),
     r"last activation is linear, not a sigmoid"),
    ("build_autoencoder", lambda d: build_autoencoder(d, activation="relu"),
     r"(?s)codes of size about 1000 .*last activation is relu, not a sigmoid"),
    ("build_autoencoder", lambda d: build_autoencoder(d, latent=8),
     r"case 'latent_dim 2'.*\(None, 8\), expected \(None, 2\).*latent size is not latent_dim"),
    ("build_autoencoder", lambda d: build_autoencoder(d, copy=("encoder", "decoder")),
     "it is a separate copy"),
    ("build_autoencoder", lambda d: build_autoencoder(d, copy=("decoder",)),
     r"are not in the autoencoder: it uses a copy of the decoder"),
    ("build_autoencoder", lambda d: build_autoencoder(d, output=(784,)),
     r"\(None, 784\).*the decoder's output is flat"),
    ("build_autoencoder", lambda d: build_autoencoder(d, output=(28, 28)),
     "the decoder's output has no channel axis"),
    ("build_autoencoder", lambda d: build_autoencoder(d, image=(784,)),
     r"the encoder takes inputs of shape \(None, 784\), expected \(None, 28, 28, 1\)"),
    ("build_autoencoder", lambda d: build_autoencoder(d, extra=True),
     r"2 trainable weight\(s\) of its own"),
    ("build_autoencoder", lambda d: build_autoencoder(d, skip=True),
     r"(?s)autoencoder\(x\) on 3 random images.*no path around the encoder's code"),
    ("build_autoencoder", lambda d: build_autoencoder(d, count=2),
     r"expected three models \(encoder, decoder, autoencoder\)"),
    ("build_autoencoder", lambda d: build_autoencoder(d)[2], "expected three models"),
    # Last activations that stay in [0, 1] but are not the sigmoid the docstring names.
    ("build_autoencoder", lambda d: build_autoencoder(d, activation="hard_sigmoid"),
     r"outputs lie in \[0, 1\], but its last activation is hard_sigmoid, not the sigmoid"),
    ("build_autoencoder", lambda d: build_autoencoder(d, activation="softmax"),
     r"(?s)last activation is softmax, not the sigmoid.*sum to 1"),
    ("build_autoencoder", lambda d: _decoder_ending(
        d, L.Dense(784), L.Lambda(lambda t: ops.clip(t, 0.0, 1.0))),
     r"last activation is a Lambda layer, not the sigmoid"),
    ("build_autoencoder", _tanh_rescaled_decoder,
     r"last activation is keras.ops TrueDivide, not the sigmoid"),
    # reparameterize
    ("reparameterize", lambda m, v, e: reparameterize(m, v, e, std=ops.exp),
     r"exp\(log_var\) used as the standard deviation: that is the variance"),
    ("reparameterize", lambda m, v, e: reparameterize(m, v, e, std=lambda v: v),
     "log_var used as the standard deviation"),
    ("reparameterize", lambda m, v, e: reparameterize(m, v, e, std=ops.sqrt),
     r"sqrt\(log_var\) used as the standard deviation"),
    ("reparameterize", lambda m, v, e: reparameterize(m, v, e, std=lambda v: ops.exp(-0.5 * v)),
     r"exp\(-0.5 \* log_var\) is 1 / sigma"),
    ("reparameterize", lambda m, v, e: reparameterize(m, v, e, noise=False), "eps ignored"),
    ("reparameterize", lambda m, v, e: m, "the noise term missing"),
    ("reparameterize", lambda m, v, e: reparameterize(m, v, e, sign=-1), r"mu - sigma \* eps"),
    ("reparameterize", lambda m, v, e: ops.sum(reparameterize(m, v, e), axis=-1),
     "z has the shape of mu"),
    ("reparameterize", _numpy_reparameterize,
     r"(?s)case 'float32 tensors inside tf.function.*symbolic tf.Tensor.*Use keras.ops"),
    ("reparameterize", lambda m, v, e: m + ops.exp(0.5 * v) * ops.reshape(e, (m.shape[0], -1)),
     _STATIC_BATCH),
    # kl_divergence
    ("kl_divergence", lambda m, v: kl_divergence(m, v, sign=1), "sign flipped"),
    ("kl_divergence", _kl_with_sigma, "log_var treated as sigma"),
    ("kl_divergence", lambda m, v: kl_divergence(m, v, variance=lambda v: ops.exp(0.5 * v)),
     r"exp\(0.5 \* log_var\), the standard deviation"),
    ("kl_divergence", lambda m, v: kl_divergence(m, v, latent=ops.mean),
     "averaged over the latent dimensions"),
    ("kl_divergence", lambda m, v: kl_divergence(m, v, batch=ops.sum),
     "summed over the batch"),
    ("kl_divergence", lambda m, v: -0.5 * ops.mean(1 + v - m ** 2 - ops.exp(v)),
     "averaged over the latent dimensions"),
    ("kl_divergence", lambda m, v: kl_divergence(m, v, one=0.0), "the 1 missing"),
    ("kl_divergence", lambda m, v: ops.mean(-0.5 * ops.sum(1 + ops.log(v) - m ** 2 - v, axis=-1)),
     "log_var treated as the variance"),
    ("kl_divergence", lambda m, v: kl_divergence(m, v, half=1.0), "the 0.5 missing"),
    ("kl_divergence", lambda m, v: kl_divergence(m, v, batch=lambda k: k),
     r"expected a single number, received an array of shape \(4,\).*\n.*Hint: return the mean"),
    ("kl_divergence", _numpy_kl, "symbolic tf.Tensor"),
    ("kl_divergence", _kl_batch_read_statically, _STATIC_BATCH),
    # vae_loss
    ("vae_loss", lambda *a, **k: vae_loss(*a, **k, pixels=ops.mean),
     "the reconstruction averaged over the pixels"),
    ("vae_loss", _keras_bce_mean_over_pixels, "the reconstruction averaged over the pixels"),
    ("vae_loss", lambda *a, **k: vae_loss(*a, **k, kl_weight=lambda b: 0.0),
     "the KL term missing"),
    ("vae_loss", lambda *a, **k: vae_loss(*a, **k, kl_weight=lambda b: 1.0),
     r"case '\(4, 5, 7, 1\) images, latent 3, beta 4.0'.*beta ignored"),
    ("vae_loss", lambda *a, **k: vae_loss(*a, **k, kl_sign=-1), "the KL term with the wrong sign"),
    ("vae_loss", lambda *a, **k: vae_loss(*a, **k, kl_weight=lambda b: 1.0,
                                          beta_on_reconstruction=True),
     r"case '\(4, 5, 7, 1\) images, latent 3, beta 4.0'.*beta weights the reconstruction"),
    ("vae_loss", lambda *a, **k: vae_loss(*a, **k, squared=True),
     "squared error instead of binary cross-entropy"),
    ("vae_loss", lambda *a, **k: vae_loss(*a, **k, batch=ops.sum), "summed over the batch"),
    ("vae_loss", lambda x, r, m, v, beta=0.5: vae_loss(x, r, m, v, beta),
     r"case '\(3, 28, 28, 1\) images, latent 2, default beta'.*values differ"),
    ("vae_loss", lambda x, r, m, v, beta=1.0: vae_loss(r, x, m, v, beta),
     r"(?s)NaN or infinite.*x and x_reconstructed swapped\?"),
    ("vae_loss", _keras_bce_swapped, "common mistake: x and x_reconstructed swapped"),
    ("vae_loss", _vae_loss_batch_read_statically, _STATIC_BATCH),
    # discriminator_loss
    ("discriminator_loss", lambda r, f: discriminator_loss(r, f, labels=(0.0, 1.0)),
     "labels swapped"),
    ("discriminator_loss", lambda r, f: discriminator_loss(r, f, from_logits=False),
     r"logits treated as probabilities \(from_logits=True missing\)"),
    ("discriminator_loss", lambda r, f: -ops.mean(ops.log(r)) - ops.mean(ops.log(1 - f)),
     "log of the logits themselves"),
    ("discriminator_loss", lambda r, f: discriminator_loss(r, f, twice=True),
     "sigmoid applied twice"),
    ("discriminator_loss", lambda r, f: discriminator_loss(r, f, terms=("real",)),
     "only the real term"),
    ("discriminator_loss", lambda r, f: discriminator_loss(r, f, terms=("fake",)),
     "only the fake term"),
    ("discriminator_loss", lambda r, f: discriminator_loss(r, f, scale=0.5),
     "averaged instead of summed"),
    ("discriminator_loss", lambda r, f: discriminator_loss(r, f, scale=-1.0), "sign flipped"),
    ("discriminator_loss", lambda r, f: keras.losses.BinaryCrossentropy(from_logits=True)(
        ops.concatenate([ops.ones_like(r), ops.zeros_like(f)]), ops.concatenate([r, f])),
     r"case '3 real and 6 fake logits.*one mean over the real and fake logits together"),
    ("discriminator_loss", _naive_discriminator,
     r"(?s)case 'float32 logits from -120 to 60'.*NaN or infinite.*stay finite"),
    ("discriminator_loss", lambda r, f: ops.sum(ops.softplus(-r)) / len(r)
     + ops.sum(ops.softplus(f)) / len(f), _STATIC_BATCH),
    # generator_loss
    ("generator_loss", lambda f: -generator_loss(f, label=0.0), "the saturating loss"),
    ("generator_loss", lambda f: generator_loss(f, label=0.0),
     "label 0: that is the discriminator's fake term"),
    ("generator_loss", lambda f: generator_loss(f, sign=-1), "sign flipped"),
    ("generator_loss", lambda f: generator_loss(f, from_logits=False),
     "logits treated as probabilities"),
    ("generator_loss", lambda f: generator_loss(f, twice=True), "sigmoid applied twice"),
    ("generator_loss", lambda f: -ops.mean(ops.log(f)), "log of the logits themselves"),
    ("generator_loss", lambda f: generator_loss(f, reduction="sum"), "summed over the batch"),
    ("generator_loss", _naive_generator, r"(?s)-120 to 60'.*NaN or infinite.*stay finite"),
    ("generator_loss", lambda f: ops.sum(ops.softplus(-f)) / f.shape[0], _STATIC_BATCH),
    # linear_beta_schedule
    ("linear_beta_schedule", lambda *a: linear_beta_schedule(*a, endpoint=False),
     "beta_end excluded"),
    ("linear_beta_schedule", lambda *a: linear_beta_schedule(*a, swap=True),
     "beta_start and beta_end swapped"),
    ("linear_beta_schedule", lambda *a: linear_beta_schedule(*a, returns="alphas"),
     r"the alphas \(1 - beta\) returned"),
    ("linear_beta_schedule", lambda *a: linear_beta_schedule(*a, returns="alphas_bar"),
     "the cumulative alphas"),
    ("linear_beta_schedule", lambda *a: linear_beta_schedule(*a, dtype=np.int64),
     "expected floating-point values, received dtype int64"),
    ("linear_beta_schedule", lambda *a: linear_beta_schedule(*a, dtype=np.float32),
     "the dtype is float32, expected float64"),
    ("linear_beta_schedule", lambda n, s=1e-4, e=0.02: np.linspace(s, e, n + 1)[1:],
     "starts one step late"),
    ("linear_beta_schedule", lambda n, s=1e-4, e=0.02: s + (e - s) / (n - 1) * np.arange(n),
     r"case '1 step from 0.005 to 0.01: \[beta_start\]'.*ZeroDivisionError"),
    ("linear_beta_schedule", lambda n, s=1e-4, e=0.02: np.linspace(s, e, n) if n > 1 else
     np.array([e]), r"one step gives \[beta_start\]"),
    ("linear_beta_schedule", lambda n, s=1e-4, e=0.02: np.arange(s, e + 1e-12, (e - s) / n),
     "exactly num_steps values"),
    # forward_diffusion
    ("forward_diffusion", lambda *a: forward_diffusion(*a, roots=False), "no square roots"),
    ("forward_diffusion", lambda *a: forward_diffusion(*a, swap=True),
     "the signal and noise weights swapped"),
    ("forward_diffusion", lambda *a: forward_diffusion(*a, shift=-1),
     r"t shifted by one \(alphas_bar\[t - 1\]\)"),
    ("forward_diffusion", lambda *a: forward_diffusion(*a, shift=1),
     r"t shifted by one \(alphas_bar\[t \+ 1\]\)"),
    ("forward_diffusion", lambda *a: forward_diffusion(*a, first=True),
     r"one t for the whole batch \(t\[0\]\)"),
    ("forward_diffusion", lambda *a: forward_diffusion(*a, per_example=False),
     r"(?s)received shape: \(4, 6, 6, 4\).*one weight per example"),
    ("forward_diffusion",
     lambda *a: forward_diffusion(*a, noise_weight=lambda ab: 1 - np.sqrt(ab)),
     r"1 - sqrt\(alphas_bar\[t\]\) as the noise weight"),
    ("forward_diffusion", lambda *a: forward_diffusion(*a, noise_weight=lambda ab: 1 - ab),
     "the noise weight without its square root"),
    # ddpm_sample_step
    ("ddpm_sample_step", lambda *a: ddpm_sample_step(*a, bar_in_noise=False),
     "alphas instead of cumulative alphas in the noise coefficient"),
    ("ddpm_sample_step", lambda *a: ddpm_sample_step(*a, bar_in_factor=True),
     r"cumulative alphas in the 1 / sqrt\(alpha_t\) factor"),
    ("ddpm_sample_step", lambda *a: ddpm_sample_step(*a, eps_sign=1),
     "the predicted noise added instead of subtracted"),
    ("ddpm_sample_step", lambda *a: ddpm_sample_step(*a, last_noise=True, wrap=True),
     r"case 't 0: the last step adds no noise.*noise added at t = 0.*wrapped round"),
    ("ddpm_sample_step", lambda x, t, *a: ddpm_sample_step(x, t, *a, last_noise=True,
                                                           sigma="beta" if t == 0 else
                                                           "posterior"),
     r"case 't 0: the last step adds no noise.*noise added at t = 0.*sigma\*\*2 = beta_0"),
    ("ddpm_sample_step", lambda *a: ddpm_sample_step(*a, sigma="beta"),
     r"sigma\*\*2 = beta_t, the other variance choice in Ho et al."),
    ("ddpm_sample_step", lambda *a: ddpm_sample_step(*a, sigma="swapped"),
     r"alphas_bar\[t\] and alphas_bar\[t - 1\] swapped"),
    ("ddpm_sample_step", lambda *a: ddpm_sample_step(*a, sigma="next"),
     "the posterior variance of step t \\+ 1"),
    ("ddpm_sample_step", lambda *a: ddpm_sample_step(*a, root=False),
     "the variance where the standard deviation belongs"),
    ("ddpm_sample_step", lambda *a: ddpm_sample_step(*a, sigma="none"), "no noise added"),
    # A widely used convention that the docstring rules out: keras.io clips x0.
    ("ddpm_sample_step", _keras_io_ddpm_step,
     r"x0 estimated from the predicted noise and clipped to \[-1, 1\].*keras.io DDPM"),
]


#: Messages read in full: (exercise, wrong version, the message's start, texts it holds).
MESSAGES = [
    ("vae_loss", lambda *a, **k: vae_loss(*a, **k, pixels=ops.mean),
     "10.4 vae_loss, case '(3, 28, 28, 1) images, latent 2, default beta'",
     ["common mistake: the reconstruction averaged over the pixels", "expected:",
      "received:"]),
]


class TestChecks(CheckTests):
    """The tests of every exercise (tests/mutants.py) on these references and mutants."""

    check_module, references, mutants, messages = check, REFERENCES, MUTANTS, MESSAGES


# ------------------------------------------------------- other right answers ---

def _conv_autoencoder(latent_dim):
    """Another correct design: convolutions, a functional autoencoder, a sigmoid op."""
    images = keras.Input(shape=(28, 28, 1))
    h = L.Conv2D(8, 3, strides=2, padding="same", activation="relu")(images)
    encoder = keras.Model(images, L.Dense(latent_dim)(L.Flatten()(h)))
    code = keras.Input(shape=(latent_dim,))
    h = L.Reshape((14, 14, 4))(L.Dense(14 * 14 * 4, activation="relu")(code))
    h = L.Conv2DTranspose(1, 3, strides=2, padding="same")(h)
    decoder = keras.Model(code, ops.sigmoid(h))
    return encoder, decoder, keras.Model(encoder.input, decoder(encoder.output))


def _posterior_form_step(x_t, t, predicted_noise, betas, noise):
    """Ho et al. eq. 7: the posterior mean from x0_hat, equal to the eq. 11 mean."""
    alphas_bar = np.cumprod(1 - betas)
    before = alphas_bar[t - 1] if t > 0 else 1.0
    x0_hat = (x_t - np.sqrt(1 - alphas_bar[t]) * predicted_noise) / np.sqrt(alphas_bar[t])
    mean = (np.sqrt(before) * betas[t] * x0_hat
            + np.sqrt(1 - betas[t]) * (1 - before) * x_t) / (1 - alphas_bar[t])
    return mean + np.sqrt(betas[t] * (1 - before) / (1 - alphas_bar[t])) * noise


def _sequential_autoencoder(latent_dim):
    encoder, decoder = build_autoencoder(latent_dim)[:2]
    return encoder, decoder, keras.Sequential([keras.Input(shape=(28, 28, 1)), encoder, decoder])


def _diffusion_with_expand_dims(x0, t, noise, alphas_bar):
    weights = alphas_bar[t]
    for _ in range(x0.ndim - 1):
        weights = np.expand_dims(weights, -1)
    return np.sqrt(weights) * x0 + np.sqrt(1 - weights) * noise


def _nested_sequential_autoencoder(latent_dim):
    """Blocks written as nested keras.Sequential models inside each part."""
    encoder = keras.Sequential([keras.Input(shape=(28, 28, 1)), keras.Sequential(
        [L.Flatten(), L.Dense(32, activation="relu")]), L.Dense(latent_dim)])
    decoder = keras.Sequential([keras.Input(shape=(latent_dim,)), keras.Sequential(
        [L.Dense(32, activation="relu"), L.Dense(784, activation="sigmoid")]),
        L.Reshape((28, 28, 1))])
    inputs = keras.Input(shape=(28, 28, 1))
    return encoder, decoder, keras.Model(inputs, decoder(encoder(inputs)))


class _ToImages(L.Layer):
    """A subclassed layer: Dense(784) with keras.ops.sigmoid, then the image shape."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dense = L.Dense(784)

    def call(self, x):
        return ops.reshape(ops.sigmoid(self.dense(x)), (-1, 28, 28, 1))


def _subclassed_layer_decoder(latent_dim):
    encoder = build_autoencoder(latent_dim)[0]
    code = keras.Input(shape=(latent_dim,))
    decoder = keras.Model(code, _ToImages()(L.Dense(32, activation="relu")(code)))
    inputs = keras.Input(shape=(28, 28, 1))
    return encoder, decoder, keras.Model(inputs, decoder(encoder(inputs)))


class _TutorialAutoencoder(keras.Model):
    """The TensorFlow tutorial's style: a keras.Model subclass holding two Sequentials
    without Input layers, built by its first call."""

    def __init__(self, latent_dim):
        super().__init__()
        self.encoder = keras.Sequential([L.Flatten(), L.Dense(32, activation="relu"),
                                         L.Dense(latent_dim)])
        self.decoder = keras.Sequential([L.Dense(32, activation="relu"),
                                         L.Dense(784, activation="sigmoid"),
                                         L.Reshape((28, 28, 1))])

    def call(self, x):
        return self.decoder(self.encoder(x))


def _subclassed_autoencoder(latent_dim):
    autoencoder = _TutorialAutoencoder(latent_dim)
    return autoencoder.encoder, autoencoder.decoder, autoencoder


class _Encoder(keras.Model):
    def __init__(self, latent_dim):
        super().__init__()
        self.hidden, self.code = L.Dense(32, activation="relu"), L.Dense(latent_dim)

    def call(self, x):
        return self.code(self.hidden(ops.reshape(x, (-1, 784))))


class _Decoder(keras.Model):
    def __init__(self):
        super().__init__()
        self.hidden, self.pixels = L.Dense(32, activation="relu"), L.Dense(784)

    def call(self, z):
        return ops.reshape(keras.activations.sigmoid(self.pixels(self.hidden(z))),
                           (-1, 28, 28, 1))


class _Chained(keras.Model):
    def __init__(self, encoder, decoder):
        super().__init__()
        self.encoder, self.decoder = encoder, decoder

    def call(self, x):
        return self.decoder(self.encoder(x))


def _three_subclassed_models(latent_dim):
    encoder, decoder = _Encoder(latent_dim), _Decoder()
    autoencoder = _Chained(encoder, decoder)
    autoencoder(np.zeros((1, 28, 28, 1), np.float32))  # built by a first call
    return encoder, decoder, autoencoder


def test_other_correct_answers_pass(capsys):
    check.build_autoencoder(_conv_autoencoder)
    check.build_autoencoder(_sequential_autoencoder)
    check.build_autoencoder(_nested_sequential_autoencoder)
    check.build_autoencoder(_subclassed_layer_decoder)
    check.build_autoencoder(_subclassed_autoencoder)
    check.build_autoencoder(_three_subclassed_models)
    check.build_autoencoder(lambda d: _decoder_ending(d, L.Dense(784), L.Activation("sigmoid")))
    check.reparameterize(lambda m, v, e: m + ops.sqrt(ops.exp(v)) * e)
    check.kl_divergence(lambda m, v: float(_numpy_kl(np.asarray(m), np.asarray(v)))
                        if isinstance(m, np.ndarray) else kl_divergence(m, v))
    check.vae_loss(lambda x, r, m, v, beta=1.0: ops.mean(
        ops.sum(keras.losses.binary_crossentropy(x[..., None], r[..., None]),
                axis=tuple(range(1, len(x.shape))))
        - beta * 0.5 * ops.sum(1 + v - m ** 2 - ops.exp(v), axis=-1)))
    check.discriminator_loss(lambda r, f: ops.mean(ops.softplus(-r)) + ops.mean(ops.softplus(f)))
    check.generator_loss(lambda f: ops.mean(ops.softplus(-f)))
    check.linear_beta_schedule(lambda n, s=1e-4, e=0.02: s + (e - s) * np.arange(n) / max(n - 1, 1))
    check.forward_diffusion(_diffusion_with_expand_dims)
    check.ddpm_sample_step(lambda x, t, e, b, z: _posterior_form_step(x, t, e, b, z)
                           if t > 0 else ddpm_sample_step(x, t, e, b, z))
    check.kl_divergence(lambda m, v: -0.5 * ops.sum(1 + v - m ** 2 - ops.exp(v))
                        / ops.cast(ops.shape(m)[0], m.dtype))
    assert capsys.readouterr().out.count("passed") == 16


# ------------------------------------------------------------------ oracles ---

def test_the_closed_form_kl_is_the_monte_carlo_estimate():
    mu, log_var, estimate, standard_error = check._kl_monte_carlo_case()
    closed = float(np.mean(check._kl(mu, log_var)))
    assert abs(closed - estimate) < 3 * standard_error, (closed, estimate, standard_error)
    assert standard_error < 0.01


def test_the_posterior_variance_is_the_variance_of_q_given_x0():
    """beta_tilde_t by Gaussian conditioning: 1 / (alpha_t / beta_t + 1 / (1 - alphas_bar[t-1]))."""
    betas = np.linspace(1e-4, 0.2, 50)
    alphas_bar = np.cumprod(1 - betas)
    zeros = np.zeros(1)
    for t in (1, 10, 49):
        precision = (1 - betas[t]) / betas[t] + 1 / (1 - alphas_bar[t - 1])
        step = check._ddpm_sample_step_answer(zeros, t, zeros, betas, np.ones(1))
        assert np.isclose(step[0] ** 2, 1 / precision)


def test_the_ddpm_oracle_agrees_with_the_posterior_mean_form():
    betas = np.linspace(1e-4, 0.2, 50)
    rng = np.random.default_rng(0)
    x, e, z = rng.normal(size=(3, 2, 5))
    for t in (1, 25, 49):
        assert np.allclose(check._ddpm_sample_step_answer(x, t, e, betas, z),
                           _posterior_form_step(x, t, e, betas, z))


# ---------------------------------------------------------- messages in full ---


def test_numpy_code_in_graph_mode_is_not_taken_for_the_stub():
    with pytest.raises(CheckError) as info:
        check.reparameterize(_numpy_reparameterize)
    message = str(info.value)
    assert "not attempted" not in message
    assert "your function raised TypeError" in message
    assert "mu + np.exp(0.5 * log_var) * eps" in message  # the student's own line


def test_the_broadcast_error_of_a_two_axis_case_is_explained():
    def flat(x0, t, noise, alphas_bar):
        return np.sqrt(alphas_bar[t]) * x0 + np.sqrt(1 - alphas_bar[t]) * noise

    with pytest.raises(CheckError, match=r"(?s)ValueError.*reshape it to \(batch, 1, ..., 1\)"):
        check.forward_diffusion(lambda x0, t, z, ab: flat(x0, t, z, ab) if x0.ndim == 2 else
                                forward_diffusion(x0, t, z, ab))


def test_weights_broadcast_along_a_last_axis_as_long_as_the_batch_are_named():
    def along_last_axis(x0, t, noise, alphas_bar):
        if x0.shape == (3, 4, 3):
            return forward_diffusion(x0, t, noise, alphas_bar, per_example=False)
        return forward_diffusion(x0, t, noise, alphas_bar)

    with pytest.raises(CheckError, match=r"case '\(3, 4, 3\).*the weights broadcast along the "
                                         r"last axis, not per example"):
        check.forward_diffusion(along_last_axis)
