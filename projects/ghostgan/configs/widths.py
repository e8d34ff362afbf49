"""The compute-quality sweep: the Ghost generator at base widths 16 and 64 against the DCGAN-28
discriminator, 3,000 steps, FID from 5,000 samples.

  python -m projects.ghostgan.main --config projects/ghostgan/configs/widths.py \
      --workdir runs/ghostgan_widths

Width 32 (the default Ghost G) and DCGAN-28 are the step-3,000 points of the main study
(`study.py`): its runs have a constant learning rate and the same
data order, so their first 3,000 steps are these runs. `python -m projects.ghostgan.figures`
draws FID against generator MACs and `python -m benchmarks.report` tabulates it. Measured
(results/ghostgan_widths/): FID 46.7 / 38.9 / 35.3 at widths 16 / 32 / 64 against DCGAN-28's
27.0 at step 3,000.
"""
import ml_collections

from projects.ghostgan.configs import study as ghostgan_study_fashion_mnist


def get_config() -> ml_collections.ConfigDict:
    c = ghostgan_study_fashion_mnist.get_config()
    c.pairs = {f'ghost_g_w{w}': 'configs/ghost_g_dcgan28_d_fashion_mnist.py' for w in (16, 64)}
    c.overrides = {f'ghost_g_w{w}': {'generator': {'kwargs': {'base_features': w}}}
                   for w in (16, 64)}
    c.seeds = {name: (0,) for name in c.pairs}
    c.num_train_steps = 3000
    c.final_num_samples = 5000
    return c
