"""Training throughput of the Hatena article's conv VAE, four ways, side by side in one run.

reference  the way TensorFlow's CVAE tutorial trains: a ``tf.function`` train step, batches
           of 32, a dataset rebuilt every epoch from an array re-binarized on the host;
reference128  the same loop with vaecore's batches of 128, to separate the batch size (a
           hyperparameter) from the engineering;
vaecore    ``GaussianVAE.fit``: binarization inside the compiled step, a cached dataset
           reshuffled in place and read without tf.data's background prefetch thread
           (``data.train_dataset``), batches of 128, compiled as ``training.execution_for``
           says for a convolutional model;
prefetch   the same, but the dataset keeps tf.data's default background prefetch (AUTOTUNE),
           to show what that thread costs on a small CPU;
bfloat16   vaecore's path with the layers computing in bfloat16 (``precision="mixed_bfloat16"``;
           weights, loss and optimizer stay float32).

All train the same architecture (``conv_encoder``/``conv_decoder`` with the article's filters and
a 50-dimensional latent) with the same loss (one-sample Monte Carlo KL, as the tutorial) on
the same images. Each timed run happens in a fresh Python process (the module runs itself with
``--path``), so no graph, thread pool or allocator state carries over from one run to the next;
inside it the path first runs one warm-up epoch (tracing, graph building), then is timed over
``--epochs`` epochs of ``--images`` images (several: with tf.data's prefetch thread, whole epochs
run at half speed at random, so one timed epoch would be a coin toss). It lives in vaecore, not beside it,
so that appendix A (notebooks/A1_training_fast_on_a_cpu.ipynb) runs it wherever vaecore is installed:

    python -m vaecore.speed --help
"""

import argparse
import subprocess
import sys
import time

import numpy as np

import vaecore  # noqa: F401  (first: it imports TensorFlow quietly)
import keras
import tensorflow as tf
from vaecore import data, latents, losses, models, networks, training

# The CPU features that decide how fast bfloat16 and float32 arithmetic run (Linux reports them).
FEATURES = ("avx2", "fma", "avx512f", "avx512_bf16", "amx_bf16", "amx_tile")


def _cpuinfo() -> tuple[str, set[str]] | None:
    """The CPU's model name and flags from /proc/cpuinfo, or None where Linux does not report them."""
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            text = cpuinfo.read()
    except OSError:
        return None
    lines = text.splitlines()
    flags = next((line.split(":", 1)[1].split() for line in lines if line.startswith("flags")), [])
    model = next((line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")), "?")
    return model, set(flags)


def cpu_features() -> str:
    """The CPU's model name, then which of :data:`FEATURES` it has (or why that is unknown)."""
    info = _cpuinfo()
    if info is None:
        return "CPU features unknown (no /proc/cpuinfo)"
    model, flags = info
    return f"CPU: {model}\n" + ", ".join(f"{feature} {'yes' if feature in flags else 'no'}" for feature in FEATURES)


def bfloat16_hardware() -> str:
    """What this CPU offers bfloat16 arithmetic, as a phrase for the page: "a CPU with avx512_bf16 but
    without AMX" and the like."""
    info = _cpuinfo()
    if info is None:
        return "a CPU whose features are unknown"
    flags = info[1]
    if "amx_bf16" in flags:
        return "a CPU with AMX"
    if "avx512_bf16" in flags:
        return "a CPU with avx512_bf16 but without AMX"
    return "a CPU with neither avx512_bf16 nor AMX"


def build(seed: int, latent_dim: int = 50, precision: str = "float32"):
    keras.utils.set_random_seed(seed)
    return (networks.conv_encoder(latent_dim, precision=precision),
            networks.conv_decoder(latent_dim, precision=precision))


def reference_epochs(images: np.ndarray, epochs: int, batch_size: int = 32) -> list[float]:
    encoder, decoder = build(seed=0)
    optimizer = keras.optimizers.Adam(1e-3)
    variables = encoder.trainable_weights + decoder.trainable_weights

    @tf.function
    def train_step(x):
        with tf.GradientTape() as tape:
            mean, logvar = encoder(x)
            z = latents.reparameterize(mean, logvar)
            log_px_z = losses.bernoulli_log_likelihood(x, decoder(z))
            loss = -tf.reduce_mean(log_px_z - losses.kl_monte_carlo(z, mean, logvar))
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))

    rng = np.random.default_rng(0)

    def one_epoch():
        binary = (rng.random(images.shape, dtype=np.float32) < images).astype(np.float32)
        for x in tf.data.Dataset.from_tensor_slices(binary).shuffle(len(binary)).batch(batch_size):
            train_step(x)

    one_epoch()  # warm-up: tracing
    seconds = []
    for _ in range(epochs):
        start = time.perf_counter()
        one_epoch()
        seconds.append(time.perf_counter() - start)
    return seconds


def vaecore_epochs(images: np.ndarray, epochs: int, batch_size: int = 128, precision: str = "float32",
                   background_prefetch: bool = False) -> list[float]:
    vae = models.GaussianVAE(*build(seed=0, precision=precision), binarization="stochastic",
                             kl_estimator="monte_carlo")
    vae.compile(optimizer=keras.optimizers.Adam(1e-3), **training.execution_for(vae)._asdict())
    batches = data.train_dataset(images, batch_size=batch_size)
    if background_prefetch:  # tf.data's defaults put back, as most tutorials have them
        defaults = tf.data.Options()
        defaults.autotune.enabled = True
        defaults.experimental_optimization.inject_prefetch = True
        batches = batches.prefetch(tf.data.AUTOTUNE).with_options(defaults)
    vae.fit(batches, epochs=1, verbose=0)  # warm-up: tracing
    clock = training.EpochClock()
    vae.fit(batches, epochs=epochs, verbose=0, callbacks=[clock])
    return clock.seconds


PATHS = {
    "reference": ("reference (tutorial loop)", reference_epochs),
    "reference128": ("reference, batches of 128", lambda *a: reference_epochs(*a, batch_size=128)),
    "prefetch": ("vaecore, tf.data prefetch", lambda *a: vaecore_epochs(*a, background_prefetch=True)),
    "vaecore": ("vaecore (model.fit)", vaecore_epochs),
    "bfloat16": ("vaecore, bfloat16", lambda *a: vaecore_epochs(*a, precision="mixed_bfloat16")),
}


def timed_run(path: str, images: int, epochs: int) -> list[float]:
    """The seconds each timed epoch of one path took, measured in this process."""
    pixels = data.to_unit_interval(data.load_mnist().x_train[:images])
    return PATHS[path][1](pixels, epochs)


def timed_run_in_fresh_process(path: str, images: int, epochs: int) -> list[float]:
    command = [sys.executable, "-m", __spec__.name, "--path", path, "--images", str(images), "--epochs", str(epochs)]
    finished = subprocess.run(command, capture_output=True, text=True)
    if finished.returncode != 0:
        raise RuntimeError(f"benchmark run of {path!r} failed:\n{finished.stderr[-2000:]}")
    return [float(seconds) for seconds in finished.stdout.splitlines()[-1].split()]


def compare(images: int = 6400, epochs: int = 4, repeats: int = 3,
            paths=tuple(PATHS)) -> dict[str, list[list[float]]]:
    """The seconds of every timed epoch of each of ``paths`` (the first being the reference), run by run,
    one fresh process per run. Timings on a shared 2-core machine vary by tens of percent from run to run:
    the paths take turns, and medians are compared (:func:`table`)."""
    if not paths or paths[0] != "reference" or set(paths) - set(PATHS):
        raise ValueError(f"paths must start with 'reference' and name paths of {list(PATHS)}, got {paths!r}")
    runs = {path: [] for path in paths}
    for _ in range(repeats):
        for path in paths:
            runs[path].append(timed_run_in_fresh_process(path, images, epochs))
    return runs


def table(runs: dict[str, list[list[float]]], images: int) -> list[dict]:
    """One row per path: its median images per second over runs (each run's rate over all its epochs of
    ``images`` images), its runs' rates (``rates``, and as text in ``runs``: "5,120 / 4,980"), and its ratio to the
    reference's median."""
    rates = {path: [images * len(epochs) / sum(epochs) for epochs in path_runs] for path, path_runs in runs.items()}
    reference = float(np.median(rates["reference"]))
    return [{"path": PATHS[path][0], "median": float(np.median(values)),
             "rates": values,
             "runs": " / ".join(f"{v:,.0f}" for v in values), "ratio": float(np.median(values)) / reference}
            for path, values in rates.items()]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=6400, help="training images per epoch")
    parser.add_argument("--epochs", type=int, default=4, help="timed epochs per path and repetition")
    parser.add_argument("--repeats", type=int, default=3, help="alternating repetitions of all paths")
    parser.add_argument("--path", choices=PATHS, help="time one path in this process and print the seconds of each timed epoch")
    args = parser.parse_args()
    if args.path:
        print(" ".join(f"{seconds:.4f}" for seconds in timed_run(args.path, args.images, args.epochs)))
        return
    runs = compare(args.images, args.epochs, args.repeats)
    print(cpu_features())
    print(f"the Hatena article's conv VAE: {args.images * args.epochs:,} images per timed run, {args.repeats} runs "
          "per path, each in a fresh process")
    for row in table(runs, args.images):
        print(f"{row['path']:<26} median {row['median']:6.0f} images/s  {row['ratio']:5.2f}x  (runs: {row['runs']})")


if __name__ == "__main__":
    main()
