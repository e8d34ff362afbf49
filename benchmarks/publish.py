"""Publishes measured runs into ``results/``: the one step that changes a shipped result.

Commands write only under their workdir (``{workdir}/result.json``, a study's
``{workdir}/results/*.json``); a table in the README or docs changes only when a record is
copied here and the tables are rendered again.

  python -m benchmarks.publish runs/gan/result.json results/make_run_gan.json
  python -m benchmarks.publish runs/gan/samples/latest.png results/make_run_samples.png
  python -m benchmarks.publish runs/ghostgan_study/results results/ghostgan_study
  python -m benchmarks.report

A JSON file must be a result record (command, date, machine, commit and result). An existing
file is replaced only with ``--replace``.
"""
import argparse
import json
import pathlib
import shutil
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
RECORD_KEYS = ('command', 'date', 'machine', 'result')


def check_record(path: pathlib.Path) -> None:
    """Raises ValueError unless ``path`` holds a result record with its provenance."""
    try:
        record = json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise ValueError(f'{path} is not JSON: {e}') from e
    missing = [k for k in RECORD_KEYS if k not in record] if isinstance(record, dict) else [
        'a JSON object']
    if missing:
        raise ValueError(f'{path} is not a result record: it lacks {missing} (expected the '
                         f'keys {RECORD_KEYS}, as provenance.write_result writes)')


def plan(source: pathlib.Path, target: pathlib.Path) -> list[tuple[pathlib.Path, pathlib.Path]]:
    """(from, to) pairs: one file, or every file of a directory into the target directory."""
    if not source.exists():
        raise FileNotFoundError(f'nothing to publish: {source} does not exist')
    pairs = ([(p, target / p.name) for p in sorted(source.iterdir()) if p.is_file()]
             if source.is_dir() else [(source, target)])
    if not pairs:
        raise FileNotFoundError(f'nothing to publish: {source} holds no files')
    results = (ROOT / 'results').resolve()
    for _, to in pairs:
        if results not in to.resolve().parents:
            raise ValueError(f'{to} is outside {results}: publish into results/')
    return pairs


def publish(source: str, target: str, replace: bool = False) -> list[pathlib.Path]:
    pairs = plan(pathlib.Path(source), pathlib.Path(target))
    for src, to in pairs:
        if src.suffix == '.json':
            check_record(src)
        if to.exists() and not replace:
            raise FileExistsError(f'{to} exists; pass --replace to overwrite a shipped result')
    for src, to in pairs:
        to.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, to)
        print(f'{src} -> {to}')
    return [to for _, to in pairs]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('source', help='a run\'s result.json (or any file), or a directory of them')
    ap.add_argument('target', help='a path (or, for a directory, a folder) under results/')
    ap.add_argument('--replace', action='store_true', help='overwrite existing files')
    args = ap.parse_args(argv)
    try:
        publish(args.source, args.target, args.replace)
    except (ValueError, FileNotFoundError, FileExistsError) as e:
        sys.exit(f'error: {e}')
    print('now render the tables: python -m benchmarks.report')


if __name__ == '__main__':
    main()
