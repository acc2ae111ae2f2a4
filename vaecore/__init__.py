"""vaecore: the small shared module every chapter of the book imports.

One idea per submodule:

- ``runtime``  seeds, the smoke switch (``VAECORE_SMOKE``) and a stopwatch;
- ``data``     finding, verifying and binarizing MNIST, and ``tf.data`` pipelines;
- ``latents``  sampling latent codes (the reparameterization trick);
- ``losses``   log-likelihoods, KL divergences and the ELBO;
- ``models``   encoder/decoder builders and VAEs as ``keras.Model`` subclasses;
- ``training`` ``model.fit`` with a timer, and a cosine learning-rate schedule;
- ``plots``    image grids, reconstructions and training curves.

Import ``vaecore`` before TensorFlow: it keeps TensorFlow's C++ start-up log
lines out of notebook outputs.
"""

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def _import_tensorflow_quietly() -> None:
    """Import TensorFlow with file descriptor 2 muted.

    TensorFlow 2.21 writes a few INFO lines (oneDNN, CUDA drivers) through abseil
    before its logging is initialised, so ``TF_CPP_MIN_LOG_LEVEL`` cannot hide
    them. Python errors still surface: they are raised, not written to fd 2.
    """
    if "tensorflow" in sys.modules:
        return
    try:
        sys.stderr.flush()
        saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    except OSError:  # no usable fd 2 (rare embedded interpreters): import as is
        import tensorflow  # noqa: F401

        return
    os.dup2(devnull, 2)
    try:
        import tensorflow  # noqa: F401
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


_import_tensorflow_quietly()

from vaecore import data, latents, losses, models, plots, runtime, training  # noqa: E402

__all__ = ["data", "latents", "losses", "models", "plots", "runtime", "training"]
