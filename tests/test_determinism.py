"""The same seed gives the same model twice: identical weights and identical metrics after training.

Each model is built and trained twice in this process from ``runtime.set_seed(0)``, through the
same ``training.fit`` the chapters use, compiled as it compiles each model kind (XLA for the
dense ones). Its pipeline shuffles and binarizes with random draws, and the estimators, restarts
and annealing draw too. A third run from another seed must differ, so
the test would notice a seed that does not reach every random draw.
"""

import keras
import numpy as np
import pytest

from vaecore import estimators, models, networks, quantizers, runtime, training

BUILDERS = {
    "gaussian": lambda: models.GaussianVAE(networks.conv_encoder(4, (4, 8)), networks.conv_decoder(4, (8, 4))),
    "score function": lambda: models.CategoricalVAE(
        networks.dense_logits_encoder(4, 3, (16,)), networks.dense_decoder(12, (16,)),
        estimator=estimators.LeaveOneOut(num_samples=2)),
    "gumbel-softmax, annealed": lambda: models.CategoricalVAE(
        networks.dense_logits_encoder(4, 3, (16,)), networks.dense_decoder(12, (16,)),
        estimator=estimators.GumbelSoftmax(1.0)),
    "vq, restarts": lambda: models.VQVAE(networks.conv_grid_encoder(4, (4, 8)),
                                         quantizers.VectorQuantizer(8, 4, restart_threshold=1.0),
                                         networks.conv_grid_decoder(4, (8, 4))),
    "vq, ema": lambda: models.VQVAE(networks.conv_grid_encoder(4, (4, 8)), quantizers.EMAVectorQuantizer(8, 4),
                                    networks.conv_grid_decoder(4, (8, 4))),
}


def train_from(seed, name, images):
    runtime.set_seed(seed)
    model = BUILDERS[name]()
    annealing = estimators.Annealing(1.0, 0.5, rate=0.05, every=2) if name.endswith("annealed") else False
    run = training.fit(model, images, learning_rate=1e-2, epochs=2, batch_size=32, anneal_temperature=annealing,
                       verbose=0)
    return [weight.numpy() for weight in model.weights], run.history


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_the_same_seed_trains_the_same_model(intensities, name):
    images = np.repeat(intensities, 8, axis=0)
    first_weights, first_history = train_from(0, name, images)
    second_weights, second_history = train_from(0, name, images)
    assert first_history == second_history
    assert all(np.array_equal(a, b) for a, b in zip(first_weights, second_weights, strict=True))
    other_weights, _ = train_from(1, name, images)
    assert not all(np.array_equal(a, b) for a, b in zip(first_weights, other_weights, strict=True))
    keras.backend.clear_session()


def test_restarts_depend_on_the_seed_set_before_training_not_on_when_the_quantizer_was_made(intensities):
    # Chapter 7 makes each quantizer first and seeds afterwards, inside the function that builds the model.
    images = np.repeat(intensities, 8, axis=0)
    weights = []
    for draws_before in (0, 3):
        runtime.set_seed(5)
        for _ in range(draws_before):  # whatever ran earlier in the process
            keras.random.SeedGenerator()
        quantizer = quantizers.VectorQuantizer(64, 4, restart_threshold=1.0)  # many codes die and restart
        runtime.set_seed(0)
        model = models.VQVAE(networks.conv_grid_encoder(4, (4, 8)), quantizer, networks.conv_grid_decoder(4, (8, 4)))
        training.fit(model, images, learning_rate=1e-2, epochs=2, batch_size=32, verbose=0)
        weights.append([weight.numpy() for weight in model.weights])
    assert all(np.array_equal(a, b) for a, b in zip(*weights, strict=True))
