"""vaecore.training: the shared fit helper, the cosine schedule and temperature annealing."""

import math

import keras
import numpy as np
import pytest

from vaecore import data, estimators, models, networks, priors, training


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


def test_a_cosine_schedule_by_name_is_the_cosine_decay_over_the_named_span(intensities):
    vae = models.GaussianVAE(networks.dense_encoder(2, (8,)), networks.dense_decoder(2, (8,)))
    training.fit(vae, intensities, learning_rate=1e-3, schedule="cosine", schedule_epochs=4, epochs=1,
                 batch_size=4, verbose=0)
    steps = len(intensities) // 4  # taken in the one epoch
    expected = training.cosine_decay(1e-3, epochs=4, train_size=len(intensities), batch_size=4)
    assert float(expected(steps)) < 1e-3
    np.testing.assert_allclose(float(vae.optimizer.learning_rate), float(expected(steps)), rtol=1e-6)


def test_schedule_options_that_cannot_apply_are_refused(intensities):
    vae = models.GaussianVAE(networks.dense_encoder(2, (8,)), networks.dense_decoder(2, (8,)))
    with pytest.raises(ValueError, match=r"schedule must be one of \('constant', 'cosine'\), got 'linear'"):
        training.fit(vae, intensities, learning_rate=1e-3, schedule="linear", epochs=1)
    with pytest.raises(ValueError, match="schedule_epochs=4 is given but schedule is 'constant'"):
        training.fit(vae, intensities, learning_rate=1e-3, schedule_epochs=4, epochs=1)
    with pytest.raises(ValueError, match="has no temperature to anneal; use one that has: GumbelSoftmax"):
        training.fit(vae, intensities, learning_rate=1e-3, anneal_temperature=True, epochs=1)


def test_anneal_temperature_gives_the_model_jang_et_al_schedule(intensities):
    estimator = estimators.GumbelSoftmax(temperature=1.0)
    vae = models.CategoricalVAE(networks.dense_logits_encoder(2, 3, (8,)), networks.dense_decoder(6, (8,)),
                                estimator=estimator)
    recorder = StepRecorder(estimator)
    run = training.fit(vae, np.repeat(intensities, 200, axis=0), learning_rate=1e-3, epochs=1, batch_size=2,
                       anneal_temperature=True, callbacks=[recorder], verbose=0)
    steps = len(recorder.temperatures)  # 1,600 steps: the schedule's first update is at step 1,000
    in_float32 = [float(np.float32(training.annealed_temperature(step))) for step in range(steps)]
    assert recorder.temperatures == in_float32
    assert run.history["temperature"] == in_float32[-1:]


def test_fit_prior_learns_a_prior_over_code_grids():
    rng = np.random.default_rng(0)
    codes = np.where(rng.random((256, 2, 2)) < 0.9, 0, rng.integers(0, 3, (256, 2, 2))).astype(np.int32)
    keras.utils.set_random_seed(0)
    prior = priors.pixelcnn(3, grid_shape=(2, 2), filters=8, blocks=1)
    run = training.fit_prior(prior, codes, codes[:64], epochs=3, batch_size=32, learning_rate=1e-2, verbose=0)
    assert run.epochs == 3 and len(run.history["val_loss"]) == 3
    assert run.history["loss"][-1] < run.history["loss"][0]
    np.testing.assert_allclose(run.images_per_second, 3 * len(codes) / run.seconds)
