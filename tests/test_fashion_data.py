"""Fashion-MNIST: found in a named folder, in Debian's folder or not at all, verified, and its damage named."""

import gzip
import shutil

import numpy as np
import pytest

from vaecore import data

installed = pytest.mark.skipif(
    not (data.FASHION_DEBIAN_FOLDER / "t10k-labels-idx1-ubyte.gz").is_file(),
    reason="Debian's dataset-fashion-mnist is not installed (.ci/run installs it)")


@pytest.fixture
def fashion_copy(tmp_path):
    folder = tmp_path / "fashion"
    shutil.copytree(data.FASHION_DEBIAN_FOLDER, folder)
    return folder


@installed
def test_loads_and_verifies_the_debian_files(monkeypatch):
    monkeypatch.delenv(data.FASHION_ENV_VARIABLE, raising=False)
    fashion = data.load_fashion_mnist(download=False)
    assert fashion.name == "Fashion-MNIST" and fashion.x_train.shape == (60000, 28, 28)
    assert np.bincount(fashion.y_test).tolist() == [1000] * 10
    assert fashion.describe().startswith("Fashion-MNIST from fashion-mnist: 60,000 train")


@installed
def test_a_named_folder_wins(fashion_copy, monkeypatch):
    monkeypatch.setenv(data.FASHION_ENV_VARIABLE, "/nowhere")
    assert data.load_fashion_mnist(fashion_copy).source == str(fashion_copy)


def test_a_folder_without_the_files_says_which_are_missing(tmp_path, monkeypatch):
    monkeypatch.setenv(data.FASHION_ENV_VARIABLE, str(tmp_path))
    with pytest.raises(data.MNISTNotFoundError, match=f"looked for in {tmp_path} .*train-images-idx3-ubyte.gz"):
        data.load_fashion_mnist()


def test_nowhere_to_be_found_lists_every_place_and_fix(monkeypatch, tmp_path):
    monkeypatch.delenv(data.FASHION_ENV_VARIABLE, raising=False)
    monkeypatch.setattr(data, "FASHION_DEBIAN_FOLDER", tmp_path / "absent")
    with pytest.raises(data.MNISTNotFoundError, match="apt-get install dataset-fashion-mnist") as error:
        data.load_fashion_mnist(download=False)
    assert "absent (not installed)" in str(error.value) and "disabled by download=False" in str(error.value)


@installed
@pytest.mark.parametrize("damage, message", [  # (raw labels, their gzip) -> the bytes written to the file
    (lambda raw, packed: packed[: len(packed) // 2], "could not be read as a gzipped IDX file"),
    (lambda raw, packed: gzip.compress(b"\x00\x00\x0d\x03" + raw[4:]), "does not start like an IDX file"),
    (lambda raw, packed: gzip.compress(raw[:-1]), "declares shape .* truncated"),
    (lambda raw, packed: gzip.compress(raw[:8] + bytes([raw[8] ^ 1]) + raw[9:]), "y_test has the wrong checksum"),
])
def test_a_damaged_file_is_named_with_what_failed(fashion_copy, damage, message):
    path = fashion_copy / "t10k-labels-idx1-ubyte.gz"
    packed = path.read_bytes()
    path.write_bytes(damage(gzip.decompress(packed), packed))
    with pytest.raises(data.MNISTCorruptError, match=message) as error:
        data.load_fashion_mnist(fashion_copy)
    assert str(fashion_copy) in str(error.value)
