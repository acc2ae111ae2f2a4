"""The PixelCNN prior: causal masks, a normalised distribution, and samples that follow it."""

import itertools

import numpy as np
import pytest
import tensorflow as tf
from scipy import stats

from vaecore import priors

NUM_CODES, GRID = 3, (2, 2)


@pytest.fixture(scope="module")
def prior():
    tf.keras.utils.set_random_seed(0)
    model = priors.pixelcnn(NUM_CODES, GRID, filters=8, blocks=1)
    # Random weights are a random distribution; larger ones make it far from uniform.
    for weight in model.weights:
        weight.assign(weight * 3.0)
    return model


def every_grid():
    return np.array(list(itertools.product(range(NUM_CODES), repeat=4)), np.int32).reshape(-1, *GRID)


def test_each_position_sees_only_the_positions_before_it(prior):
    rng = np.random.default_rng(0)
    grid = rng.integers(0, NUM_CODES, size=(1, 7, 7)).astype(np.int32)
    model = priors.pixelcnn(5, (7, 7), filters=8, blocks=2)
    base = model(grid).numpy()[0]
    for index in [0, 10, 24, 48]:
        changed = grid.copy()
        row, column = divmod(index, 7)
        changed[0, row, column] = (changed[0, row, column] + 1) % 5
        moved = np.abs(model(changed).numpy()[0] - base).sum(-1).ravel() > 0
        assert not moved[:index + 1].any(), f"changing position {index} moved an output at or before it"
        assert index == 48 or moved[index + 1:].any()  # and it does inform what comes after


def test_the_distribution_sums_to_one_over_every_grid(prior):
    log_p = priors.log_prob(prior, every_grid()).numpy()
    assert np.exp(log_p).sum() == pytest.approx(1.0, abs=1e-5)
    assert log_p.max() - log_p.min() > 1.0  # and not the uniform distribution


def test_samples_follow_the_distribution(prior):
    grids = every_grid()
    probabilities = np.exp(priors.log_prob(prior, grids).numpy().astype(np.float64))
    drawn = priors.sample(prior, 4000, seed=1)
    index = {grid.tobytes(): i for i, grid in enumerate(grids)}
    counts = np.bincount([index[grid.tobytes()] for grid in drawn], minlength=len(grids))
    expected = probabilities / probabilities.sum() * len(drawn)
    keep = expected >= 5  # the chi-square approximation needs expected counts of 5 or more
    if not keep.all():  # pool the rare grids into one cell
        counts, expected = np.append(counts[keep], counts[~keep].sum()), np.append(expected[keep], expected[~keep].sum())
    assert stats.chisquare(counts, expected).pvalue > 1e-3


@pytest.mark.parametrize("build, message", [
    (lambda: priors.pixelcnn(1), "num_codes must be an integer of at least 2"),
    (lambda: priors.MaskedConv2D(8, 4, "A"), "kernel_size must be odd"),
    (lambda: priors.sample(priors.pixelcnn(4, (2, 2), 4, 0), 0), "n must be an integer of at least 1, got 0"),
])
def test_bad_arguments_are_refused(build, message):
    with pytest.raises(ValueError, match=message):
        build()
