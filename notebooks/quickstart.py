# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.7
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # ghostjax quickstart
#
# GhostNet, a small Ghost-GAN on Fashion-MNIST, its FID / KID / IS, and a pruned and an int8
# generator. On Colab the first cell installs ghostjax; in a checkout it uses the installed
# package (`make install`). Sizes come from environment variables so tests can shrink them.

# %%
import importlib.util
import os
import subprocess
import sys

IN_COLAB = importlib.util.find_spec('google.colab') is not None
if IN_COLAB:  # clone and install; TFDS downloads Fashion-MNIST there
    REPO = os.environ.get('GHOSTJAX_REPO', '')
    if not REPO:
        raise RuntimeError("set os.environ['GHOSTJAX_REPO'] to the git URL of your ghostjax "
                           'repository, then run this cell again')
    subprocess.run(['git', 'clone', '-q', REPO, 'ghostjax'], check=True)
    os.chdir('ghostjax')
    subprocess.run([sys.executable, '-m', 'pip', 'install', '-q', '-e', '.'], check=True)
    sys.path.insert(0, os.getcwd())
elif not os.path.isdir('configs'):  # a local kernel started in notebooks/
    os.chdir('..')
    sys.path.insert(0, os.getcwd())

GAN_STEPS = int(os.environ.get('GHOSTJAX_NB_GAN_STEPS', 300))
NUM_SAMPLES = int(os.environ.get('GHOSTJAX_NB_SAMPLES', 5000))
WORKDIR = os.environ.get('GHOSTJAX_NB_WORKDIR', 'runs/notebook')
TORCH_WEIGHTS = os.environ.get('GHOSTJAX_NB_TORCH_WEIGHTS', '')  # a ghostnet_100 .pth, optional

# %% [markdown]
# ## Devices
# On Colab, *Runtime > Change runtime type* picks a GPU or TPU; JAX uses it with no code
# change, and `impl='auto'` then runs the XLA ops those chips have kernels for.

# %%
import jax
import jax.numpy as jnp

import ghostjax as gj

print(jax.devices())

# %% [markdown]
# ## GhostNet: parameters, MACs, PyTorch weights

# %%
model = gj.GhostNet(width=1.0, num_classes=1000)
print(gj.model_size(model, (1, 224, 224, 3)))  # the paper: 5.18M params, 141M MACs
if TORCH_WEIGHTS:
    from ghostjax.models.convert import load_torch_checkpoint
    variables = load_torch_checkpoint(TORCH_WEIGHTS, model)
    print('loaded', TORCH_WEIGHTS)
else:
    print('no GHOSTJAX_NB_TORCH_WEIGHTS given: skipping the PyTorch weight import')

# %% [markdown]
# ## A small Ghost-GAN
# GAN metrics need features: the shipped GhostNet 0.5x trained on Fashion-MNIST
# (`assets/extractor_fashion_mnist`, the one every table of the README uses; its scores are
# not comparable with Inception-feature FIDs).

# %%
from configs import ghost_g_dcgan28_d_fashion_mnist
from ghostjax.training import gan

extractor_dir = 'assets/extractor_fashion_mnist'
gan_dir = os.path.join(WORKDIR, 'gan')
config = ghost_g_dcgan28_d_fashion_mnist.get_config()
config.num_train_steps = GAN_STEPS
config.sample_every_steps = config.checkpoint_every_steps = GAN_STEPS
config.eval.extractor_workdir = ''  # evaluated below
result = gan.train_and_evaluate(config, gan_dir)

# %%
from IPython.display import Image, display

display(Image(os.path.join(gan_dir, 'samples', 'latest.png')))

# %% [markdown]
# ## Trained models in one call
# A GAN run's generator to sample from, a classifier run (here the shipped extractor) to
# predict with.

# %%
from ghostjax.applications import pretrained

generator = pretrained.Generator.load(gan_dir)
images = generator.sample(16, seed=0)  # [16, 28, 28, 1] in [-1, 1]
labeller = pretrained.Classifier.load(extractor_dir)
print('classes the extractor sees in 16 samples:', labeller.predict(images).argmax(-1))

# %% [markdown]
# ## FID, KID, Inception Score, precision / recall

# %%
scores = gan.evaluate(gan_dir, extractor_dir, NUM_SAMPLES)
print({k: round(scores[k], 4) for k in ('fid', 'kid_mean', 'is_mean', 'precision', 'recall')})

# %% [markdown]
# ## A pruned and an int8 generator

# %%
from ghostjax.compression import quantization
from ghostjax.optim import pruning

g_config, g_model, state, meta = gan.restore(gan_dir)
dense = gan.sampling_variables(g_config, state)
masks = pruning.compute_masks(dense['params'], pruning.prunable(dense['params']), 'magnitude',
                              jnp.float32(0.5))
sparse = {**dense, 'params': pruning.apply_masks(dense['params'], masks)}
print('50% sparse:', round(pruning.sparsity_report(sparse['params'])['sparsity'], 3),
      {k: round(v, 4) for k, v in gan.generator_metrics(
          g_config, g_model, sparse, meta, extractor_dir, NUM_SAMPLES).items()
       if k in ('fid', 'is_mean')})

z = jnp.zeros((1, g_model.z_dim))
folded = quantization.fold_batch_norm(dense)
q_model, q_vars = quantization.ptq(g_model, folded, z)
print('int8:', quantization.size_report(folded['params'], q_vars['params']),
      {k: round(v, 4) for k, v in gan.generator_metrics(
          g_config, q_model, q_vars, meta, extractor_dir, NUM_SAMPLES).items()
       if k in ('fid', 'is_mean')})
