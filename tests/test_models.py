"""The Gaussian VAE: it trains, it reports a true ELBO, and it refuses bad input clearly."""

import itertools

import keras
import numpy as np
import pytest
import tensorflow as tf
from scipy import special

from vaecore import data, estimators, evaluation, losses, models, networks


def small_vae(**kwargs):
    return models.GaussianVAE(networks.dense_encoder(4, (32,)), networks.dense_decoder(4, (32,)), **kwargs)


@pytest.mark.parametrize("latent_dim", [0, -3, 2.5])
def test_latent_size_below_one_is_refused(latent_dim):
    with pytest.raises(ValueError, match="latent_dim must be an integer of at least 1"):
        networks.dense_encoder(latent_dim)
    with pytest.raises(ValueError, match="latent_dim must be an integer of at least 1"):
        networks.dense_decoder(latent_dim)


@pytest.mark.parametrize("option", [{"binarization": "threshold"}, {"kl_estimator": "sampled"}])
def test_unknown_options_are_refused(option):
    with pytest.raises(ValueError, match="must be one of"):
        small_vae(**option)


def test_training_raises_the_elbo(intensities):
    keras.utils.set_random_seed(0)
    images = np.repeat(intensities[:4], 64, axis=0)
    test = data.binarize_fixed(images, seed=0)
    vae = small_vae(binarization="dynamic")
    vae.compile(optimizer=keras.optimizers.Adam(3e-3))
    before = evaluation.evaluate_elbo(vae, test)["elbo"]
    history = vae.fit(data.train_dataset(images, 64), epochs=15, verbose=0)
    after = evaluation.evaluate_elbo(vae, test)["elbo"]
    assert after > before + 20
    assert history.history["elbo"][-1] > history.history["elbo"][0]


def test_evaluation_reports_the_elbo_with_its_closed_form_kl(intensities):
    keras.utils.set_random_seed(0)
    vae = small_vae()
    vae.compile(optimizer="adam")
    binary = data.binarize_fixed(intensities, seed=1)
    result = evaluation.evaluate_elbo(vae, binary, batch_size=16)
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
        evaluation.evaluate_elbo(vae, intensities)


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


ESTIMATORS = {
    "none": estimators.NoGradient, "score function": estimators.ScoreFunction,
    "leave-one-out": lambda: estimators.LeaveOneOut(3), "Gumbel-Softmax": estimators.GumbelSoftmax,
    "straight-through": estimators.StraightThrough, "ST Gumbel": estimators.StraightThroughGumbel,
    "ReinMax": lambda: estimators.ReinMax(1.5), "exact": estimators.Exact,
}


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
    result = evaluation.evaluate_elbo(vae, binary, batch_size=16)
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
    assert all((g is None) == (name == "none") for g in gradients)


@pytest.mark.parametrize("name", [name for name in ESTIMATORS if name != "none"])
def test_categorical_training_raises_the_elbo(intensities, name):
    keras.utils.set_random_seed(0)
    images = np.repeat(intensities[:4], 64, axis=0)
    test = data.binarize_fixed(images, seed=0)
    vae = categorical_vae(ESTIMATORS[name]())
    vae.compile(optimizer=keras.optimizers.Adam(3e-3))
    before = evaluation.evaluate_elbo(vae, test)["elbo"]
    history = vae.fit(data.train_dataset(images, 64), epochs=10, verbose=0).history
    assert evaluation.evaluate_elbo(vae, test)["elbo"] > before + 20
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
    tf.random.set_seed(0)
    estimate = evaluation.importance_weighted_log_likelihood(vae, x, k=4000, chunk=1000).numpy()
    np.testing.assert_allclose(estimate, exact, atol=0.05)
    weights = vae.log_importance_weights(x, 2000).numpy()
    logits = vae.encoder(x)
    q = tf.nn.softmax(logits)[:, 0].numpy()
    elbo = (q * vae.reconstruction(x, codes).numpy().T).sum(1) - losses.kl_categorical_to_uniform(logits).numpy()
    np.testing.assert_allclose(weights.mean(axis=0), elbo, atol=0.5)


@pytest.mark.parametrize("heads", ["separate", "split"])
def test_conv_vae_shapes(heads):
    encoder, decoder = networks.conv_encoder(5, heads=heads), networks.conv_decoder(5)
    wide = networks.conv_decoder(5, filters=(8, 4), hidden=(16,), base_channels=8)
    assert wide(np.zeros((2, 5), np.float32)).shape == (2, 28, 28, 1)
    mean, logvar = encoder(np.zeros((2, 28, 28, 1), np.float32))
    assert mean.shape == logvar.shape == (2, 5)
    assert decoder(mean).shape == (2, 28, 28, 1)


@pytest.mark.parametrize("hidden", [(), (16,)])
def test_split_and_separate_heads_are_the_same_function_class(hidden):
    # Both have the same weights in a different layout: copying them over gives identical outputs.
    separate = networks.conv_encoder(4, heads="separate", hidden=hidden)
    split = networks.conv_encoder(4, heads="split", hidden=hidden)
    assert separate.count_params() == split.count_params()
    networks.copy_to_split_heads(separate, split)
    x = np.random.default_rng(0).random((3, 28, 28, 1)).astype(np.float32)
    for a, b in zip(separate(x), split(x)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="differ only in their heads"):
        networks.copy_to_split_heads(separate, networks.conv_encoder(4, heads="split", hidden=(8, 8)))
    with pytest.raises(ValueError, match="heads must be"):
        networks.conv_encoder(4, heads="shared")


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


def test_enumerated_bounds_against_every_code_decoded_one_by_one():
    # Two latents of 3 classes: 9 codes, each decoded on its own; q, p(x|z) and the sums redone in NumPy.
    keras.utils.set_random_seed(7)
    vae = models.CategoricalVAE(networks.dense_logits_encoder(2, 3, (8,)), networks.dense_decoder(6, (8,)),
                                estimator=estimators.Exact())
    x = data.binarize_fixed(np.random.default_rng(2).random((5, 28, 28, 1), dtype=np.float32), seed=0)
    q = special.softmax(vae.encoder(x).numpy().astype(np.float64), axis=-1)
    pixels = x.reshape(5, -1).astype(np.float64)
    log_joint, log_q = [], []
    for a, b in itertools.product(range(3), repeat=2):
        code = np.zeros((5, 2, 3), np.float32)
        code[:, 0, a] = code[:, 1, b] = 1.0
        p = special.expit(vae.decode(code).numpy().reshape(5, -1).astype(np.float64))
        log_joint.append(np.sum(pixels * np.log(p) + (1 - pixels) * np.log1p(-p), axis=1) - 2 * np.log(3))
        log_q.append(np.log(q[:, 0, a] * q[:, 1, b]))
    log_joint, log_q = np.array(log_joint), np.array(log_q)
    elbo = np.sum(np.exp(log_q) * (log_joint - log_q), axis=0)
    log_likelihood = special.logsumexp(log_joint, axis=0)
    result = evaluation.enumerated_bounds(vae, x, batch_size=2)
    np.testing.assert_allclose(result["elbo"], elbo.mean(), rtol=1e-5)
    np.testing.assert_allclose(result["log_likelihood"], log_likelihood.mean(), rtol=1e-5)
    np.testing.assert_allclose(result["posterior_kl"], (log_likelihood - elbo).mean(), rtol=1e-3, atol=1e-4)
    assert result["posterior_kl"] > 0
