"""Compress the generator of a train.gan run (`make run`'s conditional Ghost-GAN in runs/gan
by default), scored with the shipped feature extractor.

  make run
  python -m train.compress --config configs/compress_ghostgan_fashion_mnist.py \
      --workdir runs/compress_ghostgan

Variants: magnitude pruning of the EMA generator at each of ``sparsities``, one-shot and
fine-tuned by ``finetune_steps`` more GAN steps (pruned on a ramp over the first half; plus a
dense control with the same steps), and int8 PTQ of weights and activations. Result:
results/compression/ghostgan_fashion_mnist.json, rendered in docs/compression.md (on `make
run`'s GAN, 2-core CPU, about 12 minutes): dense FID 10.26; int8 PTQ 10.40; 50% sparse and
fine-tuned 7.90 against 6.93 for the dense control given the same 500 steps.
"""
import ml_collections


def get_config() -> ml_collections.ConfigDict:
    c = ml_collections.ConfigDict()
    c.kind = 'generator'
    c.checkpoint = 'runs/gan'  # a train.gan workdir (latest checkpoint)
    c.extractor = 'assets/extractor_fashion_mnist'
    c.num_samples = 10000
    c.method = 'magnitude'  # per layer
    c.sparsities = (0.5,)
    c.finetune_steps = 500  # 0: only one-shot
    c.ptq = True
    return c
