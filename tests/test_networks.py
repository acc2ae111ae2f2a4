"""vaecore.networks: encoder and decoder builders, their shapes, and the pixels each grid cell sees."""

import keras
import numpy as np
import pytest

from vaecore import networks


@pytest.mark.parametrize("heads", ["separate", "split"])
def test_conv_vae_shapes(heads):
    encoder, decoder = networks.conv_encoder(5, heads=heads), networks.conv_decoder(5)
    wide = networks.conv_decoder(5, filters=(8, 4), hidden=(16,), base_channels=8)
    assert wide(np.zeros((2, 5), np.float32)).shape == (2, 28, 28, 1)
    mean, logvar = encoder(np.zeros((2, 28, 28, 1), np.float32))
    assert mean.shape == logvar.shape == (2, 5)
    assert decoder(mean).shape == (2, 28, 28, 1)


@pytest.mark.parametrize("hidden", [(), (16,)])
def test_split_and_separate_heads_are_the_same_function_class(hidden):
    # Both have the same weights in a different layout: copying them over gives identical outputs.
    separate = networks.conv_encoder(4, heads="separate", hidden=hidden)
    split = networks.conv_encoder(4, heads="split", hidden=hidden)
    assert separate.count_params() == split.count_params()
    networks.copy_to_split_heads(separate, split)
    x = np.random.default_rng(0).random((3, 28, 28, 1)).astype(np.float32)
    for a, b in zip(separate(x), split(x)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="differ only in their heads"):
        networks.copy_to_split_heads(separate, networks.conv_encoder(4, heads="split", hidden=(8, 8)))
    with pytest.raises(ValueError, match="heads must be"):
        networks.conv_encoder(4, heads="shared")


@pytest.mark.parametrize("residual_blocks", [0, 1, 2])
def test_each_grid_cell_sees_exactly_the_pixels_grid_cell_pixels_names(residual_blocks):
    # Positive weights and inputs keep every ReLU open, so a brighter pixel raises every vector it reaches.
    keras.utils.set_random_seed(3)
    encoder = networks.conv_grid_encoder(2, (4, 4), residual_blocks=residual_blocks)
    encoder.set_weights([np.abs(w) + 0.01 for w in encoder.get_weights()])
    images = np.random.default_rng(0).uniform(0.1, 0.9, (1, 28, 28, 1)).astype(np.float32)
    for row, col in [(0, 0), (9, 27), (14, 3), (27, 16)]:
        brighter = images.copy()
        brighter[0, row, col] += 1.0
        changed = np.any(encoder(brighter).numpy() != encoder(images).numpy(), axis=-1)[0]
        expected = np.array([[row in networks.grid_cell_pixels(j, residual_blocks)
                              and col in networks.grid_cell_pixels(k, residual_blocks)
                              for k in range(7)] for j in range(7)])
        np.testing.assert_array_equal(changed, expected, err_msg=f"pixel ({row}, {col})")
