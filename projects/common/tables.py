"""What every study's report tables are built from: its result records (``results/``, each
with the command, machine, date and commit that wrote it), mean ± std over seeds, and the
provenance line under a table."""
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
    """The provenance line under a table: its records' commands, machine, JAX and date."""
    r = records[0]
    commands = '; '.join(f'`{c}`' for c in dict.fromkeys(x['command'] for x in records))
    return f'\n{commands} — {r["machine"]}, JAX {r["jax"]}, {r["date"]}.\n'


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
