"""The reparameterization trick: right distribution, and gradients that reach its parameters."""

import numpy as np
import tensorflow as tf

from vaecore import latents


def test_reparameterized_sample_has_the_requested_mean_and_variance():
    tf.random.set_seed(0)
    mean = tf.constant([[-2.0, 0.0, 3.0]])
    logvar = tf.constant([[0.0, np.log(4.0), np.log(0.25)]], tf.float32)
    z = latents.reparameterize(tf.repeat(mean, 100_000, axis=0), tf.repeat(logvar, 100_000, axis=0)).numpy()
    np.testing.assert_allclose(z.mean(axis=0), mean[0], atol=0.02)
    np.testing.assert_allclose(z.var(axis=0), [1.0, 4.0, 0.25], rtol=0.02)


def test_gradients_flow_to_mean_and_logvar():
    mean = tf.Variable([[0.5, -1.0]])
    logvar = tf.Variable([[0.2, -0.4]])
    with tf.GradientTape() as tape:
        z = latents.reparameterize(mean, logvar)
        total = tf.reduce_sum(z)
    d_mean, d_logvar = tape.gradient(total, [mean, logvar])
    eps = (z - mean) / tf.exp(0.5 * logvar)  # the noise that was drawn
    np.testing.assert_allclose(d_mean, [[1.0, 1.0]])
    np.testing.assert_allclose(d_logvar, 0.5 * tf.exp(0.5 * logvar) * eps, rtol=1e-5)


def test_works_with_an_unknown_batch_size_inside_tf_function():
    sample = tf.function(latents.reparameterize, input_signature=[tf.TensorSpec([None, 4])] * 2)
    assert sample(tf.zeros((7, 4)), tf.zeros((7, 4))).shape == (7, 4)
