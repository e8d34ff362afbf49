"""Publishing a measured run into results/: records only, never outside results/, never over a
shipped result unless asked."""
import json

import pytest

from benchmarks import publish


def _record(path, **extra):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({'command': 'python -m train.gan', 'date': 'd', 'machine': 'm',
                                'commit': 'c', 'result': {'fid': 1.0}, **extra}))
    return path


def test_a_record_and_a_study_folder_are_copied_into_results(tmp_path, monkeypatch):
    monkeypatch.setattr(publish, 'ROOT', tmp_path)
    run = _record(tmp_path / 'runs' / 'gan' / 'result.json')
    [to] = publish.publish(str(run), str(tmp_path / 'results' / 'make_run_gan.json'))
    assert json.loads(to.read_text())['result'] == {'fid': 1.0}
    study = tmp_path / 'runs' / 'study' / 'results'
    _record(study / 'a_s0.json'), _record(study / 'a_s1.json')
    copied = publish.publish(str(study), str(tmp_path / 'results' / 'study'))
    assert sorted(p.name for p in copied) == ['a_s0.json', 'a_s1.json']


def test_refuses_overwrites_non_records_and_targets_outside_results(tmp_path, monkeypatch):
    monkeypatch.setattr(publish, 'ROOT', tmp_path)
    run = _record(tmp_path / 'runs' / 'result.json')
    target = _record(tmp_path / 'results' / 'shipped.json', result={'fid': 2.0})
    with pytest.raises(FileExistsError, match='pass --replace'):
        publish.publish(str(run), str(target))
    assert json.loads(target.read_text())['result'] == {'fid': 2.0}
    publish.publish(str(run), str(target), replace=True)
    assert json.loads(target.read_text())['result'] == {'fid': 1.0}
    bare = tmp_path / 'runs' / 'eval.json'
    bare.write_text(json.dumps({'accuracy': 0.9}))
    with pytest.raises(ValueError, match=r"lacks \['command', 'date', 'machine', 'result'\]"):
        publish.publish(str(bare), str(tmp_path / 'results' / 'eval.json'))
    with pytest.raises(ValueError, match='outside .*publish into results/'):
        publish.publish(str(run), str(tmp_path / 'docs' / 'x.json'))
    with pytest.raises(FileNotFoundError, match='does not exist'):
        publish.publish(str(tmp_path / 'nope.json'), str(tmp_path / 'results' / 'x.json'))
