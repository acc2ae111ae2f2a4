"""The VQ-VAE model: it trains, counts codes over a whole evaluation, and its bounds agree with each other."""

import math

import keras
import numpy as np
import pytest
from scipy import stats

from vaecore import data, evaluation, models, networks, quantizers


def small_vqvae(quantizer):
    return models.VQVAE(networks.conv_grid_encoder(quantizer.code_dim, (8, 8)), quantizer,
                        networks.conv_grid_decoder(quantizer.code_dim, (8, 8)))


@pytest.mark.parametrize("quantizer", [
    lambda: quantizers.VectorQuantizer(16, 4, restart_threshold=1.0),
    lambda: quantizers.EMAVectorQuantizer(16, 4),
    lambda: quantizers.FiniteScalarQuantizer((5, 4, 3)),
], ids=["restarts", "ema", "fsq"])
def test_training_improves_the_reconstruction_and_reports_code_usage(quantizer):
    # Eight images of 4x4-pixel blocks, each nearly black or white: a grid code can describe them.
    blocks = np.random.default_rng(5).choice([0.05, 0.95], size=(8, 7, 7, 1)).astype(np.float32)
    images = np.repeat(np.repeat(np.repeat(blocks, 4, 1), 4, 2), 32, axis=0)
    test = data.binarize_fixed(images[:64], seed=0)
    keras.utils.set_random_seed(0)
    vae = small_vqvae(quantizer())
    vae.compile(optimizer=keras.optimizers.Adam(3e-3))
    before = evaluation.evaluate_elbo(vae, test)
    vae.fit(data.train_dataset(images, 16), epochs=5, verbose=0)
    after = evaluation.evaluate_elbo(vae, test)
    assert after["reconstruction"] > before["reconstruction"] + 50
    assert set(after) == {"elbo", "reconstruction", "codebook_loss", "commitment_loss", "perplexity", "codes_used"}
    assert after["elbo"] == pytest.approx(after["reconstruction"] - 49 * math.log(vae.quantizer.num_codes), abs=1e-3)
    # The usage over the whole evaluation, counted directly from the codes:
    codes = vae.codes(test).numpy()
    counts = np.bincount(codes.ravel(), minlength=vae.quantizer.num_codes)
    assert after["codes_used"] == pytest.approx(np.mean(counts > 0))
    shares = counts[counts > 0] / counts.sum()
    assert after["perplexity"] == pytest.approx(np.exp(-np.sum(shares * np.log(shares))), rel=1e-4)


def test_the_code_prior_bound_under_a_uniform_prior_is_the_tracked_elbo(intensities):
    vae = small_vqvae(quantizers.VectorQuantizer(32, 4))
    vae.compile()
    test = data.binarize_fixed(intensities[:50], seed=0)
    uniform = lambda codes: np.full(len(codes), -49 * math.log(32))  # noqa: E731
    bound = evaluation.code_prior_bound(vae, test, uniform, batch_size=20)
    assert bound["elbo"] == pytest.approx(evaluation.evaluate_elbo(vae, test)["elbo"], abs=1e-3)
    assert bound["code_nll"] == pytest.approx(49 * math.log(32))
    decoded = vae.decode_codes(vae.codes(test[:3]))
    np.testing.assert_allclose(decoded, vae.reconstruct(test[:3]), atol=1e-6)


def test_the_ema_codebook_is_not_a_trainable_weight():
    plain = small_vqvae(quantizers.VectorQuantizer(16, 4))
    ema = small_vqvae(quantizers.EMAVectorQuantizer(16, 4))
    plain(np.zeros((1, 28, 28, 1), np.float32)), ema(np.zeros((1, 28, 28, 1), np.float32))
    assert len(plain.trainable_weights) == len(ema.trainable_weights) + 1


def test_cluster_agreement_by_hand_and_against_entropies():
    labels = np.array([0, 0, 1, 1, 2, 2])
    assert evaluation.cluster_agreement([5, 5, 7, 7, 1, 1], labels) == {"purity": 1.0, "nmi": pytest.approx(1.0)}
    # Clusters {0,0,1} {1,2,2}: each cluster's majority covers 2 of 3 items.
    agreement = evaluation.cluster_agreement([0, 0, 0, 1, 1, 1], labels)
    assert agreement["purity"] == pytest.approx(4 / 6)
    clusters = np.random.default_rng(0).integers(0, 4, 500)
    labels = (clusters + np.random.default_rng(1).integers(0, 2, 500)) % 5
    joint = np.histogram2d(clusters, labels, bins=(4, 5))[0].ravel()
    mutual = stats.entropy(np.bincount(clusters)) + stats.entropy(np.bincount(labels)) - stats.entropy(joint)
    expected = mutual / math.sqrt(stats.entropy(np.bincount(clusters)) * stats.entropy(np.bincount(labels)))
    assert evaluation.cluster_agreement(clusters, labels)["nmi"] == pytest.approx(expected, rel=1e-9)
    assert evaluation.cluster_agreement(np.zeros(6), labels[:6])["nmi"] == 0.0


@pytest.mark.parametrize("residual_blocks", [0, 1, 2])
def test_each_grid_cell_sees_exactly_the_pixels_grid_cell_pixels_names(residual_blocks):
    # Positive weights and inputs keep every ReLU open, so a brighter pixel raises every vector it reaches.
    keras.utils.set_random_seed(3)
    encoder = networks.conv_grid_encoder(2, (4, 4), residual_blocks=residual_blocks)
    encoder.set_weights([np.abs(w) + 0.01 for w in encoder.get_weights()])
    images = np.random.default_rng(0).uniform(0.1, 0.9, (1, 28, 28, 1)).astype(np.float32)
    for row, col in [(0, 0), (9, 27), (14, 3), (27, 16)]:
        brighter = images.copy()
        brighter[0, row, col] += 1.0
        changed = np.any(encoder(brighter).numpy() != encoder(images).numpy(), axis=-1)[0]
        expected = np.array([[row in networks.grid_cell_pixels(j, residual_blocks)
                              and col in networks.grid_cell_pixels(k, residual_blocks)
                              for k in range(7)] for j in range(7)])
        np.testing.assert_array_equal(changed, expected, err_msg=f"pixel ({row}, {col})")
