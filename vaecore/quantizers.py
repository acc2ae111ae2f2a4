"""Quantizers for VQ-VAEs: a codebook layer (plain or EMA), dead-code restarts, and finite scalar quantization.

Every quantizer is a Keras layer whose ``call`` returns a :class:`Quantization`: the output the
decoder reads, the integer code of each vector, and the per-example loss terms. The output is the
straight-through copy of the quantized vector: its value is exactly the codebook vector, its
gradient goes to the encoder unchanged, and none of the decoder's gradient reaches the codebook,
whose only gradient is the codebook loss (van den Oord et al., 2017).

Every quantizer layer declares ``contracts.Quantizer`` and is registered once in ``REGISTRY``
(by its ``kind``). Knows no model; ``CodeUsage`` counts codes over a whole epoch or test set and reports their
perplexity exp(entropy), because a perplexity measured per batch depends on the batch size.
"""

from __future__ import annotations

import math
import keras
import numpy as np
import tensorflow as tf

from vaecore import checks, latents, losses
from vaecore.contracts import Quantization, Quantizer


REGISTRY: dict[str, type] = {}


def register(cls: type) -> type:
    """Class decorator: list a quantizer layer in ``REGISTRY`` under its ``kind`` (once)."""
    if cls.kind in REGISTRY:
        raise ValueError(f"a quantizer of kind {cls.kind!r} is registered already ({REGISTRY[cls.kind].__name__})")
    REGISTRY[cls.kind] = cls
    return cls


def nearest_codes(vectors: tf.Tensor, codebook: tf.Tensor) -> tf.Tensor:
    """Index of the codebook row (codebook: (K, D)) nearest in Euclidean distance to each vector (..., D)."""
    vectors, codebook = tf.convert_to_tensor(vectors), tf.convert_to_tensor(codebook)
    if vectors.shape[-1] is not None and codebook.shape[-1] is not None and vectors.shape[-1] != codebook.shape[-1]:
        raise ValueError(f"vectors have size {vectors.shape[-1]} but the codebook's vectors have size "
                         f"{codebook.shape[-1]}; they must match")
    flat = tf.reshape(vectors, [-1, tf.shape(codebook)[1]])
    # ||z - e||^2 = ||z||^2 - 2 z.e + ||e||^2, as one matrix product instead of a (N, K, D) tensor.
    distances = (tf.reduce_sum(flat**2, 1, keepdims=True) - 2.0 * tf.matmul(flat, codebook, transpose_b=True)
                 + tf.reduce_sum(codebook**2, 1)[None, :])
    return tf.reshape(tf.argmin(distances, axis=1, output_type=tf.int32), tf.shape(vectors)[:-1])


def straight_through_copy(quantized: tf.Tensor, inputs: tf.Tensor) -> tf.Tensor:
    """``quantized`` forward (bit-exact), identity backward to ``inputs``, and no gradient to ``quantized``.

    ``latents.straight_through`` with the quantized value cut off from the gradient. The gradient is
    that of the usual ``inputs + stop_gradient(quantized - inputs)``, whose value in float32 is only
    close to ``quantized``.
    """
    return latents.straight_through(tf.stop_gradient(quantized), inputs)


@register
class VectorQuantizer(keras.layers.Layer, Quantizer):
    """Snaps each ``code_dim``-vector to the nearest of ``num_codes`` learned codebook vectors.

    The training loss it adds is codebook loss + ``beta`` x commitment loss (per example, summed
    over its vectors). With ``restart_threshold`` set, a code whose moving average of uses per
    training batch (decay ``usage_decay``) falls below it is moved onto a random encoder output of
    the current batch, as Jukebox does (Dhariwal et al., 2020): dead codes come back to life.
    """

    kind = "codebook"
    codebook_is_trained = True  # by the optimizer, through the codebook loss

    def __init__(self, num_codes: int, code_dim: int, beta: float = 0.25, restart_threshold: float | None = None,
                 usage_decay: float = 0.99, **kwargs):
        super().__init__(**kwargs)
        self.num_codes = checks.integer_at_least("num_codes", num_codes, 1, "a codebook needs at least one vector")
        self.code_dim = checks.integer_at_least("code_dim", code_dim, 1)
        self.beta = checks.number_in("beta", beta, 0.0, math.inf, "van den Oord et al. use 0.25")
        if restart_threshold is not None:
            checks.number_in("restart_threshold", restart_threshold, 0.0, math.inf,
                             "use e.g. 1.0 (uses per batch), or None for no restarts", open_low=True)
        self.restart_threshold = restart_threshold
        self.usage_decay = checks.number_in("usage_decay", usage_decay, 0.0, 1.0, "use e.g. 0.99", open_high=True)

    def build(self, input_shape):
        if input_shape[-1] != self.code_dim:
            raise ValueError(f"the encoder outputs vectors of size {input_shape[-1]} (input shape {tuple(input_shape)}) "
                             f"but code_dim is {self.code_dim}; make the encoder's last layer output {self.code_dim} "
                             f"channels or pass code_dim={input_shape[-1]}")
        self.codebook = self.add_weight(shape=(self.num_codes, self.code_dim), initializer="random_uniform",
                                        trainable=self.codebook_is_trained, name="codebook")
        # Starting at the threshold: a code unused in the first batch is restarted at once (a data-dependent init).
        self.usage = self.add_weight(shape=(self.num_codes,), initializer=keras.initializers.Constant(
            self.restart_threshold or 0.0), trainable=False, name="usage")
        if self.restart_threshold is not None:
            # Seeded when the model is built, not when the layer is made: the seed set in between counts.
            self.seed_generator = keras.random.SeedGenerator()

    def call(self, inputs, training=False):
        inputs = tf.convert_to_tensor(inputs, self.compute_dtype)
        codes = nearest_codes(inputs, self.codebook)
        quantized = tf.gather(self.codebook, codes)
        codebook_loss = losses.per_example_sum(
            (tf.stop_gradient(inputs) - quantized) ** 2
        )
        commitment_loss = losses.per_example_sum(
            (inputs - tf.stop_gradient(quantized)) ** 2
        )
        if training:
            self.update_codebook(
                tf.reshape(inputs, [-1, self.code_dim]),
                tf.reshape(codes, [-1]),
            )
        return Quantization(
            straight_through_copy(quantized, inputs),
            codes,
            codebook_loss,
            commitment_loss,
            self.training_loss(codebook_loss, commitment_loss),
        )

    def vectors(self, codes) -> tf.Tensor:
        """The codebook vector of each integer code: (..., code_dim)."""
        return tf.gather(self.codebook, codes)

    def training_loss(self, codebook_loss, commitment_loss):
        return codebook_loss + self.beta * commitment_loss

    def update_codebook(self, vectors, codes) -> None:
        """After a training batch: count uses and, if asked, restart dead
        codes.
        """
        counts = tf.math.unsorted_segment_sum(
            tf.ones_like(codes, tf.float32), codes, self.num_codes
        )
        self.usage.assign(
            self.usage_decay * self.usage
            + (1.0 - self.usage_decay) * counts
        )
        if self.restart_threshold is not None:
            dead = self.usage < self.restart_threshold
            picks = tf.cast(
                keras.random.uniform(
                    (self.num_codes,), seed=self.seed_generator
                )
                * tf.cast(tf.shape(vectors)[0], tf.float32),
                tf.int32,
            )
            self.restart(
                dead,
                tf.gather(
                    tf.stop_gradient(vectors),
                    tf.minimum(picks, tf.shape(vectors)[0] - 1),
                ),
            )

    def restart(self, dead, replacements) -> None:
        """Move the ``dead`` codes onto ``replacements`` and give them a fresh start in the usage count."""
        self.codebook.assign(tf.where(dead[:, None], replacements, self.codebook))
        self.usage.assign(tf.where(dead, self.restart_threshold, self.usage))

    def get_config(self):
        return {**super().get_config(), "num_codes": self.num_codes, "code_dim": self.code_dim, "beta": self.beta,
                "restart_threshold": self.restart_threshold, "usage_decay": self.usage_decay}


@register
class EMAVectorQuantizer(VectorQuantizer):
    """A ``VectorQuantizer`` whose codebook follows moving averages of its encoder outputs, not a gradient.

    Each code becomes the (exponential moving) mean of the vectors assigned to it (decay
    ``decay``), with Laplace smoothing ``epsilon`` of the counts so that an unused code never
    divides by zero (van den Oord et al., 2017, appendix; as Sonnet's ``VectorQuantizerEMA``). The
    training loss is then ``beta`` x commitment alone; the codebook loss is still reported.
    """

    kind = "ema codebook"

    codebook_is_trained = False

    def __init__(self, num_codes: int, code_dim: int, beta: float = 0.25, decay: float = 0.99, epsilon: float = 1e-5,
                 **kwargs):
        super().__init__(num_codes, code_dim, beta, **kwargs)
        self.decay = checks.number_in("decay", decay, 0.0, 1.0, "use e.g. 0.99", open_high=True)
        self.epsilon = checks.number_in("epsilon", epsilon, 0.0, math.inf, "use e.g. 1e-5", open_low=True)

    def build(self, input_shape):
        super().build(input_shape)
        self.cluster_size = self.add_weight(shape=(self.num_codes,), initializer="ones", trainable=False,
                                            name="cluster_size")
        self.vector_sum = self.add_weight(shape=(self.num_codes, self.code_dim), trainable=False, name="vector_sum")
        self.vector_sum.assign(self.codebook)

    def training_loss(self, codebook_loss, commitment_loss):
        return self.beta * commitment_loss

    def update_codebook(self, vectors, codes) -> None:
        one_hot = tf.one_hot(codes, self.num_codes, dtype=vectors.dtype)
        self.cluster_size.assign(
            self.decay * self.cluster_size
            + (1.0 - self.decay) * tf.reduce_sum(one_hot, 0)
        )
        self.vector_sum.assign(
            self.decay * self.vector_sum
            + (1.0 - self.decay)
            * tf.matmul(one_hot, vectors, transpose_a=True)
        )
        total = tf.reduce_sum(self.cluster_size)
        smoothed = (
            (self.cluster_size + self.epsilon)
            / (total + self.num_codes * self.epsilon)
            * total
        )
        self.codebook.assign(self.vector_sum / smoothed[:, None])
        super().update_codebook(vectors, codes)

    def restart(self, dead, replacements) -> None:
        super().restart(dead, replacements)
        self.cluster_size.assign(tf.where(dead, 1.0, self.cluster_size))
        self.vector_sum.assign(tf.where(dead[:, None], replacements, self.vector_sum))

    def get_config(self):
        return {**super().get_config(), "decay": self.decay, "epsilon": self.epsilon}


@register
class FiniteScalarQuantizer(keras.layers.Layer, Quantizer):
    """Finite scalar quantization (Mentzer et al., 2023): bound each dimension, round it, no codebook.

    Dimension i of a ``len(levels)``-vector is squashed by a shifted tanh into an interval holding
    ``levels[i]`` integers and rounded (straight-through); the result is scaled into [-1, 1]. The
    implicit codebook is the grid of all ``prod(levels)`` combinations, every one reachable, so
    there is nothing to collapse and no loss to add.
    """

    kind = "finite scalar"

    def __init__(self, levels=(5, 5, 5), **kwargs):
        super().__init__(**kwargs)
        levels = tuple(levels)
        if not levels:
            raise ValueError("levels must name at least one dimension, got (); use e.g. (5, 5, 5)")
        for level in levels:
            checks.integer_at_least("each of levels", level, 2, f"got levels={levels}; use e.g. (5, 5, 5)")
        self.levels = levels
        self.code_dim = len(levels)
        self.num_codes = int(np.prod(levels))
        levels_array = np.asarray(levels, np.float32)
        self._half_width = np.floor(levels_array / 2)  # rounded values run over -half_width .. (levels - 1) - half_width
        self._half_range = (levels_array - 1) * (1 - 1e-3) / 2
        self._offset = np.where(levels_array % 2 == 0, 0.5, 0.0).astype(np.float32)
        # An even level count has no middle integer: the paper's reference code shifts by tan(offset / half_range).
        self._shift = np.tan(self._offset / self._half_range).astype(np.float32)
        self._basis = np.cumprod([1] + list(levels[:-1])).astype(np.int32)

    def build(self, input_shape):
        if input_shape[-1] != self.code_dim:
            raise ValueError(f"the encoder outputs vectors of size {input_shape[-1]} but levels={self.levels} "
                             f"quantize {self.code_dim} dimensions; make the encoder output {self.code_dim} channels")

    def bound(self, inputs):
        """Each dimension squashed into an interval that holds exactly
        ``levels[i]`` integers.
        """
        return (
            tf.tanh(inputs + self._shift) * self._half_range - self._offset
        )

    def vectors(self, codes) -> tf.Tensor:
        """The quantized vector of each integer code (the inverse of the code computed in ``call``): (..., code_dim)."""
        digits = (tf.convert_to_tensor(codes, tf.int32)[..., None] // self._basis) % np.asarray(self.levels, np.int32)
        return (tf.cast(digits, tf.float32) - self._half_width) / self._half_width

    def call(self, inputs, training=False):
        inputs = tf.convert_to_tensor(inputs, self.compute_dtype)
        bounded = self.bound(inputs)
        rounded = straight_through_copy(tf.round(bounded), bounded)
        digits = tf.cast(
            tf.round(bounded), tf.int32
        ) + self._half_width.astype(np.int32)
        codes = tf.reduce_sum(digits * self._basis, axis=-1)
        zeros = tf.zeros(tf.shape(inputs)[:1], inputs.dtype)
        return Quantization(
            rounded / self._half_width, codes, zeros, zeros, zeros
        )

    def get_config(self):
        return {**super().get_config(), "levels": self.levels}


class CodeUsage(keras.metrics.Metric):
    """How many of ``num_codes`` codes are used, and the perplexity of their use, over everything seen since reset.

    Keras resets metrics at the start of every epoch and every evaluation, so the values are
    over a whole epoch, or over the whole test set, not over one batch.
    """

    def __init__(self, num_codes: int, name: str = "code_usage", **kwargs):
        super().__init__(name=name, **kwargs)
        self.num_codes = checks.integer_at_least("num_codes", num_codes, 1)
        self.counts = self.add_variable(shape=(num_codes,), initializer="zeros", name="counts")

    def update_state(self, codes, sample_weight=None):
        codes = tf.reshape(tf.cast(codes, tf.int32), [-1])
        self.counts.assign_add(tf.math.unsorted_segment_sum(tf.ones_like(codes, tf.float32), codes, self.num_codes))

    def result(self):
        probabilities = self.counts / tf.maximum(tf.reduce_sum(self.counts), 1.0)
        entropy = -tf.reduce_sum(tf.math.multiply_no_nan(tf.math.log(probabilities), probabilities))
        return {"perplexity": tf.exp(entropy), "codes_used": tf.reduce_mean(tf.cast(self.counts > 0, tf.float32))}

    def reset_state(self):
        self.counts.assign(tf.zeros_like(self.counts))
