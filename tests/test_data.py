"""vaecore.data: finding, verifying and binarizing MNIST and Fashion-MNIST, the splits a chapter gets, and the
errors a reader sees when something is off."""

import gzip
import shutil

import numpy as np
import pytest

from vaecore import data, runtime

installed = pytest.mark.skipif(
    not (data.FASHION_DEBIAN_FOLDER / "t10k-labels-idx1-ubyte.gz").is_file(),
    reason="Debian's dataset-fashion-mnist is not installed (.ci/run installs it)")


def test_loads_full_mnist_from_the_environment_variable(mnist_path, monkeypatch):
    monkeypatch.setenv(data.ENV_VARIABLE, mnist_path)
    mnist = data.load_mnist(download=False)
    assert mnist.x_train.shape == (60000, 28, 28) and mnist.x_test.shape == (10000, 28, 28)
    assert mnist.source == mnist_path


def test_explicit_path_wins_over_the_environment_variable(mnist_path, monkeypatch, tmp_path):
    monkeypatch.setenv(data.ENV_VARIABLE, str(tmp_path / "elsewhere.npz"))
    assert data.load_mnist(mnist_path).source == mnist_path


def test_missing_file_names_where_it_looked_and_what_to_do(monkeypatch, tmp_path):
    missing = tmp_path / "nowhere" / "mnist.npz"
    monkeypatch.setenv(data.ENV_VARIABLE, str(missing))
    with pytest.raises(data.DataNotFoundError, match="VAECORE_DATA") as error:
        data.load_mnist()
    assert str(missing) in str(error.value)


def test_no_file_and_no_download_explains_every_option(monkeypatch):
    monkeypatch.delenv(data.ENV_VARIABLE, raising=False)
    import keras

    def offline():
        raise OSError("network is unreachable")

    monkeypatch.setattr(keras.datasets.mnist, "load_data", offline)
    with pytest.raises(data.DataNotFoundError) as error:
        data.load_mnist()
    message = str(error.value)
    assert "network is unreachable" in message and "export VAECORE_DATA=" in message


def test_corrupted_file_is_reported(tmp_path):
    broken = tmp_path / "mnist.npz"
    broken.write_bytes(b"PK\x03\x04 this is not a zip archive")
    with pytest.raises(data.DataCorruptError, match="could not be read"):
        data.load_mnist(broken)


def test_truncated_copy_of_the_real_file_is_reported(mnist_path, tmp_path):
    truncated = tmp_path / "mnist.npz"
    with open(mnist_path, "rb") as source:
        truncated.write_bytes(source.read(100_000))
    with pytest.raises(data.DataCorruptError):
        data.load_mnist(truncated)


def test_archive_without_mnist_arrays_is_reported(tmp_path):
    other = tmp_path / "other.npz"
    np.savez(other, images=np.zeros((2, 28, 28), np.uint8))
    with pytest.raises(data.DataCorruptError, match="lacks the arrays"):
        data.load_mnist(other)


def test_verification_catches_wrong_shapes_and_labels(mnist):
    arrays = dict(x_train=mnist.x_train, y_train=mnist.y_train, x_test=mnist.x_test, y_test=mnist.y_test)
    with pytest.raises(data.DataCorruptError, match="x_test is uint8"):
        data.verify_mnist({**arrays, "x_test": mnist.x_test[:-1]})
    relabelled = mnist.y_train.copy()
    relabelled[0] = (relabelled[0] + 1) % 10
    with pytest.raises(data.DataCorruptError, match="train label counts"):
        data.verify_mnist({**arrays, "y_train": relabelled})


def test_subset_keeps_the_first_images(mnist):
    small = mnist.subset(100, 50)
    assert small.x_train.shape == (100, 28, 28) and small.y_test.shape == (50,)
    np.testing.assert_array_equal(small.x_train, mnist.x_train[:100])


def test_to_unit_interval_rejects_what_is_not_uint8_mnist():
    with pytest.raises(ValueError, match="uint8"):
        data.to_unit_interval(np.zeros((2, 28, 28), np.float32))
    assert data.to_unit_interval(np.full((2, 28, 28), 255, np.uint8)).max() == 1.0


@pytest.mark.parametrize(
    "images, message",
    [(np.zeros((4, 28, 28), np.float32), "shape"), (np.full((4, 28, 28, 1), 255.0, np.float32), r"\[0, 1\]")],
)
def test_check_images_names_the_problem(images, message):
    with pytest.raises(ValueError, match=message):
        data.check_images(images)


def test_threshold_binarization_thresholds_at_one_half():
    levels = np.resize(np.float32([0.0, 0.5, 0.51, 1.0]), (1, 28, 28, 1))
    np.testing.assert_array_equal(data.binarize_threshold(levels).ravel()[:4], [0.0, 0.0, 1.0, 1.0])


def test_fixed_binarization_is_seeded_and_unbiased(intensities):
    first, again = data.binarize_fixed(intensities, seed=5), data.binarize_fixed(intensities, seed=5)
    np.testing.assert_array_equal(first, again)
    assert set(np.unique(first)) <= {0.0, 1.0}
    assert not np.array_equal(first, data.binarize_fixed(intensities, seed=6))
    # Averaged over many seeds a pixel is on with probability equal to its intensity.
    mean = np.mean([data.binarize_fixed(intensities[:1], seed=s) for s in range(2000)], axis=0)
    np.testing.assert_allclose(mean, intensities[:1], atol=0.05)


def test_stochastic_binarization_resamples_with_the_right_frequency(intensities):
    draws = np.stack([data.binarize_stochastic(intensities[:1]).numpy() for _ in range(2000)])
    assert set(np.unique(draws)) <= {0.0, 1.0}
    assert not np.array_equal(draws[0], draws[1])
    np.testing.assert_allclose(draws.mean(axis=0), intensities[:1], atol=0.05)


def test_training_dataset_reshuffles_each_epoch(intensities):
    dataset = data.train_dataset(intensities, batch_size=16, seed=0)
    first, second = (next(iter(dataset)).numpy() for _ in range(2))
    assert first.shape == (16, 28, 28, 1)
    assert not np.array_equal(first, second)
    np.testing.assert_allclose(np.sort(first.ravel()), np.sort(second.ravel()))


def test_datasets_yield_every_image_once_per_epoch_without_a_prefetch_thread(intensities):
    for dataset in (data.train_dataset(intensities, batch_size=16), data.eval_dataset(intensities, batch_size=16)):
        options = dataset.options()
        assert options.autotune.enabled is False
        assert options.experimental_optimization.inject_prefetch is False
        epoch = np.concatenate([batch.numpy() for batch in dataset])
        np.testing.assert_allclose(np.sort(epoch.reshape(len(epoch), -1), axis=0),
                                   np.sort(intensities.reshape(len(intensities), -1), axis=0))


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
    with pytest.raises(data.DataNotFoundError, match=f"looked for in {tmp_path} .*train-images-idx3-ubyte.gz"):
        data.load_fashion_mnist()


def test_nowhere_to_be_found_lists_every_place_and_fix(monkeypatch, tmp_path):
    monkeypatch.delenv(data.FASHION_ENV_VARIABLE, raising=False)
    monkeypatch.setattr(data, "FASHION_DEBIAN_FOLDER", tmp_path / "absent")
    with pytest.raises(data.DataNotFoundError, match="apt-get install dataset-fashion-mnist") as error:
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
    with pytest.raises(data.DataCorruptError, match=message) as error:
        data.load_fashion_mnist(fashion_copy)
    assert str(fashion_copy) in str(error.value)


def test_splits_hold_the_training_intensities_and_both_test_protocols(mnist):
    config = runtime.RunConfig("smoke", 0, train_size=300, test_size=200)
    splits = data.splits(config)
    np.testing.assert_array_equal(splits.train, data.to_unit_interval(mnist.x_train[:300]))
    np.testing.assert_array_equal(splits.test_grey, data.to_unit_interval(mnist.x_test[:200]))
    np.testing.assert_array_equal(splits.test_threshold, (splits.test_grey > 0.5).astype(np.float32))
    np.testing.assert_array_equal(splits.test_stochastic, data.binarize_fixed(splits.test_grey, seed=0))
    np.testing.assert_array_equal(splits.test_labels, mnist.y_test[:200])
    assert splits.describe().endswith("300 train / 200 test images")


def test_splits_of_an_unknown_dataset_are_refused():
    config = runtime.RunConfig("full", 0, None, None)
    with pytest.raises(ValueError, match="dataset must be one of"):
        data.splits(config, dataset="cifar")
