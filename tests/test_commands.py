"""Every command the README, docs, project READMEs and config docstrings tell a user to run
names an entry point that exists and a config file that exists. A table's ``Recorded:`` line is
provenance (what ran, as its record has it) and is not read; CHANGELOG.md is history."""
import importlib.util
import re

from tests.helpers import ROOT

COMMAND = re.compile(r'python -m ([\w.]+)((?:[ \t]+(?:\\\n\s*)?[^\s`|;&]+)*)')
CONFIG = re.compile(r'--config[ =](\S+?\.py)\b')
SOURCES = [*ROOT.glob('*.md'), *ROOT.glob('docs/*.md'), *ROOT.glob('notebooks/*.py'),
           *ROOT.glob('projects/**/*.md'),
           *ROOT.glob('configs/*.py'), *ROOT.glob('projects/*/configs/*.py'),
           *ROOT.glob('projects/**/*.py'), *ROOT.glob('train/*.py'), *ROOT.glob('benchmarks/*.py'),
           ROOT / 'Makefile']
SKIP = ('CHANGELOG.md',)


def commands() -> list[tuple[str, str, str]]:
    """(where, module, arguments) of every documented ``python -m`` command."""
    found = []
    for path in SOURCES:
        if path.name in SKIP:
            continue
        text = '\n'.join(line for line in path.read_text().splitlines()
                         if not line.startswith('Recorded'))
        for m in COMMAND.finditer(text):
            if m[1].strip('.'):  # 'python -m ...': a placeholder
                found.append((path.relative_to(ROOT).as_posix(), m[1].rstrip('.'), m[2]))
    return found


def exists(module: str) -> bool:
    local = ROOT / module.replace('.', '/')
    if local.with_suffix('.py').exists() or (local / '__main__.py').exists():
        return True
    return module.split('.')[0] not in ('ghostjax', 'train', 'projects', 'benchmarks') and \
        importlib.util.find_spec(module) is not None


def test_the_scan_reads_commands_and_their_configs():
    found = commands()
    modules = {m for _, m, _ in found}
    assert {'train.gan', 'train.classifier', 'projects.ghostgan.main', 'benchmarks.report'} <= modules
    configs = {c for _, _, args in found for c in CONFIG.findall(args)}
    assert 'projects/ghostgan/configs/study.py' in configs
    assert not exists('train.gan_study') and exists('train.gan') and exists('pytest')


def test_every_documented_entry_point_exists():
    missing = sorted({(where, module) for where, module, _ in commands() if not exists(module)})
    assert not missing, missing


def test_every_documented_config_file_exists():
    missing = sorted({(where, path) for where, _, args in commands()
                      for path in CONFIG.findall(args)
                      if '$' not in path and not (ROOT / path).exists()})  # $: a shell loop
    assert not missing, missing


def test_no_documented_command_passes_a_removed_flag():
    removed = ('--results', '--config.results_dir')
    stale = sorted({(where, module, flag) for where, module, args in commands()
                    for flag in removed if flag in args})
    assert not stale, stale


def test_the_readme_stays_under_15_kib():
    assert (ROOT / 'README.md').stat().st_size <= 15 * 1024


def test_no_command_writes_into_results_by_default():
    """Commands write under runs/ (their workdir); only benchmarks.publish writes results/."""
    writes = re.compile(r"""(?:default=|write_result\(|open\()f?['"]results/""")
    offenders = sorted(p.relative_to(ROOT).as_posix()
                       for p in [*ROOT.glob('benchmarks/*.py'), *ROOT.glob('train/*.py'),
                                 *ROOT.glob('projects/**/*.py'), *ROOT.glob('ghostjax/**/*.py')]
                       if writes.search(p.read_text()))
    assert not offenders, offenders
