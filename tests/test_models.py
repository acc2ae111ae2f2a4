"""The Gaussian VAE: it trains, it reports a true ELBO, and it refuses bad input clearly."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from vaecore import data, losses, models


def small_vae(**kwargs):
    return models.GaussianVAE(models.dense_encoder(4, (32,)), models.dense_decoder(4, (32,)), **kwargs)


@pytest.mark.parametrize("latent_dim", [0, -3, 2.5])
def test_latent_size_below_one_is_refused(latent_dim):
    with pytest.raises(ValueError, match="latent_dim must be a positive integer"):
        models.dense_encoder(latent_dim)
    with pytest.raises(ValueError, match="latent_dim must be a positive integer"):
        models.dense_decoder(latent_dim)


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
    before = models.evaluate_elbo(vae, test)["elbo"]
    history = vae.fit(data.train_dataset(images, 64), epochs=15, verbose=0)
    after = models.evaluate_elbo(vae, test)["elbo"]
    assert after > before + 20
    assert history.history["elbo"][-1] > history.history["elbo"][0]


def test_evaluation_reports_the_elbo_with_its_closed_form_kl(intensities):
    keras.utils.set_random_seed(0)
    vae = small_vae()
    vae.compile(optimizer="adam")
    binary = data.binarize_fixed(intensities, seed=1)
    result = models.evaluate_elbo(vae, binary, batch_size=16)
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
        models.evaluate_elbo(vae, intensities)


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
    return models.CategoricalVAE(models.dense_logits_encoder(3, 4, (32,)), models.dense_decoder(12, (32,)),
                                 estimator=estimator, **kwargs)


def test_categorical_builders_refuse_bad_sizes():
    with pytest.raises(ValueError, match="num_classes must be an integer of at least 2"):
        models.dense_logits_encoder(3, 1)
    with pytest.raises(ValueError, match="latent_dim must be a positive integer"):
        models.dense_logits_encoder(0, 10)
    with pytest.raises(ValueError, match="estimator must be one of"):
        categorical_vae("magic")
    with pytest.raises(ValueError, match="temperature must be positive"):
        categorical_vae("gumbel_softmax", temperature=0.0)


def test_categorical_evaluation_uses_the_closed_form_kl_to_the_uniform_prior(intensities):
    vae = categorical_vae("reinforce")
    vae.compile(optimizer="adam")
    binary = data.binarize_fixed(intensities, seed=2)
    result = models.evaluate_elbo(vae, binary, batch_size=16)
    expected_kl = float(tf.reduce_mean(losses.kl_categorical_to_uniform(vae.encoder(binary))))
    np.testing.assert_allclose(result["kl"], expected_kl, rtol=1e-5)
    assert 0.0 <= result["kl"] <= 3 * np.log(4.0)


def encoder_gradients(vae, images):
    """Gradients of the reconstruction term, through the training sample, for the encoder's weights."""
    x = data.binarize_fixed(images, seed=0)
    with tf.GradientTape() as tape:
        logits = vae.encoder(x)
        z = vae.training_sample(logits)
        reconstruction = losses.bernoulli_log_likelihood(x, vae.decode(z))
    return tape.gradient(reconstruction, vae.encoder.trainable_weights)


@pytest.mark.parametrize("estimator, reaches_encoder", [
    ("none", False), ("reinforce", False), ("gumbel_softmax", True), ("straight_through", True)])
def test_which_samples_let_the_reconstruction_gradient_reach_the_encoder(intensities, estimator, reaches_encoder):
    # REINFORCE reaches the encoder through its surrogate term, not through the sample itself.
    gradients = encoder_gradients(categorical_vae(estimator), intensities)
    assert all((g is not None) == reaches_encoder for g in gradients)


@pytest.mark.parametrize("estimator", ["reinforce", "gumbel_softmax", "straight_through"])
def test_categorical_training_raises_the_elbo(intensities, estimator):
    keras.utils.set_random_seed(0)
    images = np.repeat(intensities[:4], 64, axis=0)
    test = data.binarize_fixed(images, seed=0)
    vae = categorical_vae(estimator)
    vae.compile(optimizer=keras.optimizers.Adam(3e-3))
    before = models.evaluate_elbo(vae, test)["elbo"]
    vae.fit(data.train_dataset(images, 64), epochs=10, verbose=0)
    assert models.evaluate_elbo(vae, test)["elbo"] > before + 20


def test_reinforce_baseline_tracks_the_reconstruction(intensities):
    keras.utils.set_random_seed(0)
    vae = categorical_vae("reinforce", baseline_decay=0.5)
    vae.compile(optimizer=keras.optimizers.Adam(1e-3))
    history = vae.fit(data.train_dataset(intensities, 16), epochs=20, verbose=0)
    np.testing.assert_allclose(float(vae.baseline), history.history["reconstruction"][-1], rtol=0.1)


def test_categorical_pictures(intensities):
    vae = categorical_vae("straight_through")
    assert vae.reconstruct(intensities[:2]).shape == (2, 28, 28, 1)
    assert vae.sample_prior(3).shape == (3, 28, 28, 1)


@pytest.mark.parametrize("heads", ["separate", "split"])
def test_conv_vae_shapes(heads):
    encoder, decoder = models.conv_encoder(5, heads=heads), models.conv_decoder(5)
    wide = models.conv_decoder(5, filters=(8, 4), hidden=(16,), base_channels=8)
    assert wide(np.zeros((2, 5), np.float32)).shape == (2, 28, 28, 1)
    mean, logvar = encoder(np.zeros((2, 28, 28, 1), np.float32))
    assert mean.shape == logvar.shape == (2, 5)
    assert decoder(mean).shape == (2, 28, 28, 1)


@pytest.mark.parametrize("hidden", [(), (16,)])
def test_split_and_separate_heads_are_the_same_function_class(hidden):
    # Both have the same weights in a different layout: copying them over gives identical outputs.
    separate = models.conv_encoder(4, heads="separate", hidden=hidden)
    split = models.conv_encoder(4, heads="split", hidden=hidden)
    assert separate.count_params() == split.count_params()
    models.copy_to_split_heads(separate, split)
    x = np.random.default_rng(0).random((3, 28, 28, 1)).astype(np.float32)
    for a, b in zip(separate(x), split(x)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="differ only in their heads"):
        models.copy_to_split_heads(separate, models.conv_encoder(4, heads="split", hidden=(8, 8)))
    with pytest.raises(ValueError, match="heads must be"):
        models.conv_encoder(4, heads="shared")


def test_bfloat16_arithmetic_gives_float32_outputs_close_to_float32(intensities):
    x = data.binarize_fixed(intensities, seed=0)
    vaes = {}
    for precision in ("float32", "mixed_bfloat16"):
        keras.utils.set_random_seed(0)  # the same initial weights for both
        vaes[precision] = models.GaussianVAE(models.conv_encoder(3, precision=precision),
                                             models.conv_decoder(3, precision=precision))
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
        models.conv_decoder(3, precision="float16")
