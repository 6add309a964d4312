"""``sim run``: run a scenario and write its run folder."""

from __future__ import annotations

import argparse
import sys

from sim.cli.common import EXIT_BAD_INPUT, EXIT_OK, check_output, check_work, json_document

LEGEND = ("Scale: an influence is a share of one state's whole, 0 to 1 (what the six actors do not hold is "
          "'outside': the rest of the world); an attitude runs from -1 (hostile) to +1 (warm). Medians of the "
          "ensemble; the run folder has every series with its 5-95% band.")


def command(args: argparse.Namespace) -> int:
    from sim.scenario.loader import load_scenario

    scenario = load_scenario(args.scenario, args.overrides)
    if not (args.quiet or args.json):
        for warning in scenario.warnings:  # located; the run goes on (e.g. a date after the run's end)
            print(warning, file=sys.stderr)
    if args.file_format == "parquet":
        import importlib.util

        if importlib.util.find_spec("pyarrow") is None:
            print("--format parquet needs pyarrow: pip install 'sahel-sim[parquet]'", file=sys.stderr)
            return EXIT_BAD_INPUT
    cap = _trajectory_cap(args.trajectories)
    if cap is False:
        print(f"--trajectories: {args.trajectories!r} is not a number or 'all'", file=sys.stderr)
        return EXIT_BAD_INPUT
    from sim.cli.run_job import RUNS_ROOT, execute_run
    from sim.engine.runner import DEFAULT_CHUNK_SIZE
    from sim.engine.workload import ensemble_workload

    destination = check_output(args.out, RUNS_ROOT)
    n = scenario.replicates if args.replicates is None else args.replicates
    check_work(ensemble_workload(n, scenario.horizon, chunk_size=args.chunk_size or DEFAULT_CHUNK_SIZE, kept=cap),
                args, "--replicates", destination)

    outcome = execute_run(scenario, replicates=args.replicates, seed=args.seed, out=args.out,
                          trajectory_cap=cap, chunk_size=args.chunk_size, command=sys.argv,
                          file_format=args.file_format, exact=args.exact, executor=args.executor,
                          overrides=args.overrides)
    if args.json:
        print(json_document({"folder": str(outcome.folder), "headline": outcome.headline,
                             "warnings": [str(w) for w in scenario.warnings], "manifest": outcome.manifest}))
        return EXIT_OK
    print(f"run folder: {outcome.folder}")
    if args.quiet:
        return EXIT_OK
    if outcome.trajectories_note:
        print(outcome.trajectories_note)
    for line in outcome.headline:
        print(line)
    print(LEGEND)
    if args.verbose:
        where, manifest = outcome.manifest.get("executor", {}), outcome.folder / "manifest.json"
        print(f"ran {outcome.manifest['replicates']} replicates in {outcome.manifest.get('run_seconds')} s on "
              f"{where.get('backend')} ({where.get('workers')} worker(s)); manifest: {manifest}")
    return EXIT_OK



def _trajectory_cap(text: str) -> int | bool | None:
    if text == "all":
        return None
    try:
        value = int(text)
    except ValueError:
        return False
    return value if value >= 0 else False

