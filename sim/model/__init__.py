"""The model layer: the Mesa pair (model.py, agents.py) over pure dynamics (dynamics.py), with
parameters, random streams and the recorded trajectories. Depends only on the scenario layer."""
