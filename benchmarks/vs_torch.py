"""This project against its PyTorch peers, same machine, same invocation, interleaved.

For each workload one JAX worker and one PyTorch worker (``benchmarks.worker``, the PyTorch one
in the peers venv) are started one after the other (so compiles do not overlap), warmed up,
then stepped alternately (ours, peer, ours, peer, ...), so drift and noise hit both sides
alike. Prints one JSON line per workload (medians, ratio ours/peer, first-step time, peak RSS,
and the step's work: conv + matmul GMAC counted from our step, and the GMAC/s each side reaches
on it, next to the float32 matmul's as the ceiling) and, with ``--markdown``, the README table.

  python -m benchmarks.vs_torch
      [--workloads matmul,ghostnet_infer,ghostnet_train,dcgan64,dcgan28,ghost_g_dcgan28_d,
                   ghost_g_ghost_d]
      [--iters 10] [--warmup 3] [--peers_python /tmp/peers-venv/bin/python]
      [--allocator system|jemalloc] [--markdown]

``--allocator jemalloc`` starts both sides with retaining jemalloc (``ghostjax.runtime.allocator``).

Build the peers venv with ``bash benchmarks/setup_peers_venv.sh /tmp/peers-venv``. Writes
``runs/vs_torch/vs_torch_<allocator>.json`` (``--out`` for another path); ``python -m
benchmarks.publish`` copies it into ``results/`` and ``python -m benchmarks.report`` renders it
into ``docs/performance.md``.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

from ghostjax.runtime import allocator
from ghostjax.runtime.provenance import cpu_name, write_result

WORKLOADS = {
    'matmul': 'float32 matmul 4096x4096x4096 (the compute ceiling)',
    'ghostnet_infer': 'GhostNet 1.0x inference, batch 32, 224x224 (timm ghostnet_100)',
    'ghostnet_train': 'GhostNet 1.0x train step, batch 32, 224x224, SGD momentum (timm)',
    'dcgan64': 'DCGAN-64 iteration (D then G, Adam), batch 64',
    'dcgan28': 'DCGAN-28 iteration (D then G, Adam), batch 256',
    'ghost_g_dcgan28_d': 'Ghost G + DCGAN-28 D iteration (ns loss, Adam, G EMA), batch 64',
    'ghost_g_ghost_d': 'Ghost G + Ghost D iteration (SN D, hinge, DiffAugment, G EMA), batch 64',
}


class Worker:
    def __init__(self, python: str, side: str, workload: str, threads: int,
                 extra_env: dict[str, str], args: tuple[str, ...] = ()):
        env = dict(os.environ)
        env.pop('XLA_FLAGS', None)  # one host device, all cores, as a user would run it
        env.update(extra_env)
        self.proc = subprocess.Popen(
            [python, '-m', 'benchmarks.worker', '--side', side, '--workload', workload,
             '--threads', str(threads), *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            text=True, env=env, cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        self.ready = self._read()

    def _read(self) -> dict:
        while True:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError(f'benchmark worker exited with {self.proc.wait()}')
            if line.startswith('{'):
                return json.loads(line)

    def step(self) -> float:
        self.proc.stdin.write('step\n')
        self.proc.stdin.flush()
        return self._read()['ms']

    def close(self) -> dict:
        self.proc.stdin.write('quit\n')
        self.proc.stdin.flush()
        done = self._read()
        self.proc.wait()
        return done


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--workloads', default=','.join(WORKLOADS))
    ap.add_argument('--iters', type=int, default=10)
    ap.add_argument('--warmup', type=int, default=3)
    ap.add_argument('--threads', type=int, default=2, help='PyTorch intra-op threads')
    ap.add_argument('--peers_python', default=os.environ.get('PEERS_PYTHON',
                                                             '/tmp/peers-venv/bin/python'))
    ap.add_argument('--allocator', choices=('system', 'jemalloc'), default='system',
                    help='malloc of both sides; jemalloc: retaining jemalloc via LD_PRELOAD')
    ap.add_argument('--markdown', action='store_true')
    ap.add_argument('--out', default=None,
                    help='JSON file for the rows (default runs/vs_torch/vs_torch_<allocator>.json)')
    args = ap.parse_args()
    extra_env = allocator.required_jemalloc_env() if args.allocator == 'jemalloc' else {}
    machine = f'{cpu_name()}, {os.cpu_count()} cores'
    rows = []
    for name in args.workloads.split(','):
        if name not in WORKLOADS:
            raise SystemExit(f'unknown workload {name!r}; expected one of {sorted(WORKLOADS)}')
        ours = Worker(sys.executable, 'jax', name, args.threads, extra_env)
        peer = Worker(args.peers_python, 'torch', name, args.threads, extra_env)
        for _ in range(args.warmup):
            ours.step(), peer.step()
        times = {'ours': [], 'peer': []}
        for _ in range(args.iters):
            times['ours'].append(ours.step())
            times['peer'].append(peer.step())
        done = {'ours': ours.close(), 'peer': peer.close()}
        med = {k: statistics.median(v) for k, v in times.items()}
        gmac = ours.ready['macs'] / 1e9

        def rate(ms: float) -> float:
            return round(gmac / ms * 1e3, 1)
        row = {'bench': 'vs_torch', 'workload': name, 'what': WORKLOADS[name],
               'ours_ms': round(med['ours'], 1), 'peer_ms': round(med['peer'], 1),
               'ratio': round(med['ours'] / med['peer'], 3),
               'ours_spread_ms': [round(min(times['ours']), 1), round(max(times['ours']), 1)],
               'peer_spread_ms': [round(min(times['peer']), 1), round(max(times['peer']), 1)],
               'ours_first_step_s': ours.ready['first_step_s'],
               'peer_first_step_s': peer.ready['first_step_s'],
               'gmac_per_step': round(gmac, 2), 'ours_gmac_per_s': rate(med['ours']),
               'peer_gmac_per_s': rate(med['peer']),
               'ours_peak_rss_mb': done['ours']['peak_rss_mb'],
               'peer_peak_rss_mb': done['peer']['peak_rss_mb'],
               'ours': ours.ready['version'], 'peer': peer.ready['version'],
               'allocator': args.allocator, 'iters': args.iters, 'warmup': args.warmup,
               'machine': machine}
        rows.append(row)
        print(json.dumps(row), flush=True)
    write_result(args.out or f'runs/vs_torch/vs_torch_{args.allocator}.json',
                 {'rows': rows, 'threads': args.threads})
    if args.markdown:
        print('| workload | ours (ms) | PyTorch (ms) | ratio | GMAC per step | GMAC/s ours / peer '
              '| first step ours / peer (s) | peak RSS ours / peer (MB) |')
        print('|---|---|---|---|---|---|---|---|')
        for r in rows:
            print(f"| {r['what']} | {r['ours_ms']} | {r['peer_ms']} | {r['ratio']:.2f} "
                  f"| {r['gmac_per_step']} | {r['ours_gmac_per_s']} / "
                  f"{r['peer_gmac_per_s'] or '-'} "
                  f"| {r['ours_first_step_s']} / {r['peer_first_step_s']} "
                  f"| {r['ours_peak_rss_mb']} / {r['peer_peak_rss_mb']} |")
        print(f'\nmachine: {machine}; {rows[0]["ours"]} vs {rows[0]["peer"]} '
              f'({args.threads} threads); {args.allocator} malloc on both sides; medians of '
              f'{args.iters} interleaved steps after {args.warmup} warm-up steps each')


if __name__ == '__main__':
    main()
