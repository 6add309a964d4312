"""The scenario layer: the input language (YAML files, conditions, outcome expressions, months) and
the catalogues it is checked against (levers, parameters, institutions, source documents). Imports
nothing above it."""
