"""The package tree is the architecture: imports run one way, at module top, with no cycle; the
projects wing sits on top, and the library below knows no study."""
import ast
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[1]
# Each layer may import itself and the layers before it, never a later one.
LAYERS = (('ghostjax.ops',), ('ghostjax.nn',), ('ghostjax.models',),
          ('ghostjax.data', 'ghostjax.metrics', 'ghostjax.optim'), ('ghostjax.training',),
          ('ghostjax.compression', 'ghostjax.applications'))
FREE = ('ghostjax.runtime',)  # depends on no other ghostjax package


def _modules(package='ghostjax'):
    for path in sorted((ROOT / package).rglob('*.py')):
        parts = path.relative_to(ROOT).with_suffix('').parts
        yield '.'.join(parts[:-1] if parts[-1] == '__init__' else parts), path


def _imports(path, prefixes=('ghostjax',)):
    """(module imported, names, line, at module top) for every import of ``prefixes`` in
    ``path``."""
    tree = ast.parse(path.read_text())
    top = {id(n) for n in tree.body}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(prefixes):
            names = [f'{node.module}.{a.name}' for a in node.names]
            yield node.module, names, node.lineno, id(node) in top
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith(prefixes):
                    yield a.name, [a.name], node.lineno, id(node) in top


def _layer(module):
    for i, group in enumerate(LAYERS):
        if any(module == p or module.startswith(p + '.') for p in group):
            return i
    return None


def _graph():
    known = dict(_modules())
    edges = {}
    for module, path in known.items():
        targets = set()
        for target, names, _, _ in _imports(path):
            # `from ghostjax.x import y` depends on ghostjax.x.y when that is a module
            targets.update(n for n in names if n in known)
            if not any(n in known for n in names):
                targets.add(target)
        edges[module] = targets - {module}
    return edges


def test_every_ghostjax_import_is_at_module_top():
    late = [f'{path.relative_to(ROOT)}:{line} imports {target}'
            for _, path in _modules() for target, _, line, top in _imports(path) if not top]
    assert not late, late


def test_imports_run_one_way_between_layers():
    wrong = []
    for module, targets in _graph().items():
        if module == 'ghostjax' or module.startswith(FREE):
            if module.startswith(FREE):
                wrong += [f'{module} -> {t}' for t in targets if not t.startswith(FREE)]
            continue
        src = _layer(module)
        assert src is not None, f'{module} belongs to no layer of {LAYERS}'
        wrong += [f'{module} (layer {src}) -> {t} (layer {_layer(t)})' for t in targets
                  if _layer(t) is not None and _layer(t) > src]
    assert not wrong, wrong


def test_no_import_cycle():
    edges = _graph()
    state, cycles = {}, []

    def visit(node, stack):
        state[node] = 'open'
        for nxt in sorted(edges.get(node, ())):
            if nxt not in edges:
                continue
            if state.get(nxt) == 'open':
                cycles.append(' -> '.join(stack[stack.index(nxt):] + [nxt]))
            elif nxt not in state:
                visit(nxt, stack + [nxt])
        state[node] = 'done'

    for node in sorted(edges):
        if node not in state:
            visit(node, [node])
    # a package __init__ importing its own children is not a cycle unless a child imports it
    real = [c for c in cycles if not all(
        b.startswith(a + '.') or a.startswith(b + '.') for a, b in zip(c.split(' -> '),
                                                                         c.split(' -> ')[1:]))]
    assert not real, real


OUTSIDE = ('projects', 'train', 'benchmarks', 'configs', 'tests')


def test_the_library_imports_no_project_entry_point_or_benchmark():
    wrong = [f'{path.relative_to(ROOT)}:{line} imports {target}' for _, path in _modules()
             for target, _, line, _ in _imports(path, OUTSIDE)]
    assert not wrong, wrong


def test_a_project_imports_the_library_configs_entry_helpers_itself_and_common_only():
    wrong, late = [], []
    for module, path in _modules('projects'):
        own = '.'.join(module.split('.')[:2])
        for target, _, line, top in _imports(path, OUTSIDE):
            if not top:
                late.append(f'{path.relative_to(ROOT)}:{line} imports {target}')
            if not target.startswith((own, 'projects.common', 'configs', 'train')):
                wrong.append(f'{path.relative_to(ROOT)}:{line} imports {target}')
        late += [f'{path.relative_to(ROOT)}:{line} imports {t}'
                 for t, _, line, top in _imports(path) if not top]
    assert not wrong, wrong
    assert not late, late


# Words that name a study (its runs, its data, its applications); DiffAugment and the scenes
# dataset are library features, not studies.
STUDY_WORDS = re.compile(r'\b(stud(y|ies)|anomal\w*|synthetic|projects?)\b', re.I)


def test_no_study_is_named_in_the_training_package():
    named = [f'{path.relative_to(ROOT)}:{i}: {line.strip()}'
             for path in sorted((ROOT / 'ghostjax' / 'training').rglob('*.py'))
             for i, line in enumerate(path.read_text().splitlines(), 1)
             if STUDY_WORDS.search(line)]
    assert not named, named


def test_no_pmap_in_configs_or_code():
    """jit(shard_map) is the one data-parallel path; docs/design.md says why pmap is gone."""
    found = [f'{path.relative_to(ROOT)}:{i}' for d in ('ghostjax', 'configs', 'train',
                                                         'projects', 'benchmarks', 'tests')
             for path in sorted((ROOT / d).rglob('*.py')) if path.name != 'test_architecture.py'
             for i, line in enumerate(path.read_text().splitlines(), 1) if 'pmap' in line]
    found += [f'{path.relative_to(ROOT)}' for path in sorted((ROOT / 'notebooks').glob('*'))
              if 'pmap' in path.read_text()]
    assert not found, found
