"""Shared fixtures: the real MNIST file (named by $VAECORE_DATA) and small fake archives."""

import os

import numpy as np
import pytest

import vaecore  # noqa: F401  (imports TensorFlow quietly)
from vaecore import data


@pytest.fixture(scope="session")
def mnist_path():
    path = os.environ.get(data.ENV_VARIABLE)
    if not path:
        pytest.skip(f"set {data.ENV_VARIABLE} to the full mnist.npz to run the tests that need it")
    return path


@pytest.fixture(scope="session")
def mnist(mnist_path):
    return data.load_mnist(mnist_path)


@pytest.fixture
def intensities():
    """A small batch of fake images in [0, 1], shaped like MNIST."""
    return np.random.default_rng(0).random((16, 28, 28, 1), dtype=np.float32)
