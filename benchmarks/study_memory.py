"""Resident memory of one study process across its runs, under retaining jemalloc, with and
without ``allocator.release_freed_memory`` between runs (``projects.common.runs.pending`` calls it). Each mode
runs in its own child process: one pair of ``projects/ghostgan/configs/study.py`` for
several seeds at a short budget; RSS is read when each run finishes, before and after the
release. Writes ``runs/study_memory.json`` (``--out``), for ``benchmarks.publish``.

  python -m benchmarks.study_memory [--pair ghost_g_ghostnet_d] [--runs 4] [--steps 100]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

from ghostjax.runtime import allocator, provenance
from projects.common import runs as runs_lib
from projects.ghostgan.study import load_pairs, run_study

STUDY = 'projects/ghostgan/configs/study.py'
EVAL_SAMPLES = 5000  # per evaluation; each run evaluates twice (every steps // 2)


def child(pair: str, runs: int, steps: int, release: bool, workdir: str) -> list[dict]:
    points = []
    release_fn = allocator.release_freed_memory

    def measured_release():
        before = allocator.resident_mb()
        if release:
            release_fn()
        points.append({'run': len(points) + 1, 'rss_mb_at_end': round(before),
                       'rss_mb_after_release': round(allocator.resident_mb())})

    allocator.release_freed_memory = measured_release
    study = runs_lib.load_config_file(STUDY)
    study.pairs = {pair: study.pairs[pair]}
    study.seeds = {pair: tuple(range(runs))}
    study.num_train_steps, study.eval_every_steps = steps, steps // 2
    study.eval_num_samples = study.final_num_samples = EVAL_SAMPLES
    run_study(study, load_pairs(study), os.path.join(workdir, 'runs'))
    return points


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--pair', default='ghost_g_ghostnet_d')
    ap.add_argument('--runs', type=int, default=4)
    ap.add_argument('--steps', type=int, default=100)
    ap.add_argument('--out', default='runs/study_memory.json')
    ap.add_argument('--child', choices=('release', 'keep'), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        with tempfile.TemporaryDirectory() as workdir:
            points = child(args.pair, args.runs, args.steps, args.child == 'release', workdir)
        print(json.dumps(points), flush=True)
        return
    env = dict(os.environ, **allocator.required_jemalloc_env())
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    modes = {}
    for mode in ('keep', 'release'):
        print(f'{mode}: {args.runs} runs of {args.pair}, {args.steps} steps each', flush=True)
        out = subprocess.run([sys.executable, '-m', 'benchmarks.study_memory', '--child', mode,
                              '--pair', args.pair, '--runs', str(args.runs), '--steps',
                              str(args.steps)], env=env, cwd=root, check=True,
                             capture_output=True, text=True).stdout
        modes[mode] = json.loads(out.strip().splitlines()[-1])
        for p in modes[mode]:
            print(f"  run {p['run']}: {p['rss_mb_at_end']} MB at its end, "
                  f"{p['rss_mb_after_release']} MB after", flush=True)
    provenance.write_result(args.out, {'pair': args.pair, 'steps': args.steps,
                                       'eval_samples': EVAL_SAMPLES, 'malloc': 'jemalloc, retaining',
                                       'modes': modes})
    print(f'wrote {args.out}')


if __name__ == '__main__':
    main()
