"""Data: dataset sources (TFDS without TensorFlow, an offline Fashion-MNIST default),
preprocessing, and deterministic sharded batches; labelled subsets and the scenes dataset."""
from ghostjax.data.batches import (check_batch, epoch_indices, eval_batch_size, make_batches,
                                   prefetch_to_device)
from ghostjax.data.preprocess import MEAN_STD, Preprocess
from ghostjax.data.sources import Split, default_data_dir, from_arrays, load, prepare
