"""One module per ``sim`` command, holding all of it: ``HELP`` (its line in ``sim --help``),
``add_arguments(parser)``, ``command(args) -> exit code`` and the work behind it. ``JSON_OUTPUT = True``
gives a command the shared ``--json`` flag (added, like ``-q``/``-v``, by ``sim.cli.dispatch``).

Building the parser imports every module here, so ``sim --help`` pays for their top-level imports:
at the top they import only the standard library, ``sim.cli``, ``sim.errors``, ``sim.interrupts`` and
the light ``sim.engine`` modules (executors, progress). The scenario layer (YAML), the engine, analysis,
io and report layers (the numba-compiled model, matplotlib, SALib) are imported inside the functions
that use them, each marked ``# deferred:``.
"""

from sim.cli.commands import (
    backtest,
    calibrate,
    compare,
    dashboard,
    discover,
    explain,
    levers,
    optimize,
    parameters,
    regress,
    run,
    scenarios,
    schema,
    sensitivity,
    sweep,
    validate,
)

# in the order sim --help lists them
COMMANDS = {module.__name__.rpartition(".")[2]: module for module in (
    run, validate, scenarios, levers, parameters, schema, compare, regress, sweep, sensitivity, calibrate,
    backtest, optimize, discover, explain, dashboard)}
