"""vaecore.models: the Gaussian, categorical and VQ VAEs train, report a true ELBO, decode with one vocabulary
and refuse bad input clearly."""

import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from vaecore import data, estimators, evaluation, losses, models, networks, quantizers


def small_vae(**kwargs):
    return models.GaussianVAE(networks.dense_encoder(4, (32,)), networks.dense_decoder(4, (32,)), **kwargs)


@pytest.mark.parametrize("latent_dim", [0, -3, 2.5])
def test_latent_size_below_one_is_refused(latent_dim):
    with pytest.raises(ValueError, match="latent_dim must be an integer of at least 1"):
        networks.dense_encoder(latent_dim)
    with pytest.raises(ValueError, match="latent_dim must be an integer of at least 1"):
        networks.dense_decoder(latent_dim)


@pytest.mark.parametrize("option", [{"binarization": "dynamic"}, {"kl_estimator": "sampled"}])
def test_unknown_options_are_refused(option):
    with pytest.raises(ValueError, match="must be one of"):
        small_vae(**option)


def test_training_raises_the_elbo(intensities):
    keras.utils.set_random_seed(0)
    images = np.repeat(intensities[:4], 64, axis=0)
    test = data.binarize_fixed(images, seed=0)
    vae = small_vae(binarization="stochastic")
    vae.compile(optimizer=keras.optimizers.Adam(3e-3))
    before = evaluation.evaluate_terms(vae, test)["elbo"]
    history = vae.fit(data.train_dataset(images, 64), epochs=15, verbose=0)
    after = evaluation.evaluate_terms(vae, test)["elbo"]
    assert after > before + 20
    assert history.history["elbo"][-1] > history.history["elbo"][0]


def test_evaluation_reports_the_elbo_with_its_closed_form_kl(intensities):
    keras.utils.set_random_seed(0)
    vae = small_vae()
    vae.compile(optimizer="adam")
    binary = data.binarize_fixed(intensities, seed=1)
    result = evaluation.evaluate_terms(vae, binary, batch_size=16)
    mean, logvar = vae.encoder(binary)
    expected_kl = float(tf.reduce_mean(losses.kl_to_standard_normal(mean, logvar)))
    np.testing.assert_allclose(result["kl"], expected_kl, rtol=1e-5)
    np.testing.assert_allclose(result["elbo"], result["reconstruction"] - result["kl"], rtol=1e-5)
    # An untrained decoder outputs logits near 0: about log(1/2) per pixel.
    np.testing.assert_allclose(result["reconstruction"], 784 * np.log(0.5), rtol=0.1)


def test_images_of_the_wrong_shape_are_refused():
    vae = small_vae()
    vae.compile(optimizer="adam")
    flat = tf.data.Dataset.from_tensor_slices(np.zeros((8, 784), np.float32)).batch(4)
    with pytest.raises(ValueError, match=r"the model expects \(batch, 28, 28, 1\)"):
        vae.fit(flat, epochs=1, verbose=0)


def test_raw_uint8_pixels_are_refused():
    vae = small_vae()
    vae.compile(optimizer="adam")
    raw = tf.data.Dataset.from_tensor_slices(np.full((8, 28, 28, 1), 255, np.uint8)).batch(4)
    with pytest.raises(tf.errors.InvalidArgumentError, match="divide uint8 pixels by 255"):
        vae.fit(raw, epochs=1, verbose=0)


def test_evaluation_on_grey_images_is_refused(intensities):
    vae = small_vae()
    vae.compile(optimizer="adam")
    with pytest.raises(tf.errors.InvalidArgumentError, match="evaluation images must be binary"):
        evaluation.evaluate_terms(vae, intensities)


def test_pictures_are_probabilities_of_the_right_shape(intensities):
    vae = small_vae()
    for images in (vae.reconstruct(intensities[:3]), vae.sample_prior(5)):
        assert images.shape[1:] == (28, 28, 1)
        assert images.min() >= 0.0 and images.max() <= 1.0
    np.testing.assert_array_equal(vae.sample_prior(2, seed=1), vae.sample_prior(2, seed=1))
    z = np.random.default_rng(0).normal(size=(2, 4))
    logits = vae.decoder(z.astype(np.float32)).numpy().astype(np.float64)
    np.testing.assert_allclose(vae.bernoulli_means(z), 1.0 / (1.0 + np.exp(-logits)), rtol=1e-5)


def categorical_vae(estimator, **kwargs):
    return models.CategoricalVAE(networks.dense_logits_encoder(3, 4, (32,)), networks.dense_decoder(12, (32,)),
                                 estimator=estimator, **kwargs)


# Every registered estimator, with its default settings, and the relaxed ELBO (an objective, not registered).
ESTIMATORS = {**estimators.REGISTRY, estimators.RelaxedELBO.name: estimators.RelaxedELBO}


def test_categorical_builders_refuse_bad_sizes():
    with pytest.raises(ValueError, match="num_classes must be an integer of at least 2, got 1"):
        networks.dense_logits_encoder(3, 1)
    with pytest.raises(ValueError, match="num_latents must be an integer of at least 1, got 0"):
        networks.dense_logits_encoder(0, 10)
    with pytest.raises(ValueError, match="estimator must be a vaecore.estimators.Estimator, got 'magic'"):
        categorical_vae("magic")


def test_categorical_evaluation_uses_the_closed_form_kl_to_the_uniform_prior(intensities):
    vae = categorical_vae(estimators.ScoreFunction())
    vae.compile(optimizer="adam")
    binary = data.binarize_fixed(intensities, seed=2)
    result = evaluation.evaluate_terms(vae, binary, batch_size=16)
    assert set(result) == {"elbo", "reconstruction", "kl"}
    expected_kl = float(tf.reduce_mean(losses.kl_categorical_to_uniform(vae.encoder(binary))))
    np.testing.assert_allclose(result["kl"], expected_kl, rtol=1e-5)
    assert 0.0 <= result["kl"] <= 3 * np.log(4.0)


def reconstruction_gradients(vae, images):
    """Gradients of the estimator's objective (reconstruction + surrogate) for the encoder's weights."""
    x = data.binarize_fixed(images, seed=0)
    with tf.GradientTape() as tape:
        objective, _, _ = vae.estimator.objective(vae.encoder(x), lambda codes: vae.reconstruction(x, codes))
    return tape.gradient(objective, vae.encoder.trainable_weights)


@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_only_the_no_gradient_estimator_leaves_the_encoder_without_a_reconstruction_gradient(intensities, name):
    gradients = reconstruction_gradients(categorical_vae(ESTIMATORS[name]()), intensities)
    assert all((g is None) == (name == estimators.NoGradient.name) for g in gradients)


@pytest.mark.parametrize("name", [name for name in ESTIMATORS if name != estimators.NoGradient.name])
def test_categorical_training_raises_the_elbo(intensities, name):
    keras.utils.set_random_seed(0)
    images = np.repeat(intensities[:4], 64, axis=0)
    test = data.binarize_fixed(images, seed=0)
    vae = categorical_vae(ESTIMATORS[name]())
    vae.compile(optimizer=keras.optimizers.Adam(3e-3))
    before = evaluation.evaluate_terms(vae, test)["elbo"]
    history = vae.fit(data.train_dataset(images, 64), epochs=10, verbose=0).history
    assert evaluation.evaluate_terms(vae, test)["elbo"] > before + 20
    # The discrete ELBO is tracked under the same name whatever the estimator; a relaxed objective apart.
    assert ("relaxed_elbo" in history) == vae.estimator.relaxed
    np.testing.assert_allclose(history["elbo"][-1], history["reconstruction"][-1] - history["kl"][-1], rtol=1e-4)


def test_relaxed_training_reports_the_discrete_elbo_at_the_gumbel_max_code(intensities):
    # At a high temperature the relaxed code is far from one-hot: the two objectives must differ.
    keras.utils.set_random_seed(0)
    vae = categorical_vae(estimators.GumbelSoftmax(temperature=5.0))
    for layer in vae.decoder.layers:  # a decoder that depends strongly on its code
        if layer.weights:
            layer.kernel.assign(layer.kernel * 10.0)
    vae.compile(optimizer=keras.optimizers.Adam(1e-3))
    logs = vae.train_on_batch(data.binarize_fixed(intensities, seed=0), return_dict=True)
    assert abs(logs["relaxed_elbo"] - logs["elbo"]) > 50.0


def test_score_function_baseline_tracks_the_reconstruction(intensities):
    keras.utils.set_random_seed(0)
    vae = categorical_vae(estimators.ScoreFunction(baseline_decay=0.5))
    vae.compile(optimizer=keras.optimizers.Adam(1e-3))
    history = vae.fit(data.train_dataset(intensities, 16), epochs=20, verbose=0)
    np.testing.assert_allclose(float(vae.estimator.baseline), history.history["reconstruction"][-1], rtol=0.1)


def test_categorical_pictures(intensities):
    vae = categorical_vae(estimators.StraightThrough())
    assert vae.reconstruct(intensities[:2]).shape == (2, 28, 28, 1)
    assert vae.sample_prior(3).shape == (3, 28, 28, 1)


def test_categorical_importance_weights_by_enumeration():
    # One latent of 4 classes: log p(x) = log sum_k p(x|e_k) / 4 exactly, and the k-sample bound
    # converges to it, starting from the ELBO at k = 1.
    keras.utils.set_random_seed(5)
    vae = models.CategoricalVAE(networks.dense_logits_encoder(1, 4, (8,)), networks.dense_decoder(4, (8,)),
                                estimator=estimators.NoGradient())
    x = data.binarize_fixed(np.random.default_rng(1).random((3, 28, 28, 1), dtype=np.float32), seed=0)
    codes = tf.one_hot(tf.range(4), 4)[:, None, None, :] * tf.ones((1, 3, 1, 1))
    exact = tf.reduce_logsumexp(vae.reconstruction(x, codes), axis=0).numpy() - np.log(4.0)
    logits = vae.encoder(x)
    q = tf.nn.softmax(logits)[:, 0].numpy()
    # The estimate is the log of a mean of k weights w = p(x, z) / q(z); its standard error is about
    # the weights' coefficient of variation under q over sqrt(k), computed here by enumeration.
    w = np.exp(vae.reconstruction(x, codes).numpy().T - np.log(4.0) - np.log(q) - exact[:, None])  # mean 1
    noise = np.sqrt((q * (w - 1.0) ** 2).sum(1) / 4000)
    keras.utils.set_random_seed(0)
    estimate = evaluation.importance_weighted_log_likelihood(vae, x, k=4000, chunk=1000).numpy()
    assert np.all(np.abs(estimate - exact) < 5 * noise) and np.all(noise < 0.1), (estimate - exact, noise)
    weights = vae.log_importance_weights(x, 2000).numpy()
    elbo = (q * vae.reconstruction(x, codes).numpy().T).sum(1) - losses.kl_categorical_to_uniform(logits).numpy()
    np.testing.assert_allclose(weights.mean(axis=0), elbo, atol=0.5)






def test_bfloat16_arithmetic_gives_float32_outputs_close_to_float32(intensities):
    x = data.binarize_fixed(intensities, seed=0)
    vaes = {}
    for precision in ("float32", "mixed_bfloat16"):
        keras.utils.set_random_seed(0)  # the same initial weights for both
        vaes[precision] = models.GaussianVAE(networks.conv_encoder(3, precision=precision),
                                             networks.conv_decoder(3, precision=precision))
    exact, rounded = vaes["float32"], vaes["mixed_bfloat16"]
    assert rounded.encoder.layers[1].compute_dtype == "bfloat16"
    for a, b in zip(exact.encode(x), rounded.encode(x)):
        assert b.dtype == tf.float32
        np.testing.assert_allclose(b, a, atol=0.05)
    z = np.random.default_rng(0).normal(size=(4, 3)).astype(np.float32)
    assert rounded.logits(z).dtype == tf.float32
    # bfloat16 keeps 8 significant bits: per-image log-likelihoods agree to well under 1%.
    np.testing.assert_allclose(losses.bernoulli_log_likelihood(x[:4], rounded.logits(z)),
                               losses.bernoulli_log_likelihood(x[:4], exact.logits(z)), rtol=5e-3)
    rounded.compile(optimizer=keras.optimizers.Adam(1e-3))
    history = rounded.fit(data.train_dataset(intensities, 8), epochs=1, verbose=0).history
    assert np.isfinite(history["elbo"][-1])
    with pytest.raises(ValueError, match="precision must be one of"):
        networks.conv_decoder(3, precision="float16")


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
    before = evaluation.evaluate_terms(vae, test)
    vae.fit(data.train_dataset(images, 16), epochs=5, verbose=0)
    after = evaluation.evaluate_terms(vae, test)
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
    assert bound["elbo"] == pytest.approx(evaluation.evaluate_terms(vae, test)["elbo"], abs=1e-3)
    assert bound["code_nll"] == pytest.approx(49 * math.log(32))
    decoded = vae.bernoulli_means(vae.codes(test[:3]))
    np.testing.assert_allclose(decoded, vae.reconstruct(test[:3]), atol=1e-6)


def test_the_ema_codebook_is_not_a_trainable_weight():
    plain = small_vqvae(quantizers.VectorQuantizer(16, 4))
    ema = small_vqvae(quantizers.EMAVectorQuantizer(16, 4))
    plain(np.zeros((1, 28, 28, 1), np.float32)), ema(np.zeros((1, 28, 28, 1), np.float32))
    assert len(plain.trainable_weights) == len(ema.trainable_weights) + 1
