"""The shipped tables' headline numbers, recomputed from the raw per-run records by a second
path (plain numpy over the JSON, not the report code), must equal what the READMEs print."""
import json
import re

import numpy as np

from tests.helpers import ROOT


def _records(folder):
    return [json.loads(p.read_text()) for p in sorted((ROOT / 'results' / folder).glob('*.json'))]


def _row(readme, label):
    """The cells of the table row of ``readme`` that starts with ``| label |``."""
    for line in (ROOT / readme).read_text().splitlines():
        if line.startswith(f'| {label} |'):
            return [c.strip() for c in line.strip('|').split('|')]
    raise AssertionError(f'no row {label!r} in {readme}')


def _mean_std(values, digits):
    values = np.asarray(values, np.float64)
    if len(values) == 1:
        return f'{values[0]:.{digits}f}'
    return f'{values.mean():.{digits}f} ± {values.std(ddof=1):.{digits}f}'


def test_anomaly_means_are_the_means_of_the_per_class_aurocs():
    seed0 = {}
    for r in _records('anomaly'):
        res = r['result']
        if res['normal_class'] not in seed0 or res['seed'] < seed0[res['normal_class']]['seed']:
            seed0[res['normal_class']] = res
    assert sorted(seed0) == list(range(10))
    for key, label in (('izi_f', 'ours: f-AnoGAN izi_f (Ghost G + Ghost encoder)'),
                       ('ocsvm', 'ours: OC-SVM on pixels')):
        auroc = 100 * np.mean([seed0[c]['scorers'][key]['auroc'] for c in range(10)])
        auprc = 100 * np.mean([seed0[c]['scorers'][key]['auprc'] for c in range(10)])
        cells = _row('projects/anomaly/README.md', label)
        assert cells[1:3] == [f'{auroc:.1f}', f'{auprc:.1f}'], (label, cells)
    chance = 100 * np.mean([seed0[c]['anomalous'] / seed0[c]['test_examples'] for c in range(10)])
    assert f'chance {chance:.1f})' in (ROOT / 'projects/anomaly/README.md').read_text()


def test_ghostgan_fids_are_mean_and_sample_std_of_the_seeds_final_fids():
    runs = {}
    for r in _records('ghostgan_study'):
        runs.setdefault(r['result']['pair'], []).append(r['result']['final'])
    for pair, label in (('dcgan28', 'DCGAN-28 G + DCGAN-28 D'),
                        ('ghost_gd', 'Ghost G + Ghost D')):
        finals = runs[pair]
        cells = _row('projects/ghostgan/README.md', label)
        assert cells[1] == str(len(finals))
        assert cells[2] == _mean_std([f['fid'] for f in finals], 1)
        assert cells[6] == _mean_std([f['recall'] for f in finals], 2)


def test_augmentation_gains_are_chosen_arm_minus_real_on_test():
    by_n = {}
    for r in _records('augment'):
        res = r['result']
        if 'arms' in res:
            chosen = max((a for a in res['arms'] if a != 'real'),
                         key=lambda a: res['arms'][a]['validation_accuracy'])
            gain = res['arms'][chosen]['test_accuracy'] - res['arms']['real']['test_accuracy']
            by_n.setdefault(res['per_class'], []).append(100 * gain)
    for n, gains in by_n.items():
        cells = _row('projects/augment/README.md', str(n))
        values = np.asarray(gains)
        assert cells[4] == f'{values.mean():+.2f} ± {values.std(ddof=1):.2f}', (n, cells)


def test_the_scenes_reference_row_is_the_baseline_record():
    b = json.loads((ROOT / 'results' / 'scenes_baselines.json').read_text())['result']
    row = next(line for line in (ROOT / 'projects/scenes/README.md').read_text().splitlines()
               if line.startswith('| reference, no model'))
    numbers = re.findall(r'\d\.\d{3}', row)
    assert numbers == [f"{b['miou']:.3f}", f"{b['pixel_accuracy']:.3f}",
                       f"{b['classify_label_accuracy']:.3f}"]
