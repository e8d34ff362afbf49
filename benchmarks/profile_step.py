"""Where one step's time goes: per-op self time of a ``benchmarks.jax_workloads`` step, from
XLA's own per-thunk trace (``jax.profiler``), grouped by what each op does and by model.

  python -m benchmarks.profile_step [--workloads ghost_g_ghost_d,ghost_g_dcgan28_d,dcgan28]
      [--steps 10] [--out runs/profile/profile_step.json]

Each top-level op of the compiled step (a fusion, a convolution, a custom call) is one thunk,
and the trace holds one event per thunk run. An op's kind comes from the optimized HLO: a
fusion that holds a convolution is a convolution (depthwise when ``feature_group_count`` or
``batch_group_count`` is above 1, as in a depthwise kernel gradient), one that holds a dot a
matmul, and so on; its model (G or D) and direction (forward or backward) come from the
``op_name`` JAX writes into the HLO metadata. Run it alone on the machine: it times.
"""
from __future__ import annotations

import argparse
import collections
import glob
import gzip
import json
import os
import re
import tempfile
import time

import jax

from benchmarks.jax_workloads import WORKLOADS
from ghostjax.runtime.provenance import cpu_name, write_result

INSTRUCTION = re.compile(r'^\s*(?:ROOT )?%([\w.\-]+) = \S+(?: \S+)*? ([a-z][\w\-]*)\(')
COMPUTATION = re.compile(r'^(?:ENTRY )?%([\w.\-]+) .*\{$')
CALLS = re.compile(r'(?:calls|to_apply|body|condition)=%([\w.\-]+)')
OP_NAME = re.compile(r'op_name="([^"]*)"')
GROUPS = re.compile(r'(?:feature|batch)_group_count=(\d+)')
KINDS = ('depthwise conv', 'conv', 'matmul', 'reduction', 'pooling', 'gather/scatter',
         'random bits', 'concat/slice', 'layout (transpose/copy)', 'elementwise', 'other')


def parse_hlo(text: str) -> dict[str, dict]:
    """``{computation: {instruction: (opcode, line)}}`` of an optimized HLO module's text."""
    comps, current = {}, None
    for line in text.splitlines():
        m = COMPUTATION.match(line)
        if m:
            current = comps.setdefault(m[1], {})
            continue
        m = INSTRUCTION.match(line)
        if m and current is not None:
            current[m[1]] = (m[2], line)
    return comps


def _lines(comps: dict, comp: str, seen: set) -> list[tuple[str, str]]:
    """Every (opcode, line) of ``comp`` and of the computations it calls."""
    if comp in seen or comp not in comps:
        return []
    seen.add(comp)
    out = []
    for opcode, line in comps[comp].values():
        out.append((opcode, line))
        for callee in CALLS.findall(line):
            out += _lines(comps, callee, seen)
    return out


def classify(comps: dict, opcode: str, line: str) -> str:
    """The kind of one top-level op (one of ``KINDS``) from what it computes; the fast
    depthwise form (``ops.depthwise.depthwise_conv_shifted``: slices and reductions) by the
    jitted function its ops came from."""
    body = [(opcode, line)] + [x for c in CALLS.findall(line) for x in _lines(comps, c, set())]
    ops = {o for o, _ in body}
    if any('depthwise_conv_shifted' in n for _, ln in body for n in OP_NAME.findall(ln)):
        return 'depthwise conv'
    if 'convolution' in ops:
        groups = [int(g) for o, ln in body if o == 'convolution' for g in GROUPS.findall(ln)]
        return 'depthwise conv' if any(g > 1 for g in groups) else 'conv'
    if ops & {'dot', 'custom-call'} and any('dot' in o or '__onednn$matmul' in ln
                                            for o, ln in body):
        return 'matmul'
    for kind, names in (('pooling', {'reduce-window', 'select-and-scatter'}),
                        ('gather/scatter', {'gather', 'scatter', 'dynamic-slice',
                                            'dynamic-update-slice'}),
                        ('random bits', {'rng-bit-generator', 'rng'}),
                        ('reduction', {'reduce'}),
                        ('concat/slice', {'concatenate', 'slice', 'pad'})):
        if ops & names:
            return kind
    if ops <= {'transpose', 'copy', 'bitcast', 'parameter', 'reshape', 'broadcast', 'constant',
               'tuple', 'get-tuple-element'}:
        return 'layout (transpose/copy)'
    if opcode in ('fusion', 'add', 'multiply', 'subtract', 'divide', 'maximum', 'select',
                  'exponential', 'log', 'tanh', 'rsqrt', 'sqrt', 'compare', 'negate', 'abs'):
        return 'elementwise'
    return 'other'


def _where(comps: dict, line: str) -> tuple[str, str, str]:
    """(model, direction, a short op name) from the JAX ``op_name`` metadata of an op."""
    names = OP_NAME.findall(line) + [n for c in CALLS.findall(line)
                                     for _, ln in _lines(comps, c, set())
                                     for n in OP_NAME.findall(ln)]
    name = max(names, key=len) if names else ''
    model = ('D' if 'Discriminator' in name else 'G' if 'Generator' in name else 'other')
    direction = 'backward' if 'transpose(' in name else 'forward'
    short = re.sub(r'jit\([^)]*\)/|jvp\(|transpose\(|\)', '', name)
    return model, direction, short[-90:]


def self_times(events: list[dict], names: set[str]) -> dict[str, float]:
    """Summed self time (us) per thunk name: an event's duration less that of the events it
    encloses on the same thread (a while loop's body thunks are not counted twice)."""
    by_thread = collections.defaultdict(list)
    for e in events:
        if e.get('ph') == 'X' and e.get('name') in names:
            by_thread[(e.get('pid'), e.get('tid'))].append((float(e['ts']), float(e['dur']),
                                                            e['name']))
    total = collections.Counter()
    for spans in by_thread.values():
        spans.sort(key=lambda s: (s[0], -s[1]))
        stack: list[list] = []  # [end, name, child time]
        for ts, dur, name in spans:
            while stack and stack[-1][0] <= ts:
                end, n, child = stack.pop()
                total[n] -= child
            if stack:
                stack[-1][2] += dur
            total[name] += dur
            stack.append([ts + dur, name, 0.0])
        for _, n, child in stack:
            total[n] -= child
    return dict(total)


def profile(name: str, steps: int, warmup: int) -> dict:
    """Per-op self time of ``steps`` runs of workload ``name`` (after ``warmup`` runs)."""
    run = WORKLOADS[name]()
    comps = parse_hlo(run.compiled_text())
    entry = {n: v for c in comps.values() for n, v in c.items()}
    for _ in range(warmup):
        run()
    t0 = time.perf_counter()
    for _ in range(steps):
        run()
    untraced_ms = (time.perf_counter() - t0) / steps * 1e3
    with tempfile.TemporaryDirectory() as trace_dir:
        jax.profiler.start_trace(trace_dir, create_perfetto_trace=True)
        for _ in range(steps):
            run()
        jax.profiler.stop_trace()
        path, = glob.glob(os.path.join(trace_dir, '**', 'perfetto_trace.json.gz'), recursive=True)
        with gzip.open(path) as f:
            trace = json.load(f)
    events = trace['traceEvents'] if isinstance(trace, dict) else trace
    times = self_times(events, set(entry))
    ops = []
    for op, us in times.items():
        opcode, line = entry[op]
        model, direction, short = _where(comps, line)
        ops.append({'op': op, 'kind': classify(comps, opcode, line), 'model': model,
                    'direction': direction, 'ms': us / steps / 1e3, 'op_name': short})
    ops.sort(key=lambda o: -o['ms'])
    op_ms = sum(o['ms'] for o in ops)

    def share(key: str) -> dict[str, dict]:
        groups = collections.defaultdict(float)
        for o in ops:
            groups[o[key]] += o['ms']
        return {k: {'ms': round(v, 2), 'share': round(v / op_ms, 4)}
                for k, v in sorted(groups.items(), key=lambda kv: -kv[1])}
    return {'workload': name, 'steps': steps, 'warmup': warmup,
            'untraced_ms': round(untraced_ms, 1), 'op_ms': round(op_ms, 1), 'num_ops': len(ops),
            'by_kind': share('kind'), 'by_model': share('model'),
            'by_direction': share('direction'),
            'top': [{**o, 'ms': round(o['ms'], 2), 'share': round(o['ms'] / op_ms, 4)}
                    for o in ops[:15]]}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--workloads', default='ghost_g_ghost_d,ghost_g_dcgan28_d,dcgan28')
    ap.add_argument('--steps', type=int, default=10)
    ap.add_argument('--warmup', type=int, default=3)
    ap.add_argument('--out', default='runs/profile/profile_step.json')
    args = ap.parse_args()
    rows = []
    for name in args.workloads.split(','):
        if name not in WORKLOADS:
            raise SystemExit(f'unknown workload {name!r}; expected one of {sorted(WORKLOADS)}')
        rows.append(profile(name, args.steps, args.warmup))
        r = rows[-1]
        print(f"{name}: {r['untraced_ms']} ms/step untraced, {r['op_ms']} ms in {r['num_ops']} "
              f"ops; " + ', '.join(f"{k} {100 * v['share']:.0f}%"
                                    for k, v in list(r['by_kind'].items())[:5]), flush=True)
    write_result(args.out, {'rows': rows, 'machine': f'{cpu_name()}, {os.cpu_count()} cores'})
    print(f'wrote {args.out}')


if __name__ == '__main__':
    main()
