"""Markdown tables rendered from result files, for the console and the docs."""


def compress_table(rows: list[dict], metric: str) -> str:
    """The markdown table of a ``compress.json``'s ``rows`` (``metric``: accuracy or fid)."""
    if metric == 'accuracy':
        head = ['variant', 'validation accuracy', 'test accuracy', 'change (test)']
        cells = lambda r: [f"{100 * r['validation_accuracy']:.2f}%"
                           + (' (chosen)' if r.get('chosen_on_validation') else ''),
                           f"{100 * r['accuracy']:.2f}%", f"{100 * r['delta']:+.2f} pt"]
    else:
        head = ['variant', 'FID', 'change', 'KID', 'IS', 'precision', 'recall']
        cells = lambda r: [f"{r['fid']:.2f}", f"{100 * r['fid_change']:+.1f}%", f"{r['kid']:.4f}",
                           f"{r['is']:.2f}", f"{r['precision']:.2f}", f"{r['recall']:.2f}"]
    head += ['params', 'MACs', 'sparsity', 'float32 KB', 'sparse KB', 'int8 KB']
    lines = ['| ' + ' | '.join(head) + ' |', '|' + '---|' * len(head)]
    for r in rows:
        kb = lambda k: f'{r[k] / 1024:,.0f}' if k in r else '—'
        lines.append('| ' + ' | '.join([r['variant'], *cells(r), f"{r['params']:,}",
                                        f"{r['macs'] / 1e6:.2f}M", f"{r['sparsity']:.0%}",
                                        kb('float32_bytes'), kb('sparse_bytes'),
                                        kb('int8_bytes')]) + ' |')
    return '\n'.join(lines) + '\n'
