"""Properties of vaecore's formulas over random shapes, batch sizes and extreme values (hypothesis).

Extremes: logits of ±1e4, temperatures from 1e-3 to 1e3, all-zero and all-one images, batches of one.
Log-variances stay within ±80: exp(±80) is the widest range float32 represents, and a KL with
exp(1e4) in it is infinite in any floating-point type, so no implementation could keep it finite.
"""

import numpy as np
import tensorflow as tf
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from vaecore import latents, losses

settings.register_profile("vaecore", max_examples=25, deadline=None, derandomize=True)
settings.load_profile("vaecore")

batch = st.integers(1, 6)
logit = st.floats(-1e4, 1e4, width=32)
logvar = st.floats(-80.0, 80.0, width=32)
temperature = st.floats(1e-3, 1e3)


@st.composite
def logits(draw, max_latents=4, max_classes=8):
    shape = (draw(batch), draw(st.integers(1, max_latents)), draw(st.integers(2, max_classes)))
    return draw(hnp.arrays(np.float32, shape, elements=logit))


@st.composite
def images_and_logits(draw):
    n = draw(batch)
    kind = draw(st.sampled_from(["zeros", "ones", "random"]))
    if kind == "random":
        x = draw(hnp.arrays(np.float32, (n, 28, 28, 1), elements=st.sampled_from([0.0, 1.0])))
    else:
        x = np.full((n, 28, 28, 1), 1.0 if kind == "ones" else 0.0, np.float32)
    return x, draw(hnp.arrays(np.float32, (n, 28, 28, 1), elements=logit))


@given(images_and_logits())
def test_bernoulli_log_likelihood_matches_float64_and_is_finite(pair):
    x, l = pair
    got = losses.bernoulli_log_likelihood(x, l).numpy()
    x64, l64 = x.astype(np.float64), l.astype(np.float64)
    expected = (x64 * l64 - np.logaddexp(0.0, l64)).reshape(len(x), -1).sum(axis=1)
    assert np.all(np.isfinite(got))
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-2)


@given(st.data())
def test_gaussian_kl_is_finite_non_negative_and_matches_float64(data):
    n, d = data.draw(batch), data.draw(st.integers(1, 8))
    mean = data.draw(hnp.arrays(np.float32, (n, d), elements=st.floats(-1e4, 1e4, width=32)))
    v = data.draw(hnp.arrays(np.float32, (n, d), elements=logvar))
    got = losses.kl_to_standard_normal(mean, v).numpy()
    m64, v64 = mean.astype(np.float64), v.astype(np.float64)
    expected = 0.5 * np.sum(np.exp(v64) + m64**2 - 1.0 - v64, axis=-1)
    assert np.all(np.isfinite(got)) and np.all(got >= 0.0)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


@given(st.data())
def test_gaussian_log_density_matches_float64(data):
    n, d = data.draw(batch), data.draw(st.integers(1, 8))
    z, mean = (data.draw(hnp.arrays(np.float32, (n, d), elements=st.floats(-100, 100, width=32)))
               for _ in range(2))
    v = data.draw(hnp.arrays(np.float32, (n, d), elements=st.floats(-20.0, 20.0, width=32)))
    got = losses.gaussian_log_density(z, mean, v).numpy()
    z64, m64, v64 = (a.astype(np.float64) for a in (z, mean, v))
    expected = -0.5 * np.sum(np.log(2 * np.pi) + v64 + (z64 - m64) ** 2 * np.exp(-v64), axis=-1)
    assert np.all(np.isfinite(got))
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-3)


@given(logits())
def test_categorical_kl_is_finite_and_non_negative(l):
    kl = losses.kl_categorical_to_uniform(l).numpy()
    # Exact KL >= 0; float32 rounding of sum q log q + log K can land a hair below 0.
    assert np.all(np.isfinite(kl)) and np.all(kl >= -1e-5)
    assert np.all(kl <= l.shape[1] * np.log(l.shape[2]) + 1e-4)


@given(logits())
def test_categorical_log_prob_matches_float64(l):
    code = tf.one_hot(np.argmin(l, axis=-1), l.shape[-1]).numpy()  # the least likely class: the hardest case
    l64 = l.astype(np.float64)
    log_q = l64 - np.logaddexp.reduce(l64, axis=-1, keepdims=True)
    expected = (code * log_q).sum(axis=(1, 2))
    np.testing.assert_allclose(losses.categorical_log_prob(l, code), expected, rtol=1e-5, atol=1e-2)


@given(logits(), temperature)
def test_relaxed_samples_lie_on_the_simplex(l, tau):
    y = latents.gumbel_softmax(l, tau).numpy()
    assert np.all(np.isfinite(y)) and np.all(y >= 0.0)
    np.testing.assert_allclose(y.sum(axis=-1), 1.0, rtol=1e-5)


@given(logits(), temperature, st.floats(1.0, 1e3))
def test_hard_samples_are_exactly_one_hot(l, tau, reinmax_tau):
    for code in (latents.gumbel_softmax(l, tau, hard=True), latents.straight_through_sample(l),
                 latents.reinmax_sample(l, reinmax_tau), latents.categorical_sample(l)):
        code = code.numpy()
        assert np.all((code == 0.0) | (code == 1.0)) and np.all(code.sum(axis=-1) == 1.0)


@given(st.data())
def test_importance_weighted_bound_is_at_least_the_elbo_and_equal_for_one_sample(data):
    k, n = data.draw(st.integers(1, 20)), data.draw(batch)
    log_weights = data.draw(hnp.arrays(np.float32, (k, n), elements=st.floats(-1e4, 1e4, width=32)))
    bound = losses.importance_weighted_bound(log_weights).numpy()
    elbo = log_weights.astype(np.float64).mean(axis=0)
    assert np.all(np.isfinite(bound))
    assert np.all(bound >= elbo - 1e-3 * np.maximum(1.0, np.abs(elbo)))
    if k == 1:
        np.testing.assert_array_equal(bound, log_weights[0])


@given(st.data())
def test_quantization_returns_the_nearest_codebook_entry(data):
    from vaecore import quantizers

    num_codes, dim, n = data.draw(st.integers(1, 12)), data.draw(st.integers(1, 6)), data.draw(batch)
    element = st.floats(-1e3, 1e3, width=32)
    codebook = data.draw(hnp.arrays(np.float32, (num_codes, dim), elements=element))
    vectors = data.draw(hnp.arrays(np.float32, (n, 3, dim), elements=element))
    quantizer = quantizers.VectorQuantizer(num_codes, dim)
    quantizer.build((None, dim))
    quantizer.codebook.assign(codebook)
    out = quantizer(vectors)
    codes, quantized = out.codes.numpy(), out.quantized.numpy()
    np.testing.assert_array_equal(quantized, codebook[codes])  # exactly a codebook entry
    distances = ((vectors[..., None, :].astype(np.float64) - codebook.astype(np.float64)) ** 2).sum(-1)
    chosen = np.take_along_axis(distances, codes[..., None], -1)[..., 0]
    # The nearest, up to float32 rounding of ||z||^2 - 2 z.e + ||e||^2 (ties may go either way).
    scale = (vectors.astype(np.float64) ** 2).sum(-1) + (codebook.astype(np.float64) ** 2).sum(-1).max()
    assert np.all(chosen <= distances.min(-1) + 1e-5 * scale + 1e-6)
    assert np.all(np.isfinite(out.loss.numpy())) and np.all(out.codebook_loss.numpy() >= 0)
