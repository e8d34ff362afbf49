"""Where a result came from: the command, the date, the machine and the versions."""
from __future__ import annotations

import datetime
import json
import os
import platform
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


def provenance(command: str | None = None) -> dict[str, str]:
    return {'command': command or ' '.join(['python', '-m', *_module_argv()]),
            'date': datetime.date.today().isoformat(), 'machine': machine(),
            'jax': jax.__version__, 'python': platform.python_version()}


def _module_argv() -> list[str]:
    main = sys.modules.get('__main__')
    spec = getattr(main, '__spec__', None)
    return ([spec.name] if spec else [sys.argv[0]]) + sys.argv[1:]


def write_result(path: str, result: Any, command: str | None = None) -> None:
    """Writes ``{provenance..., 'result': result}`` as JSON to ``path`` (atomically)."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path + '.tmp', 'w') as f:
        json.dump({**provenance(command), 'result': result}, f, indent=2, sort_keys=True,
                  default=float)
        f.write('\n')
    os.replace(path + '.tmp', path)
