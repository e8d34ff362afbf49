"""Studies built on ghostjax, one folder each (scenic's ``projects/``): its configs, its runner
(``main.py``), its report (the tables and figures it owns) and a README with the command and
the results. The library under ``ghostjax/`` knows no study."""
