"""Training speed of every model kind the book trains: Keras's default step against ``training.fit``'s choice.

For each model (the chapters' sizes and batch sizes), two paths train the same network on the
same images through ``training.fit``:

default   ``training.KERAS_DEFAULT``: one step per call of a ``tf.function``, no XLA (how the
          chapters trained before, and how a ``model.fit`` with no options runs);
compiled  ``training.execution_for(model)``: what ``fit`` picks for the model's kind;
steps     25 steps per call, no XLA; ``xla``: the same with XLA (``--paths`` picks the paths:
          these two show the measurements the choice rests on).

Each timed run is a fresh Python process (the module runs itself with ``--model`` and
``--path``); the paths take turns, ``--repeats`` times. Inside a run the first epoch (tracing,
XLA compilation) is left out and the following ``--epochs`` are timed. The printout gives the
median images per second of each path, the spread of the runs, and their ratio; appendix A
(notebooks/A1_training_fast_on_a_cpu.ipynb) shows it:

    python -m vaecore.speed_by_model --help
"""

import argparse
import subprocess
import sys

import numpy as np

import vaecore  # noqa: F401  (first: it imports TensorFlow quietly)
import keras
from vaecore import data, estimators, models, networks, priors, quantizers, training


def categorical(estimator):
    return lambda: models.CategoricalVAE(networks.dense_logits_encoder(20, 10, hidden=(512, 256)),
                                         networks.dense_decoder(200, hidden=(256, 512)), estimator=estimator)


def vq(quantizer):
    return lambda: models.VQVAE(networks.conv_grid_encoder(16), quantizer(), networks.conv_grid_decoder(16))


# name: (builder, batch size, annealed temperature, where the book trains it)
MODELS = {
    "dense Gaussian": (lambda: models.GaussianVAE(networks.dense_encoder(32, hidden=(512, 256)),
                                                  networks.dense_decoder(32, hidden=(256, 512))), 128, False, "ch. 1"),
    "conv Gaussian": (lambda: models.GaussianVAE(networks.conv_encoder(32, hidden=(512,)),
                                                 networks.conv_decoder(32, hidden=(512,), base_channels=64)),
                      128, False, "ch. 2"),
    "Gumbel-Softmax": (categorical(estimators.GumbelSoftmax()), 100, True, "ch. 5"),
    "straight-through": (categorical(estimators.StraightThrough()), 100, False, "ch. 6"),
    "ReinMax": (categorical(estimators.ReinMax()), 100, False, "ch. 6"),
    "leave-one-out x2": (categorical(estimators.LeaveOneOut(2)), 100, False, "ch. 8"),
    "VQ, restarts": (vq(lambda: quantizers.VectorQuantizer(128, 16, beta=0.25, restart_threshold=0.01)),
                     128, False, "ch. 7"),
    "VQ, EMA": (vq(lambda: quantizers.EMAVectorQuantizer(128, 16, beta=0.25, decay=0.99)), 128, False, "ch. 7"),
    "PixelCNN prior": (lambda: priors.pixelcnn(128, grid_shape=(7, 7), filters=64, blocks=4), 128, False, "ch. 7"),
}
PATHS = ("default", "compiled", "steps", "xla")


def execution(path: str, model) -> training.Execution:
    return {"default": training.KERAS_DEFAULT, "compiled": training.execution_for(model),
            "steps": training.Execution(False, 25), "xla": training.Execution(True, 25)}[path]


def timed_run(name: str, path: str, images: int, epochs: int) -> float:
    """Images per second of ``name`` on ``path`` after a first, untimed epoch, measured in this process."""
    build, batch_size, anneal, _ = MODELS[name]
    keras.utils.set_random_seed(0)
    model = build()
    chosen = execution(path, model)
    clock = training.EpochClock()
    if name == "PixelCNN prior":
        codes = np.random.default_rng(0).integers(0, 128, (images, 7, 7)).astype(np.int32)
        training.fit_prior(model, codes, codes[:batch_size], epochs=epochs + 1, batch_size=batch_size,
                           execution=chosen, verbose=0, callbacks=[clock])
    else:
        pixels = data.to_unit_interval(data.load_mnist().x_train[:images])
        training.fit(model, pixels, learning_rate=1e-3, epochs=epochs + 1, batch_size=batch_size,
                     anneal_temperature=anneal, execution=chosen, callbacks=[clock], verbose=0)
    return images * epochs / sum(clock.seconds[1:])  # the first epoch traces and compiles


def timed_run_in_fresh_process(name: str, path: str, images: int, epochs: int) -> float:
    command = [sys.executable, "-m", __spec__.name, "--model", name, "--path", path, "--images", str(images),
               "--epochs", str(epochs)]
    finished = subprocess.run(command, capture_output=True, text=True)
    if finished.returncode != 0:
        raise RuntimeError(f"benchmark run of {name!r} on {path!r} failed:\n{finished.stderr[-2000:]}")
    return float(finished.stdout.split()[-1])


def compare(models=tuple(MODELS), paths=("default", "compiled"), images: int = 6400, epochs: int = 2,
            repeats: int = 3) -> dict[str, dict[str, list[float]]]:
    """Images per second of each model on each path, one fresh process per run, the paths taking turns."""
    rates = {name: {path: [] for path in paths} for name in models}
    for name in models:
        for _ in range(repeats):
            for path in paths:
                rates[name][path].append(timed_run_in_fresh_process(name, path, images, epochs))
    return rates


def table(rates: dict[str, dict[str, list[float]]]) -> list[dict]:
    """One row per model: each path's median images per second, its runs' spread, and its ratio of
    medians to the default path."""
    rows = []
    for name, by_path in rates.items():
        row = {"model": name}
        for path, values in by_path.items():
            row[path] = float(np.median(values))
            row[f"{path} runs"] = f"{min(values):,.0f}–{max(values):,.0f}"
            row[f"{path} ratio"] = row[path] / row["default"]
        rows.append(row)
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=6400, help="training images (or code grids) per epoch")
    parser.add_argument("--epochs", type=int, default=2, help="timed epochs per run, after one untimed epoch")
    parser.add_argument("--repeats", type=int, default=3, help="runs per model and path, the paths taking turns")
    parser.add_argument("--models", nargs="+", choices=MODELS, default=list(MODELS), metavar="MODEL",
                        help=f"models to time (default: all of {', '.join(MODELS)})")
    parser.add_argument("--model", choices=MODELS, help="time one model in this process and print its rate")
    parser.add_argument("--paths", nargs="+", choices=PATHS, default=["default", "compiled"], metavar="PATH",
                        help=f"paths to compare, the first being {PATHS[0]!r} (of {', '.join(PATHS)})")
    parser.add_argument("--path", choices=PATHS, default="compiled", help="with --model: the path to time")
    args = parser.parse_args(argv)
    if args.paths[0] != "default":
        parser.error(f"--paths must start with 'default' (the reference of every ratio), got {args.paths}")
    if args.model:
        print(timed_run(args.model, args.path, args.images, args.epochs))
        return
    rates = compare(args.models, args.paths, args.images, args.epochs, args.repeats)
    print(f"{args.images:,} images per epoch, {args.epochs} timed epochs per run, {args.repeats} runs per path, "
          "each in a fresh process")
    print("images per second: median (slowest-fastest run), ratio of medians to the default path")
    for row in table(rates):
        cells = [f"{path} {row[path]:.0f} ({row[path + ' runs']}) {row[path + ' ratio']:.2f}x" for path in args.paths]
        print(f"{row['model']:<17} " + " | ".join(cells))


if __name__ == "__main__":
    main()
