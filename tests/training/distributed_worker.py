"""One process of a multi-process test run (tests/training/test_distributed.py).

  python -m tests.training.distributed_worker WORKDIR PROCESS_ID NUM_PROCESSES PORT TASKS [--die]

Joins the run (2 CPU devices per process) and trains the tiny classifier and/or the tiny GAN
of ``tests.helpers`` (TASKS: 'classifier,gan' or one of them) with all devices, into
``WORKDIR/cls`` and ``WORKDIR/gan``. ``--die``: process 1 kills itself (SIGKILL, no clean-up)
right after the GAN's step-3 checkpoint, as a crashed host would.
"""
import os
import signal
import sys

os.environ['XLA_FLAGS'] = '--xla_force_host_platform_device_count=2'

from ghostjax.runtime import distributed  # noqa: E402
from ghostjax.training import classifier, gan, loop  # noqa: E402
from tests.helpers import sgd_gan_config, tiny_config  # noqa: E402


def die_after_checkpoint(step_to_die: int) -> None:
    save = loop.Run.save

    def save_then_die(self, step, state):
        save(self, step, state)
        if step == step_to_die:
            os.kill(os.getpid(), signal.SIGKILL)

    loop.Run.save = save_then_die


def main(workdir: str, process_id: int, num_processes: int, port: int, tasks: list[str],
         die: bool) -> None:
    distributed.initialize(f'127.0.0.1:{port}', num_processes, process_id, init_timeout_s=60,
                           heartbeat_timeout_s=5)
    if 'classifier' in tasks:
        classifier.train_and_evaluate(tiny_config(data_parallel=True), os.path.join(workdir, 'cls'))
    if 'gan' in tasks:
        if die and process_id == 1:
            die_after_checkpoint(3)
        gan.train_and_evaluate(sgd_gan_config(data_parallel=True), os.path.join(workdir, 'gan'))
    print(f'process {process_id} done', flush=True)


if __name__ == '__main__':
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]),
         sys.argv[5].split(','), '--die' in sys.argv)
