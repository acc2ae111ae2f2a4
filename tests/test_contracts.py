"""vaecore.contracts: every model and quantizer declares the protocols it fulfils, and has what they name."""

import inspect

import numpy as np
import pytest

from vaecore import contracts, estimators, models, networks, quantizers


def gaussian():
    return models.GaussianVAE(networks.dense_encoder(2, (8,)), networks.dense_decoder(2, (8,)))


def categorical():
    return models.CategoricalVAE(networks.dense_logits_encoder(2, 3, (8,)), networks.dense_decoder(6, (8,)),
                                 estimator=estimators.StraightThrough())


def vq():
    return models.VQVAE(networks.conv_grid_encoder(4, (4, 8)), quantizers.VectorQuantizer(8, 4),
                        networks.conv_grid_decoder(4, (8, 4)))


DECLARED = {
    "Gaussian": (gaussian, {contracts.Decoding, contracts.ImportanceSampled}),
    "categorical": (categorical, {contracts.Decoding, contracts.ImportanceSampled, contracts.Enumerable}),
    "VQ": (vq, {contracts.Decoding, contracts.DeterministicCode}),
}
PROTOCOLS = {contracts.Decoding, contracts.ImportanceSampled, contracts.Enumerable, contracts.DeterministicCode}


@pytest.mark.parametrize("kind", DECLARED)
def test_each_model_declares_its_protocols_and_no_other(kind):
    build, declared = DECLARED[kind]
    model = build()
    assert {base for base in type(model).__mro__ if base in PROTOCOLS} == declared
    for protocol in declared:
        assert isinstance(model, protocol)
        for method in (name for name, _ in inspect.getmembers(protocol, inspect.isfunction) if not name.startswith("_")):
            assert getattr(type(model), method) is not getattr(protocol, method), f"{kind} leaves {method} undefined"


@pytest.mark.parametrize("kind", sorted(quantizers.REGISTRY))
def test_every_registered_quantizer_is_a_quantizer_with_its_own_kind(kind):
    cls = quantizers.REGISTRY[kind]
    quantizer = cls() if cls is quantizers.FiniteScalarQuantizer else cls(8, 3)
    assert isinstance(quantizer, contracts.Quantizer) and quantizer.kind == kind
    snapped = quantizer(np.zeros((2, 5, 5, quantizer.code_dim), np.float32))
    assert isinstance(snapped, contracts.Quantization)
    assert quantizer.vectors(snapped.codes).shape == (2, 5, 5, quantizer.code_dim)


def test_a_vq_vae_refuses_what_is_not_a_quantizer_and_names_the_registered_ones():
    with pytest.raises(ValueError, match="quantizer must be a vaecore quantizer .*codebook, ema codebook"):
        models.VQVAE(networks.conv_grid_encoder(4, (4, 8)), object(), networks.conv_grid_decoder(4, (8, 4)))


def test_every_model_decodes_with_the_same_two_names():
    one_hot = np.eye(3, dtype=np.float32)[:, None].repeat(2, axis=1)  # three codes of 2 latents, 3 classes
    codes = {"Gaussian": np.zeros((3, 2), np.float32), "categorical": one_hot, "VQ": np.zeros((3, 7, 7), np.int32)}
    for kind, (build, _) in DECLARED.items():
        model = build()
        model(np.zeros((1, 28, 28, 1), np.float32))  # builds the quantizer's codebook
        means = model.bernoulli_means(codes[kind])
        np.testing.assert_allclose(means, 1 / (1 + np.exp(-np.asarray(model.logits(codes[kind])))), rtol=1e-5)
        assert means.shape == (3, 28, 28, 1)
