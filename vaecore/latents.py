"""Sampling latent codes so that gradients can flow through the sample.

The reparameterization trick (Kingma & Welling, 2013): instead of drawing
``z ~ N(mean, exp(logvar))`` directly, draw parameter-free noise
``eps ~ N(0, I)`` and compute ``z = mean + exp(logvar / 2) * eps``. The sample
has the same distribution, but it is now a differentiable function of
``mean`` and ``logvar``, so backpropagation reaches the encoder.
"""

from __future__ import annotations

import tensorflow as tf


def reparameterize(mean: tf.Tensor, logvar: tf.Tensor) -> tf.Tensor:
    """A sample of N(mean, diag(exp(logvar))) that is differentiable in both arguments.

    The noise takes its shape from ``tf.shape`` (known when the graph runs), so
    this works inside ``tf.function`` with an unknown batch size.
    """
    eps = tf.random.normal(tf.shape(mean), dtype=mean.dtype)
    return mean + tf.exp(0.5 * logvar) * eps
