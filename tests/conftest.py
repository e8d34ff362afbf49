"""Test setup: four host devices for the data-parallel tests, set before JAX starts."""
import os

os.environ['XLA_FLAGS'] = (os.environ.get('XLA_FLAGS', '') +
                           ' --xla_force_host_platform_device_count=4').strip()
os.environ.setdefault('TFDS_DATA_DIR', os.path.join(os.path.dirname(__file__), '..', 'runs',
                                                    'tensorflow_datasets'))

import jax  # noqa: E402  (must come after XLA_FLAGS)

assert jax.local_device_count() == 4, 'tests need XLA_FLAGS set before JAX is imported'

import pytest  # noqa: E402

from ghostjax.data import fashion_mnist  # noqa: E402
from ghostjax.training.classifier import train_and_evaluate  # noqa: E402
from tests.helpers import tiny_config  # noqa: E402


def pytest_collection_modifyitems(config, items):
    """``needs_fmnist`` tests train on the real data: marked ``slow`` (``make test-fast`` skips
    them) and skipped where the dataset is not installed."""
    present = fashion_mnist.local_files_present()
    for item in items:
        if item.get_closest_marker('needs_fmnist'):
            item.add_marker(pytest.mark.slow)
            if not present:
                item.add_marker(pytest.mark.skip(reason='apt-get install -y dataset-fashion-mnist'))


@pytest.fixture(scope='session')
def extractor_workdir(tmp_path_factory) -> str:
    """A tiny domain extractor (``train.classifier`` workdir, 30 steps), trained once per session
    for the tests that score generators."""
    workdir = str(tmp_path_factory.mktemp('extractor'))
    train_and_evaluate(tiny_config(num_train_steps=30, checkpoint_every_steps=30), workdir)
    return workdir
