"""vaecore.training: the shared fit helper and the cosine schedule."""

import numpy as np

from vaecore import data, models, training


def test_cosine_decay_spans_the_whole_run_and_ends_at_the_floor():
    schedule = training.cosine_decay(1e-3, epochs=3, train_size=1000, batch_size=128, floor=0.1)
    steps = 3 * 8  # ceil(1000 / 128) = 8 batches per epoch
    assert float(schedule(0)) == np.float32(1e-3)
    np.testing.assert_allclose(float(schedule(steps // 2)), 1e-3 * (0.1 + 0.9 * 0.5), rtol=1e-5)
    np.testing.assert_allclose(float(schedule(steps)), 1e-4, rtol=1e-5)


def test_fit_reports_history_epochs_and_throughput(intensities):
    vae = models.GaussianVAE(models.dense_encoder(2, (8,)), models.dense_decoder(2, (8,)))
    test = data.binarize_fixed(intensities[:32], seed=0)
    run = training.fit(vae, intensities, learning_rate=1e-3, epochs=2, batch_size=64,
                       validation=test, verbose=0)
    assert run.epochs == 2 and len(run.history["elbo"]) == len(run.history["val_elbo"]) == 2
    assert run.seconds > 0
    np.testing.assert_allclose(run.images_per_second, 2 * len(intensities) / run.seconds)
