# biodev: `make up` and `make test` are the two commands a fresh Debian 12 machine needs.
BUILD      ?= build
JOBS       ?= $(shell nproc)
PROFILE    ?= default
BUILD_TYPE ?= RelWithDebInfo
CMAKE_ARGS ?=
BIODEV     := $(BUILD)/biodev

ifeq ($(CI),true)
CMAKE_ARGS += -DBIODEV_WERROR=ON
endif

.PHONY: all deps build engine images up down test unit integration bench soak fuzz format clean

all: build

deps:
	@scripts/deps.sh

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(CMAKE_ARGS) >/dev/null
	@cmake --build $(BUILD) -j$(JOBS)

engine:
	@scripts/engine.sh

# The images the profile needs: pulled when a registry answers, else built offline.
images: build engine
	$(BIODEV) -f $(PROFILE) images build

up: build engine
	$(BIODEV) -f $(PROFILE) up

down: build
	$(BIODEV) -f $(PROFILE) down

unit: build
	cd $(BUILD) && ctest -L unit --output-on-failure

# Unit tests, then the integration tests against the real engine. The offline images
# are built first, with progress, so no test spends its time budget on mmdebstrap.
test: build engine
	$(BIODEV) images build
	cd $(BUILD) && ctest --output-on-failure -j1

integration: build engine
	cd $(BUILD) && ctest -L integration --output-on-failure

bench: build engine
	bench/run.sh

# The randomized fault soak (not part of `make test`): a private engine of its own, the
# default profile, SOAK_CYCLES (300) or SOAK_SECONDS (3600), SOAK_SEED replays. Needs root.
soak: build engine
	$(BIODEV) images build
	BIODEV=$(BIODEV) bench/soak.sh

fuzz:
	tests/fuzz/run.sh

format:
	clang-format -i $$(git ls-files '*.cpp' '*.h')

clean:
	rm -rf $(BUILD)
