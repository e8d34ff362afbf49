"""Every config file builds its ConfigDict, and every config file it names exists."""
import pathlib
import runpy

import ml_collections
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
CONFIGS = sorted(p for p in [*(ROOT / 'configs').glob('*.py'), *ROOT.glob('projects/*/configs/*.py')]
                 if p.name != '__init__.py')


def _strings(node):
    if isinstance(node, (dict, ml_collections.ConfigDict)):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, (tuple, list)):
        for value in node:
            yield from _strings(value)
    elif isinstance(node, str):
        yield node


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_config_builds_and_names_existing_config_files(path, monkeypatch):
    monkeypatch.chdir(ROOT)
    config = runpy.run_path(str(path))['get_config']()
    assert isinstance(config, ml_collections.ConfigDict)
    named = [s for s in _strings(config.to_dict()) if s.startswith(('configs/', 'projects/')) and
             s.endswith('.py')]
    assert all((ROOT / s).exists() for s in named), named
