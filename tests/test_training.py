"""vaecore.training: the shared fit helper, executions per model kind, the cosine schedule and annealing."""

import math
import types

import keras
import numpy as np
import pytest
import tensorflow as tf

from vaecore import data, estimators, models, networks, priors, quantizers, training


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
    schedule = estimators.Annealing()
    for step, expected in [(0, 1.0), (999, 1.0), (1000, math.exp(-0.1)), (2500, math.exp(-0.2)), (10**6, 0.5)]:
        assert float(schedule.temperature(step)) == np.float32(expected)


class RecordingGumbelSoftmax(estimators.GumbelSoftmax):
    """Gumbel-Softmax that writes the temperature each training step samples with into ``used``.

    ``code`` runs once per training step (one sample, and evaluation never calls it), inside the
    compiled step, so ``used`` sees what the step saw, whatever Keras's callbacks see.
    """

    def __init__(self, steps):
        super().__init__(temperature=1.0)
        self.used = tf.Variable(tf.fill([steps], -1.0))
        self.calls = tf.Variable(0)

    def code(self, logits):
        self.used.scatter_nd_update([[self.calls]], [self.temperature])
        self.calls.assign_add(1)
        return super().code(logits)


def categorical_vae(estimator):
    return models.CategoricalVAE(networks.dense_logits_encoder(2, 3, (8,)), networks.dense_decoder(6, (8,)),
                                 estimator=estimator)


@pytest.mark.parametrize("execution", [training.Execution(jit_compile=True, steps_per_execution=7),
                                       training.Execution(jit_compile=False, steps_per_execution=5)])
def test_each_step_samples_at_the_scheduled_temperature_with_several_steps_per_call(intensities, execution):
    # 8 steps per epoch, so calls of 7 + 1 (or 5 + 3) steps: the schedule must not depend on the calls.
    estimator = RecordingGumbelSoftmax(steps=16)
    schedule = estimators.Annealing(initial=2.0, minimum=0.3, rate=0.1, every=3)
    run = training.fit(categorical_vae(estimator), intensities, learning_rate=1e-3, epochs=2, batch_size=2,
                       anneal_temperature=schedule, execution=execution, verbose=0)
    by_hand = np.float32([max(0.3, 2.0 * math.exp(-0.1 * 3 * (step // 3))) for step in range(16)])
    np.testing.assert_array_equal(estimator.used.numpy(), by_hand)
    assert run.history["temperature"] == [by_hand[7], by_hand[15]]


def test_anneal_temperature_gives_the_model_jang_et_al_schedule(intensities):
    estimator = RecordingGumbelSoftmax(steps=1600)  # the schedule's first change is at step 1,000
    run = training.fit(categorical_vae(estimator), np.repeat(intensities, 200, axis=0), learning_rate=1e-3,
                       epochs=1, batch_size=2, anneal_temperature=True, verbose=0)
    by_hand = np.float32([max(0.5, math.exp(-1e-4 * 1000 * (step // 1000))) for step in range(1600)])
    np.testing.assert_array_equal(estimator.used.numpy(), by_hand)
    assert run.history["temperature"] == [by_hand[-1]]


def test_without_annealing_the_temperature_stays_where_it_was_set(intensities):
    estimator = RecordingGumbelSoftmax(steps=8)
    estimator.set_temperature(0.7)
    vae = categorical_vae(estimator)
    training.fit(vae, intensities, learning_rate=1e-3, epochs=1, batch_size=2, anneal_temperature=True, verbose=0)
    estimator.calls.assign(0)
    estimator.set_temperature(0.7)
    run = training.fit(vae, intensities, learning_rate=1e-3, epochs=1, batch_size=2, verbose=0)
    np.testing.assert_array_equal(estimator.used.numpy(), np.float32([0.7] * 8))
    assert "temperature" not in run.history


class RecordingWarmupVAE(models.GaussianVAE):
    """A Gaussian VAE that writes the KL weight each training step uses into ``record.used``."""

    def __init__(self, steps, kl_warmup_steps):
        super().__init__(networks.dense_encoder(2, (8,)), networks.dense_decoder(2, (8,)),
                         kl_warmup_steps=kl_warmup_steps)
        self.record = types.SimpleNamespace(used=tf.Variable(tf.fill([steps], -1.0)))  # not a model weight

    def kl_weight(self, step):
        weight = super().kl_weight(step)
        self.record.used.scatter_nd_update(tf.reshape(tf.cast(step, tf.int32), [1, 1]), [weight])
        return weight


@pytest.mark.parametrize("execution", [training.Execution(jit_compile=True, steps_per_execution=7),
                                       training.Execution(jit_compile=False, steps_per_execution=5)])
def test_each_step_weighs_the_kl_as_the_warmup_says_with_several_steps_per_call(intensities, execution):
    vae = RecordingWarmupVAE(steps=16, kl_warmup_steps=10)
    run = training.fit(vae, intensities, learning_rate=1e-3, epochs=2, batch_size=2, execution=execution,
                       verbose=0)
    np.testing.assert_array_equal(vae.record.used.numpy(), np.float32([min(1.0, (step + 1) / 10) for step in range(16)]))
    # What is tracked is still the ELBO, whatever the weight the step trained with.
    np.testing.assert_allclose(run.history["elbo"],
                               np.subtract(run.history["reconstruction"], run.history["kl"]), rtol=1e-5)


@pytest.mark.parametrize("make, message", [
    (lambda: estimators.ReinMax().anneal(estimators.Annealing(minimum=0.5)), r"minimum must lie in \[1, inf\)"),
    (lambda: estimators.GumbelSoftmax().anneal(estimators.Annealing(minimum=0.0)), r"minimum must lie in \(0, inf\)"),
    (lambda: estimators.GumbelSoftmax().anneal(estimators.Annealing(every=0)), "every must be an integer of at least 1"),
    (lambda: estimators.GumbelSoftmax().anneal(estimators.Annealing(initial=0.1)), r"initial must lie in \[0.5, inf\]"),
    (lambda: estimators.GumbelSoftmax().anneal(estimators.Annealing(rate=-1.0)), r"rate must lie in \[0, inf\]"),
])
def test_annealing_refuses_bad_settings(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_each_model_kind_gets_its_measured_execution():
    dense = models.GaussianVAE(networks.dense_encoder(2, (8,)), networks.dense_decoder(2, (8,)))
    conv = models.GaussianVAE(networks.conv_encoder(2, (4, 8)), networks.conv_decoder(2, (8, 4)))
    vq = models.VQVAE(networks.conv_grid_encoder(4, (4, 8)), quantizers.VectorQuantizer(8, 4),
                      networks.conv_grid_decoder(4, (8, 4)))
    prior = priors.pixelcnn(3, grid_shape=(2, 2), filters=8, blocks=1)
    assert training.execution_for(dense) == training.EXECUTIONS["dense"]
    assert training.execution_for(categorical_vae(estimators.ReinMax())) == training.EXECUTIONS["dense"]
    for model in (conv, vq, prior):
        assert training.execution_for(model) == training.EXECUTIONS["convolutional"]
    assert training.EXECUTIONS["dense"] != training.EXECUTIONS["convolutional"]


def test_without_xla_each_kind_keeps_its_steps_per_call(monkeypatch):
    dense = models.GaussianVAE(networks.dense_encoder(2, (8,)), networks.dense_decoder(2, (8,)))
    monkeypatch.setenv("VAECORE_XLA", "0")
    assert training.execution_for(dense) == training.Execution(jit_compile=False, steps_per_execution=50)
    monkeypatch.setenv("VAECORE_XLA", "maybe")
    with pytest.raises(ValueError, match="VAECORE_XLA='maybe' is not understood; use 0"):
        training.execution_for(dense)


def test_fit_compiles_the_model_as_its_execution_says(intensities):
    vae = models.GaussianVAE(networks.dense_encoder(2, (8,)), networks.dense_decoder(2, (8,)))
    training.fit(vae, intensities, learning_rate=1e-3, epochs=1, verbose=0)
    assert (vae.jit_compile, vae.steps_per_execution) == tuple(training.EXECUTIONS["dense"])
    training.fit(vae, intensities, learning_rate=1e-3, epochs=1, execution=training.KERAS_DEFAULT, verbose=0)
    assert (vae.jit_compile, vae.steps_per_execution) == (False, 1)


def test_a_cosine_schedule_by_name_is_the_cosine_decay_over_the_named_span(intensities):
    vae = models.GaussianVAE(networks.dense_encoder(2, (8,)), networks.dense_decoder(2, (8,)))
    training.fit(vae, intensities, learning_rate=1e-3, schedule="cosine", schedule_epochs=4, epochs=1,
                 batch_size=4, execution=training.Execution(jit_compile=True, steps_per_execution=3), verbose=0)
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


def test_fit_prior_learns_a_prior_over_code_grids():
    rng = np.random.default_rng(0)
    codes = np.where(rng.random((256, 2, 2)) < 0.9, 0, rng.integers(0, 3, (256, 2, 2))).astype(np.int32)
    keras.utils.set_random_seed(0)
    prior = priors.pixelcnn(3, grid_shape=(2, 2), filters=8, blocks=1)
    run = training.fit_prior(prior, codes, codes[:64], epochs=3, batch_size=32, learning_rate=1e-2, verbose=0)
    assert run.epochs == 3 and len(run.history["val_loss"]) == 3
    assert run.history["loss"][-1] < run.history["loss"][0]
    np.testing.assert_allclose(run.images_per_second, 3 * len(codes) / run.seconds)
