"""Where a result came from: the command, the date, the machine, the versions, the git commit of
the code and a hash of the config that produced it."""
from __future__ import annotations

import datetime
import hashlib
import json
import os
import platform
import subprocess
import sys
from typing import Any

import jax


def cpu_name() -> str:
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or '?'


def machine() -> str:
    """E.g. ``'AMD EPYC 7B13, 2 cores, cpu'`` (the JAX backend last)."""
    return f'{cpu_name()}, {os.cpu_count()} cores, {jax.default_backend()}'


def git_commit(directory: str | None = None) -> str:
    """The commit checked out where this code runs, with ``+dirty`` when tracked files differ
    from it; ``'unknown'`` outside a git checkout."""
    cwd = directory or os.path.dirname(os.path.abspath(__file__))
    try:
        commit = subprocess.run(['git', 'rev-parse', 'HEAD'], cwd=cwd, capture_output=True,
                                text=True, check=True, timeout=10).stdout.strip()
        dirty = subprocess.run(['git', 'status', '--porcelain', '--untracked-files=no'],
                               cwd=cwd, capture_output=True, text=True, check=True,
                               timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return 'unknown'
    return commit + ('+dirty' if dirty else '')


_PINNED: dict[str, str] = {}


def pin_commit() -> str:
    """Records the commit this process started from (entry points call it at start, through
    ``train.cli.setup``), so a long run's record names the code it ran even when the checkout
    moves on before it ends. Returns it."""
    if 'commit' not in _PINNED:
        _PINNED['commit'] = git_commit()
    return _PINNED['commit']


def config_hash(config: Any) -> str:
    """sha256 (first 16 hex digits) of a config's canonical JSON: two records with the same
    hash ran the same settings."""
    values = config.to_dict() if hasattr(config, 'to_dict') else config
    text = json.dumps(values, sort_keys=True, default=repr)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def provenance(command: str | None = None, config: Any = None) -> dict[str, str]:
    """Command, date, machine, versions and commit of this process (pinned at its start by
    ``pin_commit``, else the checkout's now) and ``config``'s hash."""
    record = {'command': command or ' '.join(['python', '-m', *_module_argv()]),
              'date': datetime.date.today().isoformat(), 'machine': machine(),
              'jax': jax.__version__, 'python': platform.python_version(),
              'commit': _PINNED.get('commit') or git_commit()}
    if config is not None:
        record['config_sha256'] = config_hash(config)
    return record


def _module_argv() -> list[str]:
    main = sys.modules.get('__main__')
    spec = getattr(main, '__spec__', None)
    return ([spec.name] if spec else [sys.argv[0]]) + sys.argv[1:]


def write_result(path: str, result: Any, command: str | None = None, config: Any = None
                 ) -> None:
    """Writes ``{provenance..., 'result': result}`` as JSON to ``path`` (atomically)."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path + '.tmp', 'w') as f:
        json.dump({**provenance(command, config), 'result': result}, f, indent=2,
                  sort_keys=True, default=float)
        f.write('\n')
    os.replace(path + '.tmp', path)
