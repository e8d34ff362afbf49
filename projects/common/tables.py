"""What every study's report tables are built from: its result records (``results/``, each
with the command, machine, date and commit that wrote it), mean ± std over seeds, and the
provenance line under a table."""
import collections
import json
import pathlib
import statistics

ROOT = pathlib.Path(__file__).resolve().parents[2]


def load(name: str) -> dict:
    """``results/{name}.json``."""
    with open(ROOT / 'results' / f'{name}.json') as f:
        return json.load(f)


def load_optional(name: str) -> dict | None:
    """``results/{name}.json``, or None before its command has run."""
    return load(name) if (ROOT / 'results' / f'{name}.json').exists() else None


def records(pattern: str) -> list[dict]:
    """The result records of ``results/{pattern}`` (a glob), by file name."""
    return [json.loads(p.read_text()) for p in sorted((ROOT / 'results').glob(pattern))]


def source(*records: dict) -> str:
    """The provenance line under a table, from all its records: the commands they record, every
    machine (with its run count when the runs are several), the JAX versions, the date range and
    the git commits. It starts with ``Recorded:``: a command there is what ran, kept as the
    record has it even after the entry point moved (tests/test_commands.py reads it so)."""
    many = len(records) > 1
    commands = '; '.join(f'`{c}`' for c in dict.fromkeys(r['command'] for r in records))
    machines = collections.Counter(r['machine'] for r in records)
    who = ', '.join(f'{m} ({k} run{"s" * (k > 1)})' if many else m for m, k in machines.items())
    jax_versions = ', '.join(dict.fromkeys(r['jax'] for r in records))
    dates = sorted({r['date'] for r in records})
    when = dates[0] if len(dates) == 1 else f'{dates[0]} to {dates[-1]}'
    commits = list(dict.fromkeys(r['commit'][:7] + '+dirty' * r['commit'].endswith('+dirty')
                                 for r in records if r.get('commit')))
    missing = sum(not r.get('commit') for r in records)
    commit = ', '.join(f'commit {c}' for c in commits) if commits else ''
    if missing:
        commit += (', ' if commit else '') + (f'{missing} without a commit' if commits
                                              else 'commit not recorded')
    return f'\nRecorded: {commands} — {who}; JAX {jax_versions}; {when}; {commit}.\n'


def config_path(path: str) -> str:
    """A record's config path in backticks, marked when the file has moved since it ran."""
    return f'`{path}`' + ('' if (ROOT / path).exists() else ' (its path when it ran)')


def runs_count(records: list) -> str:
    return f"{len(records)} run{'s' * (len(records) != 1)}"


def verdict(ok: bool) -> str:
    return 'met' if ok else 'missed'


def missed_by(ok: bool, gap: float, fmt: str) -> str:
    """``verdict`` with the distance to the target when it is missed."""
    return 'met' if ok else f'missed by {format(abs(gap), fmt)}'


def mean_std(values: list[float], fmt: str) -> str:
    """``'m ± s'`` (sample std) over seeds; the value alone for one seed."""
    if len(values) == 1:
        return format(values[0], fmt)
    return (f'{format(statistics.mean(values), fmt)} ± '
            f"{format(statistics.stdev(values), fmt.replace('+', ''))}")
