"""The engine layer: runs ensembles and parameter points in chunks, reduces them to summaries,
estimates their size, reports progress."""
