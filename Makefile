# One command each: `make demo` runs the main job, `make test` passes the tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
EXTRAS := dev,postgres,celery,ui-test,hf
# The CPU build of torch (a wheel in pip's find-links on this machine kind; no CUDA libraries).
TORCH_PIN := torch==2.13.0+cpu
export MLFLOW_DISABLE_TELEMETRY := true
export DO_NOT_TRACK := 1
export DAGSTER_DISABLE_TELEMETRY := 1

.PHONY: install demo test test-all test-scaleout test-ui test-hf ui mlflow-ui bench clean lock

$(STAMP): pyproject.toml constraints.txt
	@echo "installing into $(VENV) (pinned by constraints.txt; log: $(VENV)/install.log) ..."
	@$(PYTHON) -m venv $(VENV)
	@$(BIN)/pip install -q --upgrade pip > $(VENV)/install.log 2>&1 || (tail -20 $(VENV)/install.log; exit 1)
	@$(BIN)/pip install -q -c constraints.txt -e '.[$(EXTRAS)]' >> $(VENV)/install.log 2>&1 \
		|| (tail -20 $(VENV)/install.log; exit 1)
	@touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/tenantguard demo

test: $(STAMP)
	$(BIN)/python -m pytest -q -m "not scaleout and not ui and not hf"

# hf-lora / hf-full end to end through Dagster + MLflow with a tiny model (minutes on 2 cores; CPU only).
test-hf: $(STAMP)
	$(BIN)/python -m pytest -q -m hf

# PostgreSQL + Redis + two celery workers (tests/scaleout); skips with the reason when a service is down.
test-scaleout: $(STAMP)
	$(BIN)/python -m pytest -q -rs -m scaleout tests/scaleout

# Headless Chromium (/usr/bin/chromium) against dagster-webserver + mlflow server; screenshots in test-artifacts/ui/.
test-ui: $(STAMP)
	$(BIN)/python -m pytest -q -rs -m ui tests/ui

test-all: $(STAMP)
	$(BIN)/python -m pytest -q

# Dagster UI on the demo's instance; the MLflow UI on the same store: `make mlflow-ui`.
ui: $(STAMP)
	@echo "MLflow UI on the same store: make mlflow-ui  (then open http://127.0.0.1:5000)"
	@mkdir -p "$$($(BIN)/tenantguard home --dagster)"
	DAGSTER_HOME=$$($(BIN)/tenantguard home --dagster) $(BIN)/dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000

mlflow-ui: $(STAMP)
	$(BIN)/mlflow ui --backend-store-uri $$($(BIN)/tenantguard home --mlflow-uri) -h 127.0.0.1 -p 5000

bench: $(STAMP)
	for f in benchmarks/*.py; do $(BIN)/python $$f --quick || exit 1; done

# Re-resolve the constraints file CI installs with.
lock:
	rm -rf /tmp/tg-lock && $(PYTHON) -m venv /tmp/tg-lock && /tmp/tg-lock/bin/pip install -q --upgrade pip
	echo '$(TORCH_PIN)' > /tmp/tg-lock/torch.txt
	/tmp/tg-lock/bin/pip install -q -c /tmp/tg-lock/torch.txt -e '.[$(EXTRAS)]'
	/tmp/tg-lock/bin/pip freeze --exclude-editable | grep -v '^-e' > constraints.txt

clean:
	rm -rf $(VENV) .tenantguard
