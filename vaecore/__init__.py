"""vaecore: the small shared module every chapter of the book imports.

One idea per submodule, and who may import whom (an arrow means "imports"):

- ``runtime``    seeds, the smoke switch (``VAECORE_SMOKE``), a stopwatch, quiet intended retracing -> checks;
- ``checks``     argument checks with messages that say what to pass instead;
- ``contracts``  what the modules ask of each other, as types: the protocols a model or a quantizer declares;
- ``draws``      random draws inside training steps: fast under XLA, reproducible from one seed;
- ``data``       finding, verifying and binarizing MNIST, a chapter's splits, image checks and ``tf.data``
                 pipelines -> draws, checks;
- ``latents``    sampling latent codes: reparameterization, Gumbel, straight-through -> draws, checks;
- ``losses``     log-likelihoods, KL divergences, the ELBO and the importance-weighted bound -> checks;
- ``estimators`` gradient estimators for categorical codes (a registry of them), and a small code's list of
                 every code -> latents, losses, checks;
- ``gradients``  an estimator measured against the exact gradient, summed over every code -> estimators, checks;
- ``networks``   encoder and decoder builders -> data, checks;
- ``quantizers`` VQ-VAE codebooks (plain, EMA, restarts), finite scalar quantization, code usage (a registry
                 of quantizers) -> contracts, latents, losses, checks;
- ``priors``     a PixelCNN prior over grids of codes: its log-probability and samples -> losses, checks;
- ``models``     VAEs as ``keras.Model`` subclasses -> contracts, data, latents, losses, estimators,
                 quantizers, checks;
- ``evaluation`` test-set scores, importance-weighted, enumerated and code-prior bounds, clusters
                 -> contracts, data, losses, runtime, checks;
- ``training``   ``model.fit`` with a timer, compiled per model kind, learning-rate and temperature schedules,
                 a prior's fit -> data, estimators, runtime, checks;
- ``plots``      figures and results tables;
- ``pages``      what a chapter puts on its page besides figures: values glued into its prose;
- ``speed``      a benchmark, run as ``python -m vaecore.speed``: the conv VAE's input pipeline and arithmetic,
                 timed side by side in fresh processes -> data, latents, losses, models, networks, training;
- ``speed_by_model``  a benchmark, ``python -m vaecore.speed_by_model``: every model kind on Keras's default
                 step and on ``training.fit``'s -> data, estimators, models, networks, priors, quantizers,
                 training (neither benchmark is imported by the package).

Latents, losses, estimators, gradients, quantizers and priors know no model; models and evaluation draw nothing;
data knows no model. ``tests/test_layering.py`` keeps these rules true.

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

from vaecore import (  # noqa: E402
    checks, contracts, data, estimators, evaluation, gradients, latents, losses, models, networks, plots, priors,
    quantizers, runtime, training,
)

__all__ = ["checks", "contracts", "data", "estimators", "evaluation", "gradients", "latents", "losses", "models",
           "networks", "plots", "priors", "quantizers", "runtime", "training"]
