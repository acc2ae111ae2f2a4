"""What vaecore's modules ask of each other, written as types.

- What ``evaluation`` asks of a model, one protocol per kind of bound: ``ImportanceSampled``
  (Burda et al.'s bound), ``Enumerable`` (exact sums over every code), ``DeterministicCode`` (a
  VQ-VAE's bound under a prior over codes), ``GaussianPosterior`` (which coordinates of a Gaussian
  code are used). ``evaluate_terms`` needs only Keras' ``evaluate``.
- What every model offers for pictures: ``Decoding`` (logits and Bernoulli means of p(x|z) for
  the model's own kind of code z, and reconstructions).
- What a VQ-VAE asks of a quantizer: ``Quantizer``, returning a ``Quantization``.

The models and quantizers name these protocols among their bases, so the type says what they
offer; ``isinstance`` checks them at run time.
"""

from __future__ import annotations

from typing import NamedTuple, Protocol, runtime_checkable

import numpy as np
import tensorflow as tf


@runtime_checkable
class Decoding(Protocol):
    """A model's decoder, seen from outside: z is the model's code (vectors, one-hot codes or integer grids)."""

    def logits(self, z) -> tf.Tensor:
        """Bernoulli logits of p(x|z)."""

    def bernoulli_means(self, z) -> np.ndarray:
        """sigmoid(logits): the picture of p(x|z), as NumPy."""

    def reconstruct(self, images) -> np.ndarray:
        """Bernoulli means of p(x|z) at each image's most likely code."""


@runtime_checkable
class ImportanceSampled(Protocol):
    def log_importance_weights(self, x, num_samples: int) -> tf.Tensor:
        """log p(x, z) - log q(z|x) for ``num_samples`` draws z ~ q(z|x) per binary image: (num_samples, batch)."""


@runtime_checkable
class Enumerable(Protocol):
    def log_weights_of_every_code(self, x) -> tuple[tf.Tensor, tf.Tensor]:
        """log p(x, z) - log q(z|x) and log q(z|x) for every code z: two (num_codes, batch)."""


@runtime_checkable
class GaussianPosterior(Protocol):
    def encode(self, images) -> tuple[tf.Tensor, tf.Tensor]:
        """Mean and log-variance of a diagonal-Gaussian q(z|x) for binary images: two (batch, latent_dim)."""


@runtime_checkable
class DeterministicCode(Protocol):
    def reconstruction_and_codes(self, x) -> tuple[tf.Tensor, tf.Tensor]:
        """log p(x|c(x)) of binary images at their codes, and the codes: ((batch,), (batch, *grid_shape))."""


class Quantization(NamedTuple):
    """What a quantizer returns for vectors of shape (batch, ..., code_dim)."""

    quantized: tf.Tensor        # the straight-through output, shaped like the inputs
    codes: tf.Tensor            # int32 index of each vector's code: (batch, ...)
    codebook_loss: tf.Tensor    # sum of ||sg(z) - e||^2 over an example's vectors: (batch,)
    commitment_loss: tf.Tensor  # the same distance, ||z - sg(e)||^2, whose gradient moves the encoder: (batch,)
    loss: tf.Tensor             # what the quantizer adds to the training loss: (batch,)


@runtime_checkable
class Quantizer(Protocol):
    """A layer that snaps vectors of size ``code_dim`` to one of ``num_codes`` codes."""

    kind: str  # its name in ``quantizers.REGISTRY``
    code_dim: int
    num_codes: int

    def __call__(self, inputs, training: bool = False) -> Quantization:
        """Quantize (batch, ..., code_dim) vectors."""

    def vectors(self, codes) -> tf.Tensor:
        """The quantized vector of each integer code: (..., code_dim)."""
