from sim.cli.dispatch import entry

entry()
