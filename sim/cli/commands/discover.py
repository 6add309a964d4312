"""``sim discover``: under which of the scenario's uncertainties does a yes/no outcome happen (PRIM)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from sim.cli.arguments import add_force, add_seed_and_out, positive_int
from sim.cli.common import ANALYSIS_ROOT, EXIT_OK, check_output, check_work, require_extra, timestamp

if TYPE_CHECKING:
    from sim.analysis.discover import Discovery

HELP = "under which uncertainties a yes/no outcome happens (PRIM)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scenario", help="scenario file or library name")
    parser.add_argument("--outcome", required=True, metavar="'EXPR > X'",
                        help="a comparison of outcome expressions, e.g. 'decision.mali.mali_leaves_ecowas@end > 0' "
                             "or 'influence.russia.mali@2024-01 > influence.algeria.mali@2024-01'")
    parser.add_argument("--points", type=positive_int, default=300,
                        help="points over the uncertainties (default 300)")
    parser.add_argument("--replicates", type=positive_int, default=2, help="replicates per point (default 2)")
    add_seed_and_out(parser)
    add_force(parser)


def command(args: argparse.Namespace) -> int:
    require_extra("sim discover", "ema", "ema_workbench")
    # deferred: the numba-compiled model and EMA Workbench; ctypes and the memory probe; YAML
    from sim.analysis.discover import discover
    from sim.engine.workload import points_workload
    from sim.io.run_folders import atomic_folder, safe_name
    from sim.scenario.loader import resolve_scenario

    scenario = resolve_scenario(args.scenario)
    destination = check_output(args.out, ANALYSIS_ROOT)
    check_work(points_workload(args.points, args.replicates, scenario.horizon, factors=len(scenario.uncertainties),
                               outcomes=2), args, "--points", destination)
    seed = scenario.seed if args.seed is None else args.seed
    found = discover(scenario, args.outcome, points=args.points, replicates=args.replicates, seed=seed)
    out = args.out or ANALYSIS_ROOT / f"discover-{safe_name(scenario.name)}-{timestamp()}"
    with atomic_folder(out) as staging:
        (staging / "report.md").write_text(report(found, scenario.name, args.points, args.replicates, seed))
        _tradeoff_plot(found, staging)
    print(found.sentence())
    print(f"discovery folder: {out}")
    return EXIT_OK


def report(found: Discovery, name: str, points: int, replicates: int, seed: int) -> str:
    """report.md: the sentence, the box's restrictions and PRIM's peeling trajectory."""
    rows = "\n".join(f"| {k} | {c:.2f} | {d:.2f} | {n} |" for k, (c, d, n) in enumerate(found.trajectory))
    limits = "\n".join(f"| `{r.name}` | {r.low:.4g} | {r.high:.4g} | [{r.full_low:.4g}, {r.full_high:.4g}] |"
                       for r in found.restrictions) or "| (none) | | | |"
    return (f"# When does `{found.outcome}` happen? ({name})\n\n{found.sentence()}\n\n"
            f"{points} Latin-hypercube points over the scenario's uncertainties x {replicates} replicates, seed "
            f"{seed}; PRIM (EMA Workbench), the restrictions that matter most kept (sim/analysis/discover.py).\n\n"
            "| uncertainty | from | to | its range |\n| --- | --- | --- | --- |\n" + limits +
            "\n\nPRIM's peeling trajectory:\n\n| step | coverage | density | restricted |\n| --- | --- | --- | --- |\n"
            + rows + "\n")


def _tradeoff_plot(found: Discovery, folder: Path) -> None:
    import matplotlib  # deferred: matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4.5))
    if found.trajectory:
        coverage, density, dims = zip(*found.trajectory, strict=True)
        points = ax.scatter(coverage, density, c=dims, cmap="viridis", s=18)
        fig.colorbar(points, ax=ax, label="uncertainties restricted")
    ax.scatter([found.coverage], [found.density], marker="*", s=160, color="#d55e00", label="reported box")
    ax.set_xlabel("coverage (share of the runs where it happens)")
    ax.set_ylabel("density (share of the box's runs where it happens)")
    ax.set_title("PRIM trade-off")
    ax.legend(loc="lower left")
    (folder / "plots").mkdir()
    fig.savefig(folder / "plots" / "tradeoff.png", dpi=110, bbox_inches="tight")
    plt.close(fig)
