"""notebooks/quickstart.ipynb: paired with its py:percent source, and it runs end to end."""
import jupytext
import nbformat
from nbclient import NotebookClient

from tests.helpers import ROOT, needs_fmnist

NOTEBOOK = ROOT / 'notebooks' / 'quickstart.ipynb'


def test_notebook_matches_its_percent_script():
    ipynb = nbformat.read(NOTEBOOK, as_version=4)
    script = jupytext.read(ROOT / 'notebooks' / 'quickstart.py')
    cells = lambda nb: [(c.cell_type, c.source.strip()) for c in nb.cells]
    assert cells(ipynb) == cells(script), ('notebooks/quickstart.ipynb differs from '
                                           'quickstart.py: jupytext --sync notebooks/quickstart.py')


@needs_fmnist
def test_notebook_runs_end_to_end_with_small_settings(tmp_path, monkeypatch):
    for key, value in (('GAN_STEPS', '20'), ('SAMPLES', '500'),
                       ('WORKDIR', str(tmp_path))):
        monkeypatch.setenv(f'GHOSTJAX_NB_{key}', value)
    monkeypatch.setenv('XLA_FLAGS', '')  # the kernel runs as a user's would: one CPU device
    nb = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(nb, timeout=900, kernel_name='python3',
                   resources={'metadata': {'path': str(ROOT)}}).execute()
    outputs = '\n'.join(o.get('text', '') for c in nb.cells if c.cell_type == 'code'
                        for o in c.get('outputs', []))
    assert "'params': 5182508" in outputs and 'fid' in outputs and 'int8:' in outputs
    assert 'classes the extractor sees in 16 samples:' in outputs
    assert any('image/png' in o.get('data', {}) for c in nb.cells if c.cell_type == 'code'
               for o in c.get('outputs', []))
    assert (tmp_path / 'gan' / 'samples' / 'latest.png').exists()
