"""Every dotted ``ghostjax.…`` path that the README, docs, project READMEs and the code's own
text name resolves to a module or an attribute (a renamed module fails here, not in a reader's
hands). CHANGELOG.md is history and keeps the old names; the two tests about import paths
name made-up ones."""
import importlib
import re

import pytest

from tests.helpers import ROOT

PATH = re.compile(r'(?<![\w/.])ghostjax(?:\.[A-Za-z_]\w*)+')
SOURCES = [*ROOT.glob('*.md'), *ROOT.glob('docs/*.md'), *ROOT.glob('projects/**/*.md'),
           *(p for d in ('ghostjax', 'projects', 'train', 'benchmarks', 'configs', 'tests')
             for p in (ROOT / d).rglob('*.py'))]


SKIP = ('CHANGELOG.md', 'test_dotted_paths.py', 'test_architecture.py')


def resolves(dotted: str) -> bool:
    parts = dotted.split('.')
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module('.'.join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for name in parts[cut:]:
            if not hasattr(obj, name):
                return False
            obj = getattr(obj, name)
        return True
    return False


def _named():
    found = {}
    for path in SOURCES:
        if path.name in SKIP:
            continue
        for m in PATH.finditer(path.read_text()):
            found.setdefault(m[0].rstrip('.'), path.relative_to(ROOT).as_posix())
    return found


def test_the_scan_finds_paths_and_would_catch_a_wrong_one():
    assert len(_named()) > 20
    assert resolves('ghostjax.training.parallel.compile_step')
    assert not resolves('ghostjax.training.state.compile_step')
    assert not resolves('ghostjax.channel_pruning')


@pytest.mark.parametrize('dotted,where', sorted(_named().items()))
def test_every_named_path_resolves(dotted, where):
    assert resolves(dotted), f'{where} names {dotted}, which does not exist'
