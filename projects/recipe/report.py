"""The recipe study's table: validation accuracy of each arm, and the arm chosen."""
import json

from projects.common import tables
from projects.common.tables import runs_count
from projects.recipe.configs import study as study_config


def recipe_runs() -> dict[str, dict]:
    """arm -> its record (``results/recipe/*.json``)."""
    return {json.loads(p.read_text())['result']['arm']: json.loads(p.read_text())
            for p in sorted((tables.ROOT / 'results' / 'recipe').glob('*.json'))}


def _settings(settings: dict) -> str:
    crops = settings.get('input', {}).get('crop_padding', 0)
    smoothing = settings.get('label_smoothing', 0.0)
    return f"flips{f', {crops}-pixel crops' if crops else ''}" \
           f"{f', label smoothing {smoothing:g}' if smoothing else ''}"


def recipe() -> str:
    runs = recipe_runs()
    if not runs:
        return '\nNo recipe arm has finished yet.\n'
    lines = ['| arm | recipe | validation accuracy % | validation loss |', '|---|---|---|---|']
    for arm, rec in runs.items():
        r = rec['result']
        lines.append(f"| {arm} | {_settings(r['settings'])} "
                     f"| {100 * r['validation_accuracy']:.2f} | {r['validation_loss']:.4f} |")
    best = max(runs, key=lambda a: runs[a]['result']['validation_accuracy'])
    r = runs[best]['result']
    note = (f"\n`{r['classifier']}` with each arm's changes, {r['steps']:,} steps, seed "
            f"{r['seed']}; trained on {r['train_examples']:,} train images, scored on the "
            f"{r['validation_examples']:,} held out of the train split "
            f"({round(100 * r['val_fraction'])}% of each class); the test split is not read. "
            f"Training times are in the records; arms ran on a shared machine and some across "
            f"sessions, so they are not compared here. "
            f"{_verdict(runs, best)}\n")
    records = list(runs.values())
    return '\n'.join(lines) + '\n' + note + tables.source(*records) + \
        f'\nResult files: `results/recipe/*.json` ({runs_count(records)}).\n'


def _verdict(runs: dict, best: str) -> str:
    order = study_config.get_config().order
    shipped = order[0]
    done = f'{len(runs)} of the {len(order)} arms run'
    if best == shipped or shipped not in runs:
        return f'Best on validation: {best} ({done}).'
    gap = 100 * (runs[best]['result']['validation_accuracy']
                 - runs[shipped]['result']['validation_accuracy'])
    return f'Best on validation: {best}, {gap:.2f} points above the shipped {shipped} ({done}).'


RENDERERS = {'recipe': recipe}
