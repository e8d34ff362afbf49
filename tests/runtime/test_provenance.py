"""A result record names the code a run started from, not where the checkout is at its end."""
from ghostjax.runtime import provenance


def test_a_pinned_commit_outlives_a_later_checkout(monkeypatch):
    commits = iter(['a' * 40, 'b' * 40])
    monkeypatch.setattr(provenance, 'git_commit', lambda directory=None: next(commits))
    monkeypatch.setattr(provenance, '_PINNED', {})
    assert provenance.pin_commit() == 'a' * 40
    assert provenance.pin_commit() == 'a' * 40  # pinned once
    assert provenance.provenance('cmd')['commit'] == 'a' * 40


def test_without_a_pin_the_record_names_the_checkout_now(monkeypatch):
    monkeypatch.setattr(provenance, 'git_commit', lambda directory=None: 'c' * 40 + '+dirty')
    monkeypatch.setattr(provenance, '_PINNED', {})
    record = provenance.provenance('python -m x', config={'a': 1})
    assert record['commit'] == 'c' * 40 + '+dirty'
    assert record['command'] == 'python -m x'
    assert record['config_sha256'] == provenance.config_hash({'a': 1})
