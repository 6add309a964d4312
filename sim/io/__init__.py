"""Files: run folders written atomically (CSV or Parquet), the journalled folder replacement,
output-path checks."""
