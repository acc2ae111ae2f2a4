"""vaecore.training: the shared fit helper, the cosine schedule and temperature annealing."""

import math

import keras
import numpy as np
import pytest

from vaecore import data, estimators, models, networks, training


def test_cosine_decay_spans_the_whole_run_and_ends_at_the_floor():
    schedule = training.cosine_decay(1e-3, epochs=3, train_size=1000, batch_size=128, floor=0.1)
    steps = 3 * 8  # ceil(1000 / 128) = 8 batches per epoch
    assert float(schedule(0)) == np.float32(1e-3)
    np.testing.assert_allclose(float(schedule(steps // 2)), 1e-3 * (0.1 + 0.9 * 0.5), rtol=1e-5)
    np.testing.assert_allclose(float(schedule(steps)), 1e-4, rtol=1e-5)


def test_fit_reports_history_epochs_and_throughput(intensities):
    vae = models.GaussianVAE(networks.dense_encoder(2, (8,)), networks.dense_decoder(2, (8,)))
    test = data.binarize_fixed(intensities[:32], seed=0)
    run = training.fit(vae, intensities, learning_rate=1e-3, epochs=2, batch_size=64,
                       validation=test, verbose=0)
    assert run.epochs == 2 and len(run.history["elbo"]) == len(run.history["val_elbo"]) == 2
    assert run.seconds > 0
    np.testing.assert_allclose(run.images_per_second, 2 * len(intensities) / run.seconds)


def test_annealed_temperature_by_hand():
    # Jang et al.: max(0.5, exp(-1e-4 * step)), updated every 1,000 steps.
    assert training.annealed_temperature(0) == 1.0
    assert training.annealed_temperature(999) == 1.0
    assert training.annealed_temperature(1000) == math.exp(-0.1)
    assert training.annealed_temperature(2500) == math.exp(-0.2)
    assert training.annealed_temperature(10**6) == 0.5


class StepRecorder(keras.callbacks.Callback):
    """The temperature each training step actually used."""

    def __init__(self, estimator):
        super().__init__()
        self.estimator, self.temperatures = estimator, []

    def on_train_batch_begin(self, batch, logs=None):
        self.temperatures.append(float(self.estimator.temperature))


def test_annealing_callback_sets_the_scheduled_temperature_during_fit(intensities):
    estimator = estimators.GumbelSoftmax(temperature=1.0)
    vae = models.CategoricalVAE(networks.dense_logits_encoder(2, 3, (8,)), networks.dense_decoder(6, (8,)),
                                estimator=estimator)
    annealing = training.TemperatureAnnealing(estimator, initial=2.0, minimum=0.3, rate=0.1, every=3)
    recorder = StepRecorder(estimator)
    run = training.fit(vae, intensities, learning_rate=1e-3, epochs=2, batch_size=2,
                       callbacks=[annealing, recorder], verbose=0)
    expected = [max(0.3, 2.0 * math.exp(-0.1 * 3 * (step // 3))) for step in range(16)]
    np.testing.assert_allclose(recorder.temperatures, expected, rtol=1e-6)
    np.testing.assert_allclose(run.history["temperature"], [expected[7], expected[15]], rtol=1e-6)


@pytest.mark.parametrize("make, message", [
    (lambda: training.TemperatureAnnealing(estimators.StraightThrough()), "has no temperature to anneal"),
    (lambda: training.TemperatureAnnealing(estimators.ReinMax(), minimum=0.5), r"minimum must lie in \[1, inf\)"),
    (lambda: training.TemperatureAnnealing(estimators.GumbelSoftmax(), minimum=0.0), r"minimum must lie in \(0, inf\)"),
    (lambda: training.TemperatureAnnealing(estimators.GumbelSoftmax(), every=0), "every must be an integer of at least 1"),
    (lambda: training.TemperatureAnnealing(estimators.GumbelSoftmax(), initial=0.1), r"initial must lie in \[0.5, inf\]"),
])
def test_annealing_refuses_bad_settings(make, message):
    with pytest.raises(ValueError, match=message):
        make()
