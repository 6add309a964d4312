from sim.cli.dispatch import main

raise SystemExit(main())
