"""Every public function of vaecore refuses bad input with a message that names the argument, the value and the fix.

One table, one row per case: the call, and a pattern its ``ValueError`` message must match (a missing
data file raises ``FileNotFoundError``). The
chapters' own modules have more detailed tests of their messages; this table is the inventory.
"""

import numpy as np
import pytest

from vaecore import (data, estimators, evaluation, gradients, latents, losses, models, networks, plots,
                     priors, quantizers, runtime, training)

LOGITS = np.zeros((2, 3, 4), np.float32)
IMAGES = np.zeros((2, 28, 28, 1), np.float32)

CASES = {
    # checks and data: shapes, ranges, dtypes, sizes, unknown strings, missing files
    "image layout": (lambda: data.check_images(np.zeros((2, 28, 28))), r"shape \(2, 28, 28\), expected \(batch, 28, 28, 1\)"),
    "uint8 range": (lambda: data.binarize_threshold(IMAGES + 200), r"values in \[200, 200\], expected intensities in \[0, 1\]"),
    "float where uint8": (lambda: data.to_unit_interval(np.zeros((2, 28, 28), np.float32)), "expected uint8 images"),
    "batch size": (lambda: data.train_dataset(IMAGES, 0), "batch_size must be an integer of at least 1, got 0"),
    "eval batch size": (lambda: data.eval_dataset(IMAGES, -5), "batch_size must be an integer of at least 1, got -5"),
    "binarization": (lambda: data.training_binarization("otsu"), r"binarization must be one of .*got 'otsu'"),
    "missing file": (lambda: data.load_mnist("/no/such/mnist.npz", download=False), "/no/such/mnist.npz"),
    # latents and losses
    "mean vs logvar": (lambda: latents.reparameterize(np.zeros((2, 3)), np.zeros((2, 4))),
                       r"mean has shape \(2, 3\) but logvar has shape \(2, 4\)"),
    "zero temperature": (lambda: latents.gumbel_softmax(LOGITS, 0.0), r"temperature must lie in \(0, inf\), got 0.0"),
    "reinmax temperature": (lambda: latents.reinmax_sample(LOGITS, 0.5), r"temperature must lie in \[1, inf\), got 0.5"),
    "no samples": (lambda: latents.gumbel_max_sample(LOGITS[0, 0], num_samples=0), "num_samples must be .* got 0"),
    "kl shapes": (lambda: losses.kl_to_standard_normal(np.zeros((2, 3)), np.zeros((2, 4))), "mean has shape"),
    "one class": (lambda: losses.kl_categorical_to_uniform(np.zeros((2, 3, 1), np.float32)), "at least 2 classes"),
    "k = 0 weights": (lambda: losses.importance_weighted_bound(np.zeros((0, 3), np.float32)), "no samples .* k >= 1"),
    # estimators and gradients
    "leave-one-out of one": (lambda: estimators.LeaveOneOut(num_samples=1), "num_samples must be .* at least 2, got 1"),
    "negative temperature": (lambda: estimators.GumbelSoftmax(-1.0), r"temperature must lie in \(0, inf\), got -1.0"),
    "baseline decay": (lambda: estimators.ScoreFunction(baseline_decay=2.0), r"baseline_decay must lie in \[0, 1\)"),
    "code layout": (lambda: estimators.every_code(np.zeros((4, 10), np.float32)), r"shape \(4, 10\); every_code needs"),
    "codes to list": (lambda: estimators.every_code(np.zeros((1, 13, 2), np.float32)), r"2 \*\* 13 = 8,192 codes, too many"),
    "zero exact gradient": (lambda: gradients.summarize(np.ones((3, 2, 4)), np.array([[1.0, 0, 0, 0], [0, 0, 0, 0]])),
                            r"exact gradient is zero for rows \[1\].*measure at logits where q\(z\) is not certain"),
    # networks and models
    "latent size": (lambda: networks.dense_encoder(0), "latent_dim must be an integer of at least 1, got 0"),
    "layer width": (lambda: networks.dense_encoder(2, hidden=(64, -1)), r"each of hidden .* got -1; got hidden=\(64, -1\)"),
    "precision": (lambda: networks.conv_encoder(2, precision="float16"), r"precision must be one of .*'float16'"),
    "classes": (lambda: networks.dense_logits_encoder(3, 1), "num_classes must be an integer of at least 2, got 1"),
    "kl estimator": (lambda: models.GaussianVAE(networks.dense_encoder(2), networks.dense_decoder(2), kl_estimator="x"),
                     r"kl_estimator must be one of"),
    "warm-up": (lambda: models.GaussianVAE(networks.dense_encoder(2), networks.dense_decoder(2), kl_warmup_steps=-5),
                "kl_warmup_steps must be an integer of at least 0, got -5; 0 trains on the ELBO"),
    "not an estimator": (lambda: models.CategoricalVAE(networks.dense_logits_encoder(2, 3), networks.dense_decoder(6),
                                                       estimator="gumbel"), "estimator must be a vaecore.estimators"),
    # quantizers and priors
    "K < 1": (lambda: quantizers.VectorQuantizer(0, 4), "num_codes must be an integer of at least 1, got 0"),
    "beta < 0": (lambda: quantizers.VectorQuantizer(8, 4, beta=-1.0), r"beta must lie in \[0, inf\], got -1.0"),
    "embedding size": (lambda: models.VQVAE(networks.conv_grid_encoder(8), quantizers.VectorQuantizer(16, 4),
                                            networks.conv_grid_decoder(4)), "encoder outputs vectors of size 8"),
    "residual blocks": (lambda: networks.conv_grid_encoder(4, residual_blocks=-1),
                        "residual_blocks must be an integer of at least 0, got -1"),
    "grid cell": (lambda: networks.grid_cell_pixels(7), r"cell must lie in \[0, 6\], got 7; the grid has rows"),
    "FSQ levels": (lambda: quantizers.FiniteScalarQuantizer((5, 1)), "each of levels must be .* at least 2, got 1"),
    "codebook size": (lambda: quantizers.nearest_codes(np.zeros((2, 3)), np.zeros((4, 5))), "size 3 .* size 5"),
    "prior grid": (lambda: priors.pixelcnn(4, (0, 7)), r"each of grid_shape .* got 0"),
    "prior mask": (lambda: priors.MaskedConv2D(8, 3, "C"), r"mask must be one of \('A', 'B'\), got 'C'"),
    # evaluation, training, runtime, plots
    "k < 1": (lambda: evaluation.evaluate_log_likelihood(None, IMAGES, k=0), "k must be an integer of at least 1, got 0"),
    "cluster sizes": (lambda: evaluation.cluster_agreement([1, 2, 3], [1, 2]), "sizes 3 and 2"),
    "epochs": (lambda: training.fit(None, IMAGES, learning_rate=1e-3, epochs=0), "epochs must be .* got 0"),
    "schedule epochs": (lambda: training.cosine_decay(1e-3, 0, 100, 10), "epochs must be an integer of at least 1, got 0"),
    "annealing period": (lambda: estimators.GumbelSoftmax().anneal(estimators.Annealing(every=0)),
                         "every must be .* at least 1, got 0"),
    "seed": (lambda: runtime.set_seed("a"), "seed must be an integer of at least 0, got 'a'"),
    "image grid": (lambda: plots.image_grid(np.zeros((2, 3))), r"images have shape \(2, 3\), expected"),
    "empty table": (lambda: plots.results_table([]), "at least one row"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_is_refused_clearly(case):
    call, message = CASES[case]
    with pytest.raises((ValueError, FileNotFoundError), match=message):
        call()
