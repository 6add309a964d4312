"""Analyses, one module per method: compare, explain, sensitivity, sweep, calibration, lever
response, questions, regression checks, the history handover."""
