"""The package tree is the architecture: imports run one way, at module top, with no cycle."""
import ast
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[1]
# Each layer may import itself and the layers before it, never a later one.
LAYERS = (('ghostjax.ops',), ('ghostjax.nn',), ('ghostjax.models',),
          ('ghostjax.data', 'ghostjax.metrics', 'ghostjax.optim'), ('ghostjax.training',),
          ('ghostjax.compression', 'ghostjax.applications'))
FREE = ('ghostjax.runtime',)  # depends on no other ghostjax package


def _modules():
    for path in sorted((ROOT / 'ghostjax').rglob('*.py')):
        parts = path.relative_to(ROOT).with_suffix('').parts
        yield '.'.join(parts[:-1] if parts[-1] == '__init__' else parts), path


def _imports(path):
    """(module imported, line, at module top) for every ghostjax import in ``path``."""
    tree = ast.parse(path.read_text())
    top = {id(n) for n in tree.body}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith('ghostjax'):
            names = [f'{node.module}.{a.name}' for a in node.names]
            yield node.module, names, node.lineno, id(node) in top
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith('ghostjax'):
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
