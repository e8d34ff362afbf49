"""Test setup: four host devices for pmap tests, set before JAX starts."""
import os

os.environ['XLA_FLAGS'] = (os.environ.get('XLA_FLAGS', '') +
                           ' --xla_force_host_platform_device_count=4').strip()
os.environ.setdefault('TFDS_DATA_DIR', os.path.join(os.path.dirname(__file__), '..', 'runs',
                                                    'tensorflow_datasets'))

import jax  # noqa: E402  (must come after XLA_FLAGS)

assert jax.local_device_count() == 4, 'tests need XLA_FLAGS set before JAX is imported'
