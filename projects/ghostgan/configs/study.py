"""The Ghost-GAN study on Fashion-MNIST: four G/D pairs under one budget of 10 epochs at batch 64
(9,370 steps), FID/KID/IS/precision/recall every 1,000 steps from 5,000 samples and at the end
from 10,000, all under the `make run` GhostNet extractor (configs/ghostnet_extractor.py).

  python -m projects.ghostgan.main --config projects/ghostgan/configs/study.py \
      --workdir runs/ghostgan_study

Each (pair, seed) writes runs/ghostgan_study/results/{pair}_s{seed}.json when it finishes;
running the command again resumes an unfinished run and skips finished ones; --max_runs=N
stops after N finished runs. The DCGAN-28 baseline and the all-Ghost pairs get 3 seeds, the
Ghost G + DCGAN-28 D pair 1. Measured (results/ghostgan_study/, projects/ghostgan/README.md):
FID 11.4 ± 0.3 for the baseline, 21.9 for Ghost G + DCGAN-28 D, 43.9 ± 6.7 and 40.4 ± 1.1 for
the two all-Ghost pairs at a fifth of the baseline's MACs.
"""
import ml_collections

PAIRS = {
    'dcgan28': 'configs/dcgan28_fashion_mnist.py',
    'ghost_g': 'configs/ghost_g_dcgan28_d_fashion_mnist.py',
    'ghost_gd': 'configs/ghost_g_ghost_d_fashion_mnist.py',
    'ghost_g_ghostnet_d': 'configs/ghost_g_ghostnet_d_fashion_mnist.py',
}


def get_config() -> ml_collections.ConfigDict:
    c = ml_collections.ConfigDict()
    c.pairs = PAIRS  # name -> a train.gan config file
    c.overrides = {}  # name -> nested config values set on top of the pair's file
    c.seeds = {'dcgan28': (0, 1, 2), 'ghost_g': (0,), 'ghost_gd': (0, 1, 2),
               'ghost_g_ghostnet_d': (0, 1, 2)}
    c.num_train_steps = 9370  # 10 epochs of the 60,000 training images at batch 64
    c.eval_every_steps = 1000
    c.eval_num_samples = 5000
    c.final_num_samples = 10000
    c.extractor_workdir = 'assets/extractor_fashion_mnist'
    return c
