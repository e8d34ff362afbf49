"""Every results table in README.md and docs/ is the rendering of its results/*.json."""
from benchmarks import report


def test_tables_match_their_result_files():
    for name in report.DOCS:
        path = report.ROOT / name
        text = path.read_text()
        assert report.BLOCK.search(text), f'{name} has no results table'
        assert report.render(text) == text, f'{name}: run python -m benchmarks.report'
