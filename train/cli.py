"""What every entry point does around its run: a quiet console and a closing summary."""
import difflib
import os
import runpy
import sys

import jax
import ml_collections
from absl import app, flags, logging

from ghostjax.runtime import allocator, compilation_cache, distributed, provenance
from ghostjax.training import writers

flags.DEFINE_string('coordinator_address', None, 'host:port of process 0 in a multi-process '
                    'run (all processes give the same). Unset: auto-detected on Cloud TPU, '
                    'SLURM, Open MPI, Kubernetes; else a single process.')
flags.DEFINE_integer('num_processes', None, 'Processes in the run (1: single process).')
flags.DEFINE_integer('process_id', None, 'This process: 0 .. num_processes - 1.')
flags.DEFINE_integer('distributed_timeout_s', 300, 'How long a process waits for the others '
                     'to join before failing.')
flags.DEFINE_integer('heartbeat_timeout_s', 100, 'After a process dies, how long until the '
                     'others stop (with an error) instead of waiting for it.')
flags.DEFINE_string('compilation_cache_dir', compilation_cache.default_dir(),
                    "JAX's persistent compilation cache: a repeated or resumed run loads its "
                    "compiled steps instead of compiling them again ('' turns it off).")


def setup() -> None:
    """Joins a multi-process run when the flags (or the cluster) say so, before any device is
    touched. Library logs (Orbax, TFDS, absl; our per-step metrics at INFO) only with
    ``--verbosity``/``-v``; ghostjax's own progress lines and warnings always show."""
    if not flags.FLAGS['verbosity'].present:
        logging.set_verbosity(logging.ERROR)
    f = flags.FLAGS
    provenance.pin_commit()
    compilation_cache.enable(f.compilation_cache_dir)
    topology = distributed.initialize(f.coordinator_address, f.num_processes, f.process_id,
                                      init_timeout_s=f.distributed_timeout_s,
                                      heartbeat_timeout_s=f.heartbeat_timeout_s)
    if topology.num_processes > 1:
        writers.say(f'{topology.num_processes} processes, {jax.device_count()} devices '
                    f'({jax.local_device_count()} per process); this console is process 0')
    if message := allocator.hint(jax.default_backend()):
        writers.say(message)


RESULT = 'result.json'  # a run's result record, in its workdir


def summary(title: str, workdir: str, files: dict[str, str], scores: dict[str, float],
            result: dict | None = None) -> None:
    """Prints where a run's outputs are and its scores; writes ``result`` with its provenance
    (command, machine, date, commit, config hash) to ``{workdir}/result.json`` (process 0
    only). Publishing it into ``results/`` is a separate step (``benchmarks.publish``)."""
    if jax.process_index() != 0:
        return
    paths = {label: os.path.join(workdir, path) for label, path in files.items()}
    if result is not None and workdir:
        config = flags.FLAGS['config'].value if 'config' in flags.FLAGS else None
        provenance.write_result(os.path.join(workdir, RESULT), result, config=config)
        paths['record'] = os.path.join(workdir, RESULT)
    print(f'\n{title}')
    for label, path in paths.items():
        if os.path.exists(path):
            print(f'  {label:<12} {path}')
    if scores:
        print('  ' + '  '.join(f'{k} {v:.4g}' for k, v in scores.items()))


def _config_file(argv: list[str]) -> str | None:
    for i, arg in enumerate(argv):
        if arg.startswith('--config='):
            return arg.split('=', 1)[1]
        if arg == '--config' and i + 1 < len(argv):
            return argv[i + 1]
    return None


def check_overrides(argv: list[str]) -> None:
    """Exits with a clear message when a ``--config.KEY=...`` override names no key of the
    config file (ml_collections would raise a bare AttributeError), listing the valid keys."""
    path = _config_file(argv)
    if path is None or not os.path.exists(path.split(':')[0]):
        return
    config = runpy.run_path(path.split(':')[0])['get_config']()
    for arg in argv:
        if not arg.startswith('--config.'):
            continue
        node, keys = config, arg[len('--config.'):].split('=', 1)[0].split('.')
        for depth, key in enumerate(keys):
            if isinstance(node, ml_collections.ConfigDict) and key in node:
                node = node[key]
                continue
            if not isinstance(node, ml_collections.ConfigDict):
                break  # a value inside a field (a dict or tuple) is the field's business
            prefix = '.'.join(keys[:depth])
            valid = sorted(node.keys())
            close = difflib.get_close_matches(key, valid, n=1)
            hint = f' Did you mean {close[0]!r}?' if close else ''
            where = f' under config.{prefix}' if prefix else ''
            sys.exit(f'error: {path} has no config key {".".join(keys[:depth + 1])!r}.{hint} '
                     f'Valid keys{where}: {", ".join(valid)}')


def run(main) -> None:
    """``app.run(main)`` after ``check_overrides``. A bad value the library rejects
    (ValueError, FileNotFoundError: their messages name the value and what was expected) or a
    failure to join a multi-process run ends the run with that message alone; with
    ``--verbosity`` with its traceback too."""
    check_overrides(sys.argv[1:])

    def guarded(argv):
        try:
            return main(argv)
        except (ValueError, FileNotFoundError, distributed.JoinError) as e:
            if flags.FLAGS['verbosity'].present:
                raise
            sys.exit(f'error: {e}')

    app.run(guarded)


def title(result: dict) -> str:
    """A trainer's closing line: stopped, already trained (a rerun of a finished run) or done."""
    if 'stopped_at_step' in result:
        return f'stopped at step {result["stopped_at_step"]}; run the command again to resume'
    if result.get('start_step') == result['step']:
        return f'already trained to step {result["step"]}: nothing to train, scores re-measured'
    return f'done: step {result["step"]} in {result["train_wall_s"]:.0f} s'
