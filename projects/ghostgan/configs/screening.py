"""The Ghost-GAN study's recipe screening: every recipe of ``projects/ghostgan/recipes.py``
(a-d, fixed before any run) on every G/D pair, {DCGAN-28 G, Ghost G} x {DCGAN-28 D, Ghost D}
plus Ghost G + GhostNet D: 20 runs of 2,000 steps at batch 64, seed 0, FID from 5,000 EMA
samples against the **training split's** statistics (the choice of each pair's recipe must not
see the test split), at steps 1,000 and 2,000.

  python -m projects.ghostgan.main --config projects/ghostgan/configs/screening.py \
      --workdir runs/ghostgan_screening [--max_runs=N]

Each run writes runs/ghostgan_screening/results/{recipe}__{pair}_s0.json as it finishes
(publish: ``python -m benchmarks.publish runs/ghostgan_screening/results
results/ghostgan_screening``); the table in projects/ghostgan/README.md marks each pair's
chosen recipe (lowest screening FID). Runs are recipe-major: every pair under recipe a first.
Measured so far: see that table (runs not yet made show as missing).
"""
import ml_collections

from projects.ghostgan import recipes
from projects.ghostgan.configs import study


def get_config() -> ml_collections.ConfigDict:
    c = study.get_config()
    files, values = recipes.grid()
    c.pairs = files
    c.overrides = {name: {**v, 'eval_split': 'train'} for name, v in values.items()}
    c.seeds = {name: (0,) for name in files}
    c.num_train_steps = 2000
    c.eval_every_steps = 1000
    c.eval_num_samples = 5000
    c.final_num_samples = 5000
    return c
