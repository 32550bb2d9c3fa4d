# Thin, self-documenting entry points. Every target goes through scripts/ so the project's own
# Node 24 (node_modules/.bin) is used, never the machine's.
SHELL := /bin/bash
.DEFAULT_GOAL := help

help: ## List the targets
	@grep -hE '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "} {printf "  %-14s %s\n", $$1, $$2}'

setup: ## Install dependencies (Node 24 included) and build the packages
	@bash scripts/setup.sh

build: ## Build the TypeScript packages
	@source scripts/lib.sh && build_ts

demo: ## Set up, bring up the local cluster, install the chart, run a conversation in a workspace, clean up
	@bash scripts/demo.sh

demo-server: ## Set up, start the bare agent server locally (no Kubernetes) and show it answering
	@bash scripts/demo-server.sh

test: ## Install what tests need and run every tier (static, unit, integration, parity, cluster, e2e)
	@bash scripts/test.sh

unit: ## Run the unit tier only
	@bash scripts/test.sh unit

integration: ## Run the integration tier only
	@bash scripts/test.sh integration

parity: ## Run the parity tier only (the official OpenHands Python client and server; builds their Python root if needed)
	@bash scripts/test.sh parity

cluster-test: ## Run the cluster tier only (starts the local cluster if needed)
	@bash scripts/test.sh cluster

e2e: ## Run the e2e tier only (the operator and the server image on the local cluster)
	@bash scripts/test.sh e2e

test-under-load: ## Run the integration, cluster and e2e tiers 3 times with every core kept busy (RUNS, LOAD_PROCS)
	@bash scripts/test-under-load.sh

lint: ## eslint and tsc
	@bash scripts/test.sh static

crds: ## Regenerate crds/ from the zod schema in operator/src/api (and copy it into the chart)
	@source scripts/lib.sh && cd "$$ROOT" && npm run -s -w operator crds
	@$(MAKE) -s chart-files

CHART := charts/agentworkspace-operator
chart-files: ## Copy crds/, operator/rbac.yaml and rbac-warm-pools.yaml into the Helm chart (a unit test keeps them byte-identical)
	@rm -f $(CHART)/crds/*.yaml && cp crds/*.yaml $(CHART)/crds/ && cp operator/rbac.yaml operator/rbac-warm-pools.yaml $(CHART)/files/
	@echo "copied crds/*.yaml, operator/rbac.yaml and operator/rbac-warm-pools.yaml into $(CHART)"

.PHONY: help setup build demo demo-server test test-under-load unit integration cluster-test e2e lint crds chart-files

cluster-up: ## Start the local test Kubernetes (builds its binaries on first use); kubeconfig in .local/cluster/
	@bash test/cluster/cluster.sh up

cluster-down: ## Stop the local test Kubernetes and remove its state and pod containers
	@bash test/cluster/cluster.sh down

image: ## Build the agent-server image with podman (localhost/agentworkspace/agent-server:dev)
	@bash test/cluster/image.sh server

images: image ## Build the agent-server and the operator image (localhost/agentworkspace/operator:dev)
	@bash operator/scripts/image.sh >/dev/null

.PHONY: cluster-up cluster-down image images

bench: bench-server bench-operator bench-pool ## Run the benchmarks: the server beside the OS floor, the operator and warm pools on the local cluster

bench-server: ## The agent server beside the OS floor (prints a table, writes bench/results/server.*)
	@source scripts/lib.sh && ensure_node_modules >/dev/null && cd "$$ROOT" && tsx bench/server/main.ts

bench-compare: ## The agent server beside the OS floor and the official OpenHands server 1.58.2 (sets up its Python root)
	@source scripts/lib.sh && ensure_node_modules >/dev/null && cd "$$ROOT" && tsx bench/server/main.ts --compare

bench-operator: ## The operator on its own local cluster: phases, 50 at once, 1,000 on kwok, idle with 1,000 suspended
	@source scripts/lib.sh && ensure_node_modules >/dev/null && bash "$$ROOT/bench/operator/run.sh"

bench-pool: ## Warm pools on the operator's local cluster: claim → Ready and → first command beside cold apply, 20 claims at once
	@source scripts/lib.sh && ensure_node_modules >/dev/null && bash "$$ROOT/bench/operator/run.sh" pool.ts

.PHONY: bench bench-server bench-compare bench-operator bench-pool
