# Tessel - the two set-up commands are `make run` and `make check`.
#   make run    install what is missing, build, compile and run the bundled model
#   make check  install what is missing, build, run every test suite
BUILD   ?= build
VENV    ?= .venv
JOBS    ?= $(shell nproc)
LLVM_CONFIG ?= llvm-config-22

.PHONY: run check deps configure build test clean format

deps:
	@./scripts/install-deps.sh

$(BUILD)/build.ninja: | deps
	cmake -G Ninja -S . -B $(BUILD) \
	  -DCMAKE_BUILD_TYPE=Release \
	  -DMLIR_DIR=$$($(LLVM_CONFIG) --cmakedir)/../mlir \
	  -DLLVM_DIR=$$($(LLVM_CONFIG) --cmakedir) \
	  -DTESSEL_PYTHON=$(CURDIR)/$(VENV)/bin/python

configure: deps $(BUILD)/build.ninja

build: configure
	ninja -C $(BUILD) -j $(JOBS)

run: build
	@./scripts/demo.sh $(BUILD)

test: build
	ninja -C $(BUILD) check-tessel

check: test

format:
	git ls-files '*.cpp' '*.h' | xargs clang-format -i

clean:
	rm -rf $(BUILD)
