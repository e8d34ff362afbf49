"""What every study shares: the resumable loop over its runs (``runs``) and the helpers its
report tables are built from (``tables``)."""
