"""benchmarks.compare: re-measured records beside the shipped ones, by file name."""
import json

from benchmarks import compare


def _record(path, result, machine='m', commit=None):
    record = {'command': 'c', 'date': 'd', 'machine': machine, 'jax': '0', 'result': result}
    if commit:
        record['commit'] = commit
    path.write_text(json.dumps(record))


def test_pairs_by_name_and_shows_each_number_with_its_difference(tmp_path):
    (tmp_path / 'shipped').mkdir()
    (tmp_path / 'runs').mkdir()
    _record(tmp_path / 'shipped' / 'a.json', {'fid': 10.0, 'final': {'recall': 0.5},
                                              'train_wall_s': 100.0, 'name': 'x'})
    _record(tmp_path / 'runs' / 'a.json', {'fid': 11.0, 'final': {'recall': 0.5},
                                           'train_wall_s': 50.0}, 'n', 'abcdef0123+dirty')
    _record(tmp_path / 'runs' / 'unpublished.json', {'fid': 1.0})
    lines = compare.compare(tmp_path / 'runs', tmp_path / 'shipped')
    assert lines[0] == 'a.json' and len([x for x in lines if x.endswith('.json')]) == 1
    assert 'commit abcdef0+dirty' in lines[2] and 'commit not recorded' in lines[1]
    fid = next(x for x in lines if x.strip().startswith('fid'))
    assert fid.split()[1:] == ['10', '11', '+1', '(+10.00%)']
    assert next(x for x in lines if 'final.recall' in x).endswith('equal')
    assert not any('train_wall_s' in x for x in lines)  # a timing, unless asked for
    asked = compare.compare(tmp_path / 'runs', tmp_path / 'shipped', keys=('train_wall_s',))
    assert [x.split()[0] for x in asked[3:]] == ['train_wall_s']


def test_nothing_to_compare_says_so(tmp_path):
    (tmp_path / 'a').mkdir()
    (tmp_path / 'b').mkdir()
    assert compare.compare(tmp_path / 'a', tmp_path / 'b')[0].startswith('no record of')
