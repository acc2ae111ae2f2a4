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
    # Random weights are a random distribution; larger ones make it far from uniform. Random biases
    # make the first position's conditional (which sees no other position) non-uniform too.
    rng = np.random.default_rng(0)
    for weight in model.weights:
        noise = rng.normal(size=weight.shape) if "bias" in weight.path else 0.0
        weight.assign(weight * 3.0 + noise)
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
    probabilities = np.exp(priors.log_prob(prior, every_grid()).numpy().astype(np.float64))
    assert chisquare_pvalue(grid_counts(priors.sample(prior, 4000, seed=1)), probabilities) > 1e-3


def conditionals_by_enumeration(prior, prefix):
    """p(c_i | c_<i = prefix) for the next position i, by summing the joint over every completion."""
    grids = every_grid()
    joint = np.exp(priors.log_prob(prior, grids).numpy().astype(np.float64))
    flat = grids.reshape(len(grids), -1)
    match = (flat[:, :len(prefix)] == prefix).all(axis=1)
    marginal = np.bincount(flat[match, len(prefix)], weights=joint[match], minlength=NUM_CODES)
    return marginal / marginal.sum()


def test_temperature_zero_decodes_greedily(prior):
    prefix = []
    for _ in range(4):  # each position's most likely code given the ones chosen before it
        prefix.append(int(np.argmax(conditionals_by_enumeration(prior, prefix))))
    drawn = priors.sample(prior, 5, seed=3, temperature=0.0)
    np.testing.assert_array_equal(drawn, np.broadcast_to(np.reshape(prefix, GRID), drawn.shape))


def tempered_grid_probabilities(prior, temperature):
    """Each grid's probability when every conditional is raised to 1 / temperature and renormalized."""
    probabilities = []
    for grid in every_grid().reshape(-1, 4):
        p = 1.0
        for position in range(4):
            tempered = conditionals_by_enumeration(prior, list(grid[:position])) ** (1 / temperature)
            p *= tempered[grid[position]] / tempered.sum()
        probabilities.append(p)
    return np.array(probabilities)


def grid_counts(drawn):
    index = {grid.tobytes(): i for i, grid in enumerate(every_grid())}
    return np.bincount([index[grid.tobytes()] for grid in drawn], minlength=NUM_CODES ** 4)


def chisquare_pvalue(counts, probabilities):
    expected = probabilities / probabilities.sum() * counts.sum()
    keep = expected >= 5  # the chi-square approximation needs expected counts of 5 or more
    counts, expected = np.append(counts[keep], counts[~keep].sum()), np.append(expected[keep], expected[~keep].sum())
    return stats.chisquare(counts[expected > 0], expected[expected > 0]).pvalue


def test_a_temperature_sharpens_every_conditional(prior):
    counts = grid_counts(priors.sample(prior, 4000, seed=2, temperature=0.5))
    assert chisquare_pvalue(counts, tempered_grid_probabilities(prior, 0.5)) > 1e-3
    assert chisquare_pvalue(counts, tempered_grid_probabilities(prior, 1.0)) < 1e-6  # not the prior itself


@pytest.mark.parametrize("build, message", [
    (lambda: priors.pixelcnn(1), "num_codes must be an integer of at least 2"),
    (lambda: priors.MaskedConv2D(8, 4, "A"), "kernel_size must be odd"),
    (lambda: priors.sample(priors.pixelcnn(4, (2, 2), 4, 0), 0), "n must be an integer of at least 1, got 0"),
    (lambda: priors.sample(priors.pixelcnn(4, (2, 2), 4, 0), 1, temperature=-1.0),
     r"temperature must lie in \[0, inf\), got -1.0; use 1.0 to sample the prior"),
])
def test_bad_arguments_are_refused(build, message):
    with pytest.raises(ValueError, match=message):
        build()
