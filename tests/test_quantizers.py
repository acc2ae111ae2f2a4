"""VQ-VAE quantizers: nearest codes, where gradients go, the EMA update, restarts, FSQ, code usage."""

import math

import numpy as np
import pytest
import tensorflow as tf

from vaecore import quantizers


def brute_force_nearest(vectors, codebook):
    distances = ((vectors[..., None, :].astype(np.float64) - codebook.astype(np.float64)) ** 2).sum(-1)
    return distances.argmin(-1)


def test_nearest_codes_agree_with_brute_force():
    rng = np.random.default_rng(0)
    vectors, codebook = rng.normal(size=(4, 3, 3, 5)).astype(np.float32), rng.normal(size=(7, 5)).astype(np.float32)
    np.testing.assert_array_equal(quantizers.nearest_codes(vectors, codebook).numpy(),
                                  brute_force_nearest(vectors, codebook))


def quantizer_with_codebook(codebook, cls=quantizers.VectorQuantizer, **kwargs):
    quantizer = cls(len(codebook), codebook.shape[1], **kwargs)
    quantizer.build((None, codebook.shape[1]))
    quantizer.codebook.assign(codebook)
    if cls is quantizers.EMAVectorQuantizer:
        quantizer.vector_sum.assign(codebook)
    return quantizer


def test_decoder_gradient_reaches_the_encoder_unchanged_and_never_the_codebook():
    rng = np.random.default_rng(1)
    codebook = rng.normal(size=(6, 4)).astype(np.float32)
    quantizer = quantizer_with_codebook(codebook, beta=0.25)
    inputs = tf.Variable(rng.normal(size=(5, 4)).astype(np.float32))
    with tf.GradientTape(persistent=True) as tape:
        out = quantizer(inputs)
        decoder_loss = tf.reduce_sum(tf.sin(out.quantized))  # any function of the output
        total = decoder_loss + tf.reduce_sum(out.loss)
    codes = brute_force_nearest(inputs.numpy(), codebook)
    nearest = codebook[codes]
    np.testing.assert_array_equal(out.quantized.numpy(), nearest)  # the forward value is the codebook vector
    assert tape.gradient(decoder_loss, quantizer.codebook) is None
    # The straight-through copy: the encoder receives d(decoder)/d(quantized), evaluated at the codebook vector.
    np.testing.assert_allclose(tape.gradient(decoder_loss, inputs).numpy(), np.cos(nearest), rtol=1e-6)
    # The codebook's whole gradient is the codebook loss's: d/de_k sum_{i -> k} ||z_i - e_k||^2 = 2 sum (e_k - z_i).
    expected = np.zeros_like(codebook)
    np.add.at(expected, codes, 2.0 * (nearest - inputs.numpy()))
    np.testing.assert_allclose(tf.convert_to_tensor(tape.gradient(total, quantizer.codebook)).numpy(), expected, rtol=1e-5, atol=1e-6)
    # The encoder's: the decoder's gradient plus beta times the commitment's 2 (z - e).
    np.testing.assert_allclose(tape.gradient(total, inputs).numpy(),
                               np.cos(nearest) + 0.25 * 2.0 * (inputs.numpy() - nearest), rtol=1e-5, atol=1e-6)


def test_losses_are_per_example_sums_of_squared_distances():
    rng = np.random.default_rng(2)
    codebook = rng.normal(size=(5, 2)).astype(np.float32)
    inputs = rng.normal(size=(3, 4, 4, 2)).astype(np.float32)
    out = quantizer_with_codebook(codebook, beta=0.5)(inputs)
    distance = ((inputs - codebook[brute_force_nearest(inputs, codebook)]) ** 2).sum((1, 2, 3))
    np.testing.assert_allclose(out.codebook_loss.numpy(), distance, rtol=1e-5)
    np.testing.assert_allclose(out.commitment_loss.numpy(), distance, rtol=1e-5)
    np.testing.assert_allclose(out.loss.numpy(), 1.5 * distance, rtol=1e-5)


def test_ema_update_matches_a_hand_computed_step():
    rng = np.random.default_rng(3)
    codebook = rng.normal(size=(4, 3)).astype(np.float32)
    quantizer = quantizer_with_codebook(codebook, quantizers.EMAVectorQuantizer, decay=0.9, epsilon=0.1)
    assert not quantizer.trainable_weights  # moved by averages, not by the optimizer
    inputs = rng.normal(size=(10, 3)).astype(np.float32)
    out = quantizer(inputs, training=True)
    codes = brute_force_nearest(inputs, codebook)
    counts = np.bincount(codes, minlength=4)
    sums = np.zeros_like(codebook, dtype=np.float64)
    np.add.at(sums, codes, inputs)
    cluster = 0.9 * 1.0 + 0.1 * counts
    vector_sum = 0.9 * codebook + 0.1 * sums
    smoothed = (cluster + 0.1) / (cluster.sum() + 4 * 0.1) * cluster.sum()
    np.testing.assert_allclose(quantizer.codebook.numpy(), vector_sum / smoothed[:, None], rtol=1e-5)
    np.testing.assert_allclose(out.loss.numpy(), 0.25 * out.commitment_loss.numpy())  # no codebook loss to train


def test_a_dead_code_restarts_on_an_encoder_output_and_live_codes_stay():
    codebook = np.array([[0.0, 0.0], [1.0, 1.0], [100.0, 100.0]], np.float32)  # code 2 is never nearest
    quantizer = quantizer_with_codebook(codebook, restart_threshold=1.0)
    inputs = np.array([[0.1, 0.0], [0.9, 1.0], [0.0, 0.2], [1.0, 0.8]], np.float32)
    quantizer(inputs, training=True)
    after = quantizer.codebook.numpy()
    np.testing.assert_array_equal(after[:2], codebook[:2])
    assert any(np.array_equal(after[2], row) for row in inputs)
    quantizer(inputs)  # evaluation changes nothing
    np.testing.assert_array_equal(quantizer.codebook.numpy(), after)


def test_without_restarts_a_dead_code_stays_dead():
    codebook = np.array([[0.0, 0.0], [100.0, 100.0]], np.float32)
    quantizer = quantizer_with_codebook(codebook)
    quantizer(np.zeros((4, 2), np.float32), training=True)
    np.testing.assert_array_equal(quantizer.codebook.numpy(), codebook)


@pytest.mark.parametrize("levels", [(5, 5, 5), (8, 5), (2, 4, 3)])
def test_fsq_reaches_every_code_once_and_decodes_it_back(levels):
    fsq = quantizers.FiniteScalarQuantizer(levels)
    grid = np.stack(np.meshgrid(*[np.linspace(-4, 4, 41)] * len(levels), indexing="ij"), -1).reshape(-1, len(levels))
    out = fsq(grid.astype(np.float32))
    assert set(out.codes.numpy().tolist()) == set(range(math.prod(levels)))
    np.testing.assert_allclose(fsq.vectors(out.codes).numpy(), out.quantized.numpy(), atol=1e-6)
    for dim, level in enumerate(levels):  # each dimension takes exactly `level` values in [-1, 1]
        values = np.unique(out.quantized.numpy()[:, dim])
        assert len(values) == level and values.min() >= -1.0 and values.max() <= 1.0
    assert not out.loss.numpy().any()


def test_fsq_gradient_is_the_derivative_of_its_bound():
    fsq = quantizers.FiniteScalarQuantizer((5, 4))
    z = tf.Variable([[0.3, -1.2], [2.0, 0.1]])
    with tf.GradientTape(persistent=True) as tape:
        got = tf.reduce_sum(fsq(z).quantized * [1.0, 2.0])
        bounded = tf.reduce_sum(fsq.bound(z) / fsq._half_width * [1.0, 2.0])
    np.testing.assert_allclose(tape.gradient(got, z).numpy(), tape.gradient(bounded, z).numpy(), rtol=1e-6)


def test_code_usage_counts_over_every_batch_since_reset():
    usage = quantizers.CodeUsage(8)
    usage.update_state([[0, 1], [2, 3]])
    usage.update_state([4, 5, 6, 7])
    result = usage.result()
    assert float(result["codes_used"]) == 1.0
    np.testing.assert_allclose(float(result["perplexity"]), 8.0, rtol=1e-6)  # 8 codes used equally
    usage.update_state([0, 0, 0, 0, 0, 0])
    counts = [7, 1, 1, 1, 1, 1, 1, 1]
    probabilities = np.array(counts) / 14
    np.testing.assert_allclose(float(usage.result()["perplexity"]), np.exp(-np.sum(probabilities * np.log(probabilities))),
                               rtol=1e-6)
    usage.reset_state()
    usage.update_state([3, 3])
    assert float(usage.result()["codes_used"]) == 1 / 8 and float(usage.result()["perplexity"]) == pytest.approx(1.0)


@pytest.mark.parametrize("build, message", [
    (lambda: quantizers.VectorQuantizer(8, 4, restart_threshold=0.0), "restart_threshold must lie in"),
    (lambda: quantizers.EMAVectorQuantizer(8, 4, decay=1.0), r"decay must lie in \[0, 1\), got 1.0"),
    (lambda: quantizers.FiniteScalarQuantizer(()), "levels must name at least one dimension"),
    (lambda: quantizers.VectorQuantizer(8, 4)(np.zeros((2, 7, 7, 16), np.float32)),
     r"the encoder outputs vectors of size 16 .* but code_dim is 4"),
    (lambda: quantizers.FiniteScalarQuantizer((5, 5))(np.zeros((2, 3), np.float32)),
     r"levels=\(5, 5\) quantize 2 dimensions"),
])
def test_bad_arguments_are_refused_with_what_to_pass(build, message):
    # Codebook size, beta and FSQ levels below 2 are in tests/test_bad_input.py.
    with pytest.raises(ValueError, match=message):
        build()
