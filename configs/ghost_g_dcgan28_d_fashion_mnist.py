"""Default Ghost-GAN on Fashion-MNIST: GhostGenerator against the DCGAN-28 discriminator, so
that it differs from its baseline ``dcgan28_fashion_mnist.py`` in the generator only
(non-saturating loss, Adam 2e-4, EMA). ``--config.discriminator.name=ghost`` swaps in the
GhostDiscriminator, which at equal learning rates overpowers this generator.

  python -m train.gan --config configs/ghost_g_dcgan28_d_fashion_mnist.py --workdir runs/gan

Expected at the Ghost-GAN study's budget (9,370 steps): FID near 22 under the `make run`
extractor, about twice the baseline's, with recall near 0.75 (projects/ghostgan/README.md).
"""
import ml_collections


def get_config() -> ml_collections.ConfigDict:
    c = ml_collections.ConfigDict()
    c.dataset = 'fashion_mnist'
    c.train_split = 'train'
    c.data_dir = ''
    c.image_size = 0  # 0: the dataset's own size
    c.channels = 0  # 0: the dataset's own channels
    c.generator = ml_collections.ConfigDict({'name': 'ghost', 'kwargs': {'base_features': 32}})
    c.discriminator = ml_collections.ConfigDict({'name': 'dcgan28', 'kwargs': {}})
    c.conditional = False
    c.loss = 'ns'
    c.n_critic = 1
    c.gp_weight = 0.0
    c.r1_gamma = 0.0
    c.r1_every = 1  # lazy R1: the penalty every k steps, weighted by k (StyleGAN2 uses 16)
    c.diffaugment = ''  # DiffAugment policy, e.g. 'color,translation,cutout'
    c.weight_clip = 0.0
    c.ema_decay = 0.999
    c.optimizer = 'adam'  # or 'sgd' (momentum b1)
    c.g_learning_rate = 2e-4
    c.d_learning_rate = 2e-4
    c.b1 = 0.5
    c.b2 = 0.999
    c.batch_size = 64
    c.num_train_steps = 1000
    c.data_parallel = True
    c.seed = 0
    c.log_every_steps = 50
    c.sample_every_steps = 250
    c.checkpoint_every_steps = 250
    c.checkpoints_to_keep = 2
    c.num_grid = 64
    c.init_from = ''  # a train.gan workdir to fine-tune from (weights, BN stats and EMA)
    # Prune G while training (ghostjax.optim.pruning): magnitude | global_magnitude | N:M, Zhu &
    # Gupta ramp from step `begin` to `end`; the EMA generator is masked like G. 0: dense.
    c.g_pruning = ml_collections.ConfigDict(dict(method='magnitude', sparsity=0.0, begin=0,
                                                 end=1000, every=50))
    # Domain extractor: a train.classifier workdir (make run trains configs/ghostnet_extractor.py
    # there once); '' or a missing workdir skips the final FID/KID/IS/precision-recall.
    # final_num_samples: the last evaluation's sample count (0: num_samples).
    c.eval_split = 'test'  # the real statistics FID compares with (a screening uses 'train')
    c.eval = ml_collections.ConfigDict({'num_samples': 10000, 'every_steps': 0,  # 0: at the end
                                        'final_num_samples': 0,
                                        'extractor_workdir': 'assets/extractor_fashion_mnist'})
    return c
