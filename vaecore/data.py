"""MNIST and Fashion-MNIST: find them, verify them, binarize them, and feed them to ``model.fit``.

MNIST is looked for, in order, at an explicit ``path``, at the path in the ``VAECORE_DATA``
environment variable, and finally through Keras' own download. Fashion-MNIST (the same 28 x 28
layout, 10 kinds of clothing) is looked for at ``path``, ``$VAECORE_FASHION_DATA``, Debian's
``dataset-fashion-mnist`` folder, then Keras' download. Whatever the source, the arrays are
checked against the dataset's published facts before anything trains on them.

Three binarizations, because a Bernoulli likelihood needs binary pixels:

- ``binarize_stochastic``: a fresh Bernoulli draw every time an image is used (training);
- ``binarize_fixed``:   one seeded draw, frozen, so test ELBOs are comparable;
- ``binarize_threshold``:  the 0.5 threshold used by the source articles.

``splits`` gives a chapter what it trains and tests on in one call. The images' layout and range
are checked here too (``check_images``, ``image_batch``), for every module that takes images.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import os
import zipfile
import warnings
from pathlib import Path
from typing import NamedTuple

import keras
import numpy as np
import tensorflow as tf

from vaecore import checks, draws

IMAGE_SHAPE = (28, 28, 1)  # MNIST's and Fashion-MNIST's images, with a channel axis
_LAYOUT_HINT = "use vaecore.data.to_unit_interval to turn (batch, 28, 28) uint8 MNIST into that layout."
_RANGE_HINT = "pixel values must lie in [0, 1]; divide uint8 pixels by 255"
ENV_VARIABLE = "VAECORE_DATA"
THRESHOLD = 0.5  # the source articles' binarization
_KEYS = ("x_train", "y_train", "x_test", "y_test")
_SHAPES = {"x_train": (60000, 28, 28), "y_train": (60000,), "x_test": (10000, 28, 28), "y_test": (10000,)}
_LABEL_COUNTS = {
    "train": [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949],
    "test": [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009],
}
_PIXEL_MEAN = {"train": 0.1307, "test": 0.1325}

FASHION_ENV_VARIABLE = "VAECORE_FASHION_DATA"
FASHION_DEBIAN_FOLDER = Path("/usr/share/datasets/fashion-mnist")  # apt-get install dataset-fashion-mnist
_FASHION_FILES = {"x_train": "train-images-idx3-ubyte.gz", "y_train": "train-labels-idx1-ubyte.gz",
                  "x_test": "t10k-images-idx3-ubyte.gz", "y_test": "t10k-labels-idx1-ubyte.gz"}
# sha256 of each decoded array's bytes: the same whichever way the files were compressed or downloaded.
_FASHION_SHA256 = {
    "x_train": "2e487a6c89124f78f2d7521542223cafe96f7123c3ca13d447772ac6ecbb3012",
    "y_train": "657fbd221bfc9f4198cc14b5619cc33ec57c58dd0e47af4d99d6650759e869a7",
    "x_test": "c867c93ff95360594e8ec3287995350b824dd110b11595c0e13d5423f621867a",
    "y_test": "3d0e6c6ea990b53b6f8f500a41cac93881d981b315f84578b7d915342ade01e9",
}
FASHION_CLASSES = ("T-shirt/top", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag",
                   "ankle boot")


class DataNotFoundError(FileNotFoundError):
    """A dataset (MNIST or Fashion-MNIST) is neither at a named path nor downloadable."""


class DataCorruptError(ValueError):
    """A file was found but does not hold the dataset as expected."""


@dataclasses.dataclass(frozen=True)
class ImageData:
    """The four arrays of MNIST or Fashion-MNIST (uint8 images, labels), their name and where they came from."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: str
    name: str = "MNIST"

    def subset(self, train_size: int | None, test_size: int | None) -> "ImageData":
        """The first ``train_size``/``test_size`` images (``None`` keeps a split whole)."""
        return dataclasses.replace(
            self,
            x_train=self.x_train[:train_size],
            y_train=self.y_train[:train_size],
            x_test=self.x_test[:test_size],
            y_test=self.y_test[:test_size],
        )

    def describe(self) -> str:
        source = Path(self.source).name if self.source.startswith("/") else self.source
        return f"{self.name} from {source}: {len(self.x_train):,} train / {len(self.x_test):,} test images"


def load_mnist(path: str | os.PathLike | None = None, *, download: bool = True) -> ImageData:
    """Load and verify MNIST from ``path``, then ``$VAECORE_DATA``, then Keras' download."""
    tried = []
    for origin, candidate in (("argument", path), ("$" + ENV_VARIABLE, os.environ.get(ENV_VARIABLE))):
        if not candidate:
            continue
        candidate = Path(candidate).expanduser()
        if not candidate.is_file():
            raise DataNotFoundError(
                f"MNIST was looked for at {candidate} (from the {origin}) but there is no such file. "
                f"Point {ENV_VARIABLE} (or the path argument) at an existing mnist.npz "
                f"with arrays {', '.join(_KEYS)}."
            )
        return _verified(_read_npz(candidate), source=str(candidate))
    tried.append(f"${ENV_VARIABLE} (not set)")
    arrays = _keras_download("mnist", download, tried)
    if arrays is not None:
        return _verified(arrays, source="keras.datasets.mnist")
    raise DataNotFoundError(
        "MNIST could not be found. Looked at: " + "; ".join(tried) + ". "
        f"Provide the file with `export {ENV_VARIABLE}=/path/to/mnist.npz` before starting Python (in a running "
        f"notebook: `%env {ENV_VARIABLE}=/path/to/mnist.npz`; arrays {', '.join(_KEYS)}, the layout of Keras' "
        "mnist.npz), pass load_mnist(path=...), or connect to the internet "
        "so that Keras can download it."
    )


def _keras_download(dataset: str, download: bool, tried: list[str]) -> dict[str, np.ndarray] | None:
    """The four arrays from ``keras.datasets.<dataset>.load_data()``, or None with the reason added to ``tried``."""
    if not download:
        tried.append("keras download (disabled by download=False)")
        return None
    try:

        (x_train, y_train), (x_test, y_test) = getattr(keras.datasets, dataset).load_data()
    except Exception as error:  # the download fails in many ways: DNS, proxy, HTTP, hash
        tried.append(f"keras.datasets.{dataset}.load_data() ({type(error).__name__}: {error})")
        return None
    return dict(x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)


def _read_npz(path: Path) -> dict[str, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as archive:
            missing = [key for key in _KEYS if key not in archive.files]
            if missing:
                raise DataCorruptError(
                    f"{path} is an .npz file but lacks the arrays {missing} "
                    f"(it has {archive.files}); expected {', '.join(_KEYS)}."
                )
            return {key: archive[key] for key in _KEYS}
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as error:
        if isinstance(error, DataCorruptError):
            raise
        raise DataCorruptError(
            f"{path} could not be read as an .npz archive ({type(error).__name__}: {error}). "
            "The file is damaged or of another format; download mnist.npz again."
        ) from error


def _verified(arrays: dict[str, np.ndarray], source: str) -> ImageData:
    verify_mnist(arrays, source)
    return ImageData(**arrays, source=source)


def _layout_problems(arrays: dict[str, np.ndarray]) -> list[str]:
    """What differs from MNIST's layout (Fashion-MNIST's too): four uint8 arrays of known shapes."""
    return [f"{key} is {arrays[key].dtype}{list(arrays[key].shape)}, expected uint8{list(_SHAPES[key])}"
            for key in _KEYS if arrays[key].shape != _SHAPES[key] or arrays[key].dtype != np.uint8]


def verify_mnist(arrays: dict[str, np.ndarray], source: str = "the arrays") -> None:
    """Check shapes, dtypes, label counts and pixel means against MNIST's known values."""
    problems = _layout_problems(arrays)
    if not problems:
        for split in ("train", "test"):
            counts = np.bincount(arrays[f"y_{split}"], minlength=10).tolist()
            if counts != _LABEL_COUNTS[split]:
                problems.append(f"{split} label counts are {counts}, expected {_LABEL_COUNTS[split]}")
            mean = float(arrays[f"x_{split}"].mean()) / 255.0
            if abs(mean - _PIXEL_MEAN[split]) > 5e-4:
                problems.append(f"{split} mean pixel is {mean:.4f}, expected {_PIXEL_MEAN[split]}")
    if problems:
        raise DataCorruptError(
            f"{source} does not hold the full MNIST: " + "; ".join(problems) + ". Replace it with a good copy."
        )


def load_fashion_mnist(path: str | os.PathLike | None = None, *, download: bool = True) -> ImageData:
    """Load and verify Fashion-MNIST from the folder ``path``, ``$VAECORE_FASHION_DATA``, Debian's folder, or Keras.

    A folder must hold the four gzipped IDX files of the original release (as Debian installs them).
    """
    tried = []
    for origin, candidate in (("argument", path), ("$" + FASHION_ENV_VARIABLE, os.environ.get(FASHION_ENV_VARIABLE))):
        if not candidate:
            continue
        folder = Path(candidate).expanduser()
        missing = [name for name in _FASHION_FILES.values() if not (folder / name).is_file()]
        if missing:
            raise DataNotFoundError(
                f"Fashion-MNIST was looked for in {folder} (from the {origin}) but {', '.join(missing)} "
                f"{'is' if len(missing) == 1 else 'are'} not there. Point {FASHION_ENV_VARIABLE} (or the path "
                f"argument) at a folder with {', '.join(_FASHION_FILES.values())}.")
        return _verified_fashion(_read_idx_folder(folder), str(folder))
    tried.append(f"${FASHION_ENV_VARIABLE} (not set)")
    if all((FASHION_DEBIAN_FOLDER / name).is_file() for name in _FASHION_FILES.values()):
        return _verified_fashion(_read_idx_folder(FASHION_DEBIAN_FOLDER), str(FASHION_DEBIAN_FOLDER))
    tried.append(f"{FASHION_DEBIAN_FOLDER} (not installed)")
    arrays = _keras_download("fashion_mnist", download, tried)
    if arrays is not None:
        return _verified_fashion(arrays, "keras.datasets.fashion_mnist")
    raise DataNotFoundError(
        "Fashion-MNIST could not be found. Looked at: " + "; ".join(tried) + ". Install Debian's package "
        "(`apt-get install dataset-fashion-mnist`), set `export "
        f"{FASHION_ENV_VARIABLE}=/folder/with/the/idx/files`, or connect to the internet so that Keras can download it.")


def _read_idx_folder(folder: Path) -> dict[str, np.ndarray]:
    return {key: _read_idx(folder / name) for key, name in _FASHION_FILES.items()}


def _read_idx(path: Path) -> np.ndarray:
    """A gzipped IDX file of unsigned bytes: a 4-byte magic (0x0000 0x08 ndim), ndim big-endian sizes, the data."""
    try:
        with gzip.open(path, "rb") as file:
            content = file.read()
    except (OSError, EOFError) as error:
        raise DataCorruptError(f"{path} could not be read as a gzipped IDX file ({type(error).__name__}: {error}); "
                                "the file is damaged: reinstall or download it again.") from error
    if len(content) < 4 or content[:3] != b"\x00\x00\x08" or len(content) < 4 + 4 * content[3]:
        raise DataCorruptError(f"{path} does not start like an IDX file of unsigned bytes (magic "
                                f"{content[:4].hex() or 'missing'}, expected 000008 and a dimension count)")
    ndim = content[3]
    shape = tuple(int.from_bytes(content[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim))
    data = np.frombuffer(content, np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(shape)):
        raise DataCorruptError(f"{path} declares shape {shape} but holds {data.size:,} values; the file is truncated")
    return data.reshape(shape)


def _verified_fashion(arrays: dict[str, np.ndarray], source: str) -> ImageData:
    problems = _layout_problems(arrays)
    if not problems:
        for key, expected in _FASHION_SHA256.items():
            if hashlib.sha256(np.ascontiguousarray(arrays[key]).tobytes()).hexdigest() != expected:
                counts = np.bincount(arrays[key], minlength=10).tolist() if key.startswith("y") else None
                problems.append(f"{key} has the wrong checksum" + (f" (label counts {counts})" if counts else ""))
    if problems:
        raise DataCorruptError(f"{source} does not hold the full Fashion-MNIST: " + "; ".join(problems)
                                + ". Replace it with a good copy.")
    return ImageData(**arrays, source=source, name="Fashion-MNIST")


TEST_DRAW_SEED = 0  # the seed of the test set's one Bernoulli draw, the same in every chapter


class Splits(NamedTuple):
    """What a chapter trains and tests on.

    ``train`` holds intensities in [0, 1] (a model binarizes each batch inside its step); the
    test images come grey, under the 0.5 threshold (``test_threshold``, the sources' protocol) and
    as one seeded Bernoulli draw (``test_stochastic``, the book's protocol), with their labels.
    """

    train: np.ndarray
    test_grey: np.ndarray
    test_threshold: np.ndarray
    test_stochastic: np.ndarray
    test_labels: np.ndarray
    data: ImageData

    def describe(self) -> str:
        return self.data.describe()


LOADERS = {"mnist": load_mnist, "fashion_mnist": load_fashion_mnist}


def splits(config, dataset: str = "mnist") -> Splits:
    """Load ``dataset`` (``"mnist"`` or ``"fashion_mnist"``) at the sizes of ``config`` (a ``RunConfig``)."""
    checks.one_of("dataset", dataset, tuple(LOADERS))
    loaded = LOADERS[dataset]().subset(config.train_size, config.test_size)
    test_grey = to_unit_interval(loaded.x_test)
    return Splits(to_unit_interval(loaded.x_train), test_grey, binarize_threshold(test_grey),
                  binarize_fixed(test_grey, seed=TEST_DRAW_SEED), loaded.y_test, loaded)


def to_unit_interval(images: np.ndarray) -> np.ndarray:
    """uint8 images of shape (n, 28, 28) as float32 intensities in [0, 1], shape (n, 28, 28, 1)."""
    images = np.asarray(images)
    if images.dtype != np.uint8 or images.shape[1:] != IMAGE_SHAPE[:2]:
        raise ValueError(f"expected uint8 images of shape (n, 28, 28), got {images.dtype}{list(images.shape)}")
    return (images.astype(np.float32) / 255.0)[..., None]


def binarize_threshold(images: np.ndarray) -> np.ndarray:
    """The source articles' protocol: a pixel is 1 where its intensity exceeds ``THRESHOLD``."""
    check_images(images)
    return threshold(np.asarray(images)).numpy()


def threshold(images: tf.Tensor) -> tf.Tensor:
    """1 where an intensity exceeds ``THRESHOLD``, else 0 (the 0.5 threshold, on the device)."""
    return tf.cast(images > THRESHOLD, tf.float32)


def binarize_fixed(images: np.ndarray, seed: int = 0) -> np.ndarray:
    """One Bernoulli draw per pixel from a seeded generator: the frozen evaluation set."""
    check_images(images)
    uniform = np.random.default_rng(seed).random(images.shape, dtype=np.float32)
    return (uniform < images).astype(np.float32)


def binarize_stochastic(images: tf.Tensor) -> tf.Tensor:
    """A fresh Bernoulli draw per pixel, on the device; called inside every training step."""
    return tf.cast(draws.uniform(tf.shape(images), dtype=images.dtype) < images, images.dtype)


TRAINING_BINARIZATIONS = {"stochastic": binarize_stochastic, "threshold": threshold, "none": tf.identity}


def training_binarization(name: str):
    """The in-step binarization a model applies to each training batch, by name.

    ``"stochastic"``: a fresh draw each time; ``"threshold"``: the 0.5 threshold; ``"none"``: the
    images are binary already.
    """
    checks.one_of("binarization", name, tuple(TRAINING_BINARIZATIONS))
    return TRAINING_BINARIZATIONS[name]


def _in_foreground(dataset: tf.data.Dataset) -> tf.data.Dataset:
    """The dataset without tf.data's autotuning and injected prefetch thread.

    The data are already in memory, so a batch costs a copy and prefetching saves nothing. On a
    2-core CPU the background thread costs a lot: with it, about half the epochs of conv training
    ran at half speed, the two compute threads taking turns on one core's worth of CPU time.
    """
    options = tf.data.Options()
    options.autotune.enabled = False
    options.experimental_optimization.inject_prefetch = False
    return dataset.with_options(options)


# model.fit warns that shuffle=True is ignored for a tf.data.Dataset; these datasets shuffle themselves.
warnings.filterwarnings("ignore", message=r"`shuffle=True` was passed", category=UserWarning)


def train_dataset(images: np.ndarray, batch_size: int = 128, seed: int = 0) -> tf.data.Dataset:
    """Shuffled batches of intensities, reshuffled every epoch; the array is copied in once."""
    check_images(images)
    checks.integer_at_least("batch_size", batch_size, 1)
    shuffled = (tf.data.Dataset.from_tensor_slices(images).cache()
                .shuffle(len(images), seed=seed, reshuffle_each_iteration=True))
    return _in_foreground(shuffled.batch(batch_size))


def eval_dataset(images: np.ndarray, batch_size: int = 1000) -> tf.data.Dataset:
    """Batches of a (binarized) evaluation set in a fixed order."""
    check_images(images)
    checks.integer_at_least("batch_size", batch_size, 1)
    return _in_foreground(tf.data.Dataset.from_tensor_slices(images).cache().batch(batch_size))


def check_images(values, name: str = "images") -> None:
    """Raise a clear error unless ``values`` is a batch of 28x28x1 intensities in [0, 1]."""
    shape = tuple(np.shape(values))
    if shape[1:] != IMAGE_SHAPE:
        raise ValueError(f"{name} have shape {shape}, expected (batch, 28, 28, 1); {_LAYOUT_HINT}")
    low, high = float(np.min(values)), float(np.max(values))
    if low < 0.0 or high > 1.0:
        raise ValueError(f"{name} have values in [{low:g}, {high:g}], expected intensities in [0, 1]; "
                         "divide uint8 pixels by 255 (vaecore.data.to_unit_interval).")


def image_batch(batch, binary: bool = False) -> tf.Tensor:
    """The images of a training or test batch as float32, checked inside the compiled step.

    The shape is checked when the step is traced; the range (and, with ``binary``, that every
    pixel is 0 or 1) when it runs.
    """
    x = batch[0] if isinstance(batch, (tuple, list)) else batch
    if tuple(x.shape[1:]) != IMAGE_SHAPE:
        raise ValueError(f"images have shape {tuple(x.shape)}, the model expects (batch, 28, 28, 1); {_LAYOUT_HINT}")
    x = tf.cast(x, tf.float32)
    tf.debugging.assert_greater_equal(tf.reduce_min(x), 0.0, message=_RANGE_HINT)
    tf.debugging.assert_less_equal(tf.reduce_max(x), 1.0, message=_RANGE_HINT)
    if binary:
        tf.debugging.assert_equal(tf.reduce_max(x * (1.0 - x)), 0.0, message=(
            "evaluation images must be binary (0 or 1): binarize them with "
            "vaecore.data.binarize_fixed or binarize_threshold first"))
    return x
