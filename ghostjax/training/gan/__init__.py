"""GAN training: state and pure step (``step``), sample grids (``samples``), metrics of a
checkpoint (``scoring``) and the trainer (``trainer``)."""
from ghostjax.training.gan.scoring import evaluate, generator_metrics
from ghostjax.training.gan.samples import diversity, image_grid, sample, save_png
from ghostjax.training.gan.step import (GANState, StepConfig, check_config, create_models,
                                        create_state, ema_decay_at, restore, sampling_variables,
                                        step_config, train_step, warm_start)
from ghostjax.training.gan.trainer import train_and_evaluate
