"""Data: TFDS datasets without TensorFlow, an offline Fashion-MNIST default, sharded batches."""
from ghostjax.data.pipeline import (MEAN_STD, Preprocess, Split, check_batch, default_data_dir,
                                    epoch_indices, eval_batch_size, from_arrays, load, make_batches,
                                    prefetch_to_device, prepare)
