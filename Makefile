# redis-oxide developer commands. `make demo` and `make test` do their own set-up.
PY := .venv/bin/python
# The core spec, then one hand-written grammar file per module (merged with live data by `make spec`).
MODULE_SPECS := specs/modules/redisbloom.json specs/modules/redisearch.json \
	specs/modules/redisjson.json specs/modules/redistimeseries.json
SPECS := --spec specs/commands.json $(foreach f,$(MODULE_SPECS),--spec $(f))
GENERATED := src/redis_oxide/_generated
# Where `make spec` dumps from; empty means an embedded Redis Stack server started for the dump.
SPEC_URL ?=
PYTEST_ARGS ?=

.PHONY: setup demo test pytest lint format typecheck check generate check-generated spec \
	regen-golden bench

setup:
	@bash scripts/setup.sh

demo: setup
	@$(PY) demo/tour.py

test: setup check pytest

pytest:
	PYTHONASYNCIODEBUG=1 $(PY) -m pytest $(PYTEST_ARGS)

lint:
	$(PY) -m ruff check src codegen tests demo scripts bench
	$(PY) -m ruff format --check src codegen tests demo scripts bench

format:
	$(PY) -m ruff format src codegen tests demo scripts bench
	$(PY) -m ruff check --fix src codegen tests demo scripts bench

typecheck:
	$(PY) -m mypy src codegen tests/typing tests/bench demo bench
	$(PY) -m pyright

check: lint typecheck check-generated

generate:
	$(PY) -m codegen generate --fail-on-warning $(SPECS) --out $(GENERATED)

check-generated:
	$(PY) -m codegen check --fail-on-warning $(SPECS) --out $(GENERATED)

spec:
	$(PY) scripts/with_stack_server.py $(if $(SPEC_URL),--url $(SPEC_URL)) -- \
		$(PY) -m codegen spec --url {url} --out specs/commands.json --modules specs/modules

regen-golden:
	$(PY) -m codegen generate --spec tests/codegen/golden_spec.json --out tests/codegen/golden \
		--overrides tests/codegen/golden_overrides \
		--replies tests/codegen/golden_overrides/replies.toml

BENCH_ARGS ?=
# Side by side with redis-py, coredis and valkey-glide (the `bench` extra), asyncio and uvloop;
# the standalone suite, the cluster suite, then the cache suite (BENCH_ARGS="--suite cache"
# for one alone).
bench: setup
	$(PY) -m pip install -q --disable-pip-version-check -e '.[dev,bench]'
	$(PY) -m bench $(BENCH_ARGS)
