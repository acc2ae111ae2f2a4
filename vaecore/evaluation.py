"""Scoring a trained model on the test set: its tracked terms, and the importance-weighted bound.

The protocol the chapters state: binary test images (one fixed seeded draw, or the 0.5
threshold), the model's ``test_step`` over every image, and log p(x) estimated from k importance
samples of q(z|x) per image.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from vaecore import checks, data, losses


def evaluate_elbo(model, images, batch_size: int = 1000) -> dict[str, float]:
    """The test terms of ``model`` (for a VAE: ``elbo``, ``reconstruction``, ``kl``), averaged over binary ``images``."""
    results = model.evaluate(data.eval_dataset(images, batch_size), verbose=0, return_dict=True)
    return {name: float(value) for name, value in results.items()}


def importance_weighted_log_likelihood(model, x, k: int, chunk: int = 50) -> tf.Tensor:
    """Per-image k-sample bound on log p(x) (Burda et al., 2015) for binary images ``x``.

    The model supplies ``log_importance_weights(x, n)``; samples are drawn ``chunk`` at a time and
    combined with log-sum-exp, so memory stays bounded for large ``k``.
    """
    checks.integer_at_least("k", k, 1, "k = 1 gives the ELBO, larger k a tighter bound")
    checks.integer_at_least("chunk", chunk, 1)
    x = tf.convert_to_tensor(x, tf.float32)
    log_weights = [model.log_importance_weights(x, min(chunk, k - start)) for start in range(0, k, chunk)]
    return losses.importance_weighted_bound(tf.concat(log_weights, axis=0))


def evaluate_log_likelihood(model, images, k: int, batch_size: int = 100, chunk: int = 50) -> float:
    """Mean k-sample importance-weighted bound (nats per image) over binary ``images``."""
    checks.images(images)
    estimates = [importance_weighted_log_likelihood(model, images[start:start + batch_size], k, chunk).numpy()
                 for start in range(0, len(images), batch_size)]
    return float(np.mean(np.concatenate(estimates)))
