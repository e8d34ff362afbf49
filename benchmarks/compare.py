"""Re-measured against shipped: the numbers of re-run records beside the published ones.

  python -m benchmarks.compare runs/ghostgan_study/results results/ghostgan_study
  python -m benchmarks.compare runs/anomaly/results results/anomaly --keys auroc
  python -m benchmarks.compare runs/gan/result.json results/make_run_gan.json

Pairs records by file name (a directory against a directory, or one file against one file)
and prints every number of their ``result`` (nested keys joined by dots; ``--keys``: only
those whose last part is listed) with the shipped value, the re-measured one and the
difference, then each record's machine, date and commit. Timings (``*_s``, ``ms_*``) differ
by machine and load and are left out unless ``--keys`` names them.
"""
import argparse
import json
import math
import pathlib
import sys


def numbers(tree, prefix: str = '') -> dict[str, float]:
    """The numeric leaves of ``tree`` by dotted path (lists by index; booleans left out)."""
    out = {}
    items = tree.items() if isinstance(tree, dict) else enumerate(tree) \
        if isinstance(tree, list) else ()
    for key, value in items:
        path = f'{prefix}{key}'
        if isinstance(value, (dict, list)):
            out.update(numbers(value, path + '.'))
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            out[path] = float(value)
    return out


def is_timing(path: str) -> bool:
    last = path.rsplit('.', 1)[-1]
    return last.endswith('_s') or last.startswith('ms_') or 'wall' in last or last == 'median_ms'


def pairs(measured: pathlib.Path, shipped: pathlib.Path) -> list[tuple[str, dict, dict]]:
    """(name, shipped record, re-measured record) of every file both sides hold."""
    if measured.is_file() and shipped.is_file():
        files = [(shipped.name, shipped, measured)]
    elif measured.is_dir() and shipped.is_dir():
        files = [(p.name, shipped / p.name, p) for p in sorted(measured.glob('*.json'))
                 if (shipped / p.name).exists()]
    else:
        raise SystemExit(f'compare a file with a file or a directory with a directory; got '
                         f'{measured} and {shipped}')
    return [(name, json.loads(s.read_text()), json.loads(m.read_text())) for name, s, m in files]


def _commit(record: dict) -> str:
    c = record.get('commit')
    return f"commit {c[:7]}{'+dirty' * c.endswith('+dirty')}" if c else 'commit not recorded'


def compare(measured: pathlib.Path, shipped: pathlib.Path, keys: tuple[str, ...] = ()
            ) -> list[str]:
    """The lines ``main`` prints."""
    found = pairs(measured, shipped)
    if not found:
        return [f'no record of {measured} has a published counterpart in {shipped}']
    lines = []
    for name, ship, meas in found:
        a, b = numbers(ship['result']), numbers(meas['result'])
        wanted = [k for k in a if k in b and (k.rsplit('.', 1)[-1] in keys if keys
                                              else not is_timing(k))]
        lines.append(f'{name}')
        lines.append(f"  shipped:     {ship['machine']}, {ship['date']}, {_commit(ship)}")
        lines.append(f"  re-measured: {meas['machine']}, {meas['date']}, {_commit(meas)}")
        width = max((len(k) for k in wanted), default=0)
        for k in wanted:
            diff = b[k] - a[k]
            same = 'equal' if diff == 0 else f'{diff:+.6g}'
            if a[k] and not math.isclose(diff, 0):
                same += f' ({100 * diff / abs(a[k]):+.2f}%)'
            lines.append(f'  {k:<{width}}  {a[k]:>14.6g}  {b[k]:>14.6g}  {same}')
        only = sorted(set(a) - set(b))
        if only:
            lines.append(f'  not re-measured: {", ".join(only[:8])}'
                         + (f' and {len(only) - 8} more' if len(only) > 8 else ''))
    return lines


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('measured', type=pathlib.Path, help='a re-run record or a directory of them')
    ap.add_argument('shipped', type=pathlib.Path, help='the published record(s) under results/')
    ap.add_argument('--keys', default='', help='comma-separated last key parts to show')
    args = ap.parse_args(argv)
    keys = tuple(k for k in args.keys.split(',') if k)
    print('\n'.join(compare(args.measured, args.shipped, keys)))


if __name__ == '__main__':
    sys.exit(main())
