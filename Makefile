.PHONY: setup run test bench
setup:
	bash scripts/setup.sh
run:
	bash scripts/run-baseline.sh
test:
	bash scripts/test.sh
bench:
	bash scripts/setup.sh && .venv/bin/python -m bench
