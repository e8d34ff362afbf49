"""Compress the default Ghost-GAN's generator (train it first with `make run`, which also
trains the domain feature extractor the FIDs use).

Variants: magnitude pruning of the EMA generator at each of ``sparsities``, one-shot and
fine-tuned by ``finetune_steps`` more GAN steps (pruned on a ramp over the first half; plus a
dense control with the same steps), and int8 PTQ of weights and activations.
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
