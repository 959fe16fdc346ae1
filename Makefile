# An HTTP/1.1 server from scratch in C++, one stage at a time.
# `make` (or `make help`) lists what you can do.

SHELL := /bin/bash
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:

# ---------------------------------------------------------------------------
# Stages are discovered from stages/NN-name: adding a folder adds a stage.
STAGE_DIRS := $(sort $(wildcard stages/[0-9][0-9]-*))
stage_number = $(patsubst 0%,%,$(firstword $(subst -, ,$(notdir $(1)))))
STAGES := $(foreach d,$(STAGE_DIRS),$(call stage_number,$(d)))
LAST_STAGE := $(lastword $(STAGES))
# stage_dir N -> stages/0N-name
stage_dir = $(firstword $(foreach d,$(STAGE_DIRS),$(if $(filter $(1),$(call stage_number,$(d))),$(d))))

# ---------------------------------------------------------------------------
# Compiler and flags (docs/course.md section 3.2). SAN=address,undefined or
# SAN=thread builds everything into its own folder with that sanitizer.
CXX ?= g++
ifeq ($(origin CXX),default)
CXX := g++
endif
CXXFLAGS := -std=c++20 -O2 -g -Wall -Wextra -Wpedantic -Werror -MMD -MP
LDLIBS := -Wl,--as-needed -lssl -lcrypto -pthread
comma := ,
SAN ?=
ifeq ($(SAN),)
BUILD := build
else
BUILD := build/san-$(subst $(comma),-,$(SAN))
# Optimizing instrumented code is slow to compile, and the tests spend
# their time waiting on sockets, not computing: ASan and UBSan build at -O0,
# which makes the whole build-and-test run shorter. ThreadSanitizer's tests
# race threads against each other, which unoptimized code does too slowly,
# so it keeps -O1, as its documentation suggests.
SAN_OPTIMIZE := $(if $(filter thread,$(subst $(comma), ,$(SAN))),-O1,-O0)
CXXFLAGS := $(filter-out -O2,$(CXXFLAGS)) $(SAN_OPTIMIZE)
CXXFLAGS += -fsanitize=$(SAN) -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=$(SAN)
endif

COMMON_SRCS := $(wildcard common/*.cpp)
COMMON_OBJS := $(patsubst common/%.cpp,$(BUILD)/common/%.o,$(COMMON_SRCS))

$(BUILD)/common/%.o: common/%.cpp
	@mkdir -p $(@D)
	$(CXX) $(CXXFLAGS) -Icommon -c $< -o $@

# ---------------------------------------------------------------------------
# program_rules NAME SRC_DIR OUT_DIR STAGE: OUT_DIR/server from every .cpp
# in SRC_DIR plus common/; OUT_DIR/unit_tests from the stage's sources (less
# main.cpp) plus every tests/unit/X_test.cpp whose X.hpp the stage has,
# compiled with COURSE_STAGE=STAGE for the few checks a later stage changes.
# main.cpp gets PUBLIC_DIR, the folder the server serves files from unless
# told otherwise (--root): SRC_DIR/public, relative to this folder, where
# make, the tests and `make run` start servers.
define program_rules
$(1)_SRCS := $$(wildcard $(2)/*.cpp)
$(1)_OBJS := $$(patsubst $(2)/%.cpp,$(3)/obj/%.o,$$($(1)_SRCS))
$(1)_UNIT_SRCS := $$(foreach h,$$(wildcard $(2)/*.hpp),$$(wildcard tests/unit/$$(basename $$(notdir $$(h)))_test.cpp))
# doctest's main() is the same for every stage: compiled once, in $(BUILD)/tests/.
$(1)_UNIT_OBJS := $$(patsubst tests/unit/%.cpp,$(3)/unit/%.o,$$($(1)_UNIT_SRCS)) $$(BUILD)/tests/unit/main.o

$(3)/obj/main.o: PUBLIC_DIR_FLAG := -DPUBLIC_DIR='"$(2)/public"'
$(3)/obj/%.o: $(2)/%.cpp
	@mkdir -p $$(@D)
	$$(CXX) $$(CXXFLAGS) $$(PUBLIC_DIR_FLAG) -I$(2) -Icommon -c $$< -o $$@

$(3)/unit/%.o: tests/unit/%.cpp
	@mkdir -p $$(@D)
	$$(CXX) $$(CXXFLAGS) -DCOURSE_STAGE=$(4) -I$(2) -Icommon -Itests/support -c $$< -o $$@

# From stage 4 on the server sends "name.gz" in place of "name" to a client
# that accepts gzip: make writes one beside each text file of public/.
$(1)_GZIP := $$(if $$(filter-out 1 2 3,$(4)),$$(addsuffix .gz,$$(wildcard $$(addprefix $(2)/public/*.,html css js svg txt))))

$(3)/server: $$($(1)_OBJS) $$(COMMON_OBJS) | $$($(1)_GZIP)
	$$(CXX) $$(LDFLAGS) $$^ -o $$@ $$(LDLIBS)

$(3)/unit_tests: $$(filter-out $(3)/obj/main.o,$$($(1)_OBJS)) $$($(1)_UNIT_OBJS) $$(COMMON_OBJS)
	$$(CXX) $$(LDFLAGS) $$^ -o $$@ $$(LDLIBS)

-include $$(wildcard $(3)/obj/*.d $(3)/unit/*.d)
endef

$(foreach n,$(STAGES),$(eval $(call program_rules,stage$(n),$(call stage_dir,$(n)),$(BUILD)/stage$(n),$(n))))

# -n leaves the name and time out of the header: the same text always gives
# the same bytes. git ignores these files; make clean removes them.
%.gz: %
	gzip -9 -n -c $< > $@

# A stage has unit tests once it has a header that tests/unit/ tests.
unit_tests_of = $(if $(stage$(1)_UNIT_SRCS),$(BUILD)/stage$(1)/unit_tests)

# From stage 7 on the server speaks HTTPS with a development certificate,
# build/certs/ whatever SAN is (the server's default --cert is relative to
# the working directory): running or testing such a stage makes it first.
CERT_DIR := build/certs
CERT := $(CERT_DIR)/cert.pem
certs_of = $(if $(filter-out 1 2 3 4 5 6,$(1)),$(CERT))

# `make certs` is the same recipe, asked for by name.
$(CERT) certs:
	@scripts/deps.sh
	@scripts/make-certs.sh $(CERT_DIR)

# ---------------------------------------------------------------------------
# The black-box tests: one binary, told which stage it is testing.
BLACKBOX_SRCS := $(wildcard tests/blackbox/*.cpp tests/support/*.cpp)
BLACKBOX_OBJS := $(patsubst tests/%.cpp,$(BUILD)/tests/%.o,$(BLACKBOX_SRCS))
BLACKBOX := $(BUILD)/tests/blackbox_tests

$(BUILD)/tests/%.o: tests/%.cpp
	@mkdir -p $(@D)
	$(CXX) $(CXXFLAGS) -Icommon -Itests/support -c $< -o $@

$(BLACKBOX): $(BLACKBOX_OBJS) $(COMMON_OBJS)
	$(CXX) $(LDFLAGS) $^ -o $@ $(LDLIBS)

-include $(wildcard $(BUILD)/common/*.d $(BUILD)/tests/*/*.d)

# The course's own tests: the slides name only code that exists (no Node.js
# needed). They run once in make test, as the "course" section.
COURSE_OBJS := $(patsubst tests/%.cpp,$(BUILD)/tests/%.o,$(wildcard tests/course/*.cpp))
COURSE_TESTS := $(BUILD)/tests/course_tests

$(COURSE_TESTS): $(COURSE_OBJS)
	$(CXX) $(LDFLAGS) $^ -o $@

# ---------------------------------------------------------------------------
# Entry points.
.PHONY: help all deps test clean run diff start check certs fuzz slides slides-check slides-pdf bench $(foreach n,$(STAGES),stage$(n) test$(n))

help:
	@echo "An HTTP/1.1 server from scratch in C++, one stage at a time."
	@echo
	@echo "Stages:"
	@$(foreach n,$(STAGES),printf '  %-3s %s\n' "$(n)" "$(call stage_dir,$(n))";)
	@echo
	@echo "Targets:"
	@echo "  make stageN          build build/stageN/server (N = $(firstword $(STAGES))..$(LAST_STAGE))"
	@echo "  make testN           build stage N and run its tests (and every earlier stage's that still hold)"
	@echo "  make test            install what is missing, build every stage, run every stage's tests"
	@echo "  make run [STAGE=N]   build and run a stage (default: the last, $(LAST_STAGE)); ARGS=... adds flags"
	@echo "  make diff N=k        what stage k adds to stage k-1: the lesson (README=1 adds its README)"
	@echo "  make start N=k       learner mode: copy stage k-1 to workspace/ to write stage k yourself"
	@echo "  make check N=k       build workspace/ stage k and run stage k's black-box tests against it"
	@echo "  make certs           make a self-signed certificate for localhost in build/certs/ (if none)"
	@echo "  make slides          render the decks in slides/ to build/slides/*.html (needs Node.js)"
	@echo "  make slides-pdf      the same as PDFs, through Chromium"
	@echo "  make slides-check    look at every rendered slide at 1280x720 (Chromium): code >= 20px, nothing under the controls"
	@echo "  make fuzz            fuzz the stage-2 request parser with libFuzzer (clang); FUZZ_TARGET=path: the file paths"
	@echo "  make bench           load-test the stages beside Python and nginx (~4 min; FULL=1: ~13)"
	@echo "  make deps            install what building and testing need, if missing (make test does it too)"
	@echo "  make clean           remove build/ and the .gz copies the build wrote in stages/*/public/"
	@echo
	@echo "Options:"
	@echo "  SAN=address,undefined or SAN=thread   build and test under sanitizers"
	@echo "  TEST_ARGS='-tc=\"*HEAD*\"'              (test, testN, check) only the tests whose names match; any doctest option"
	@echo "  SERVER_ARGS='--threads 2'             (test, testN, check) flags for every server the black-box tests start"

deps:
	@scripts/deps.sh --tests

all: $(foreach n,$(STAGES),$(BUILD)/stage$(n)/server $(call unit_tests_of,$(n))) $(BLACKBOX) $(COURSE_TESTS) \
     $(sort $(foreach n,$(STAGES),$(call certs_of,$(n))))

$(foreach n,$(STAGES),$(eval stage$(n): $(BUILD)/stage$(n)/server))

# What test, testN and check pass to the test programs: TEST_ARGS as they are
# (doctest options: -tc='*HEAD*' runs the tests whose names match), and
# each word of SERVER_ARGS as a --server-arg, a flag for every server the
# black-box tests start (SERVER_ARGS='--threads 2').
TEST_OPTIONS = -- $(TEST_ARGS) $(foreach a,$(SERVER_ARGS),--server-arg $(a))

# testN: build what stage N needs, then run its unit and black-box tests.
$(foreach n,$(STAGES),$(eval test$(n): $(BUILD)/stage$(n)/server $(call unit_tests_of,$(n)) $(BLACKBOX) $(call certs_of,$(n)) ; @scripts/run-tests.sh $(BUILD) $(n) $$(TEST_OPTIONS)))

test:
	@scripts/deps.sh --tests
	@$(MAKE) --no-print-directory -j2 all
	@scripts/run-tests.sh $(BUILD) --course $(STAGES) $(TEST_OPTIONS)

STAGE ?= $(LAST_STAGE)
# From stage 5 on, the accounts made while it runs (POST /register) are kept
# in a users file, so that they survive a restart.
RUN_USERS := build/users.txt
users_of = $(if $(filter-out 1 2 3 4,$(1)),--users $(RUN_USERS))
run:
	@scripts/deps.sh
	@$(MAKE) --no-print-directory -j2 stage$(STAGE) $(call certs_of,$(STAGE))
	@$(if $(call certs_of,$(STAGE)),echo "try: curl --cacert $(CERT) https://127.0.0.1:4443/hello/you  (or open https://localhost:4443/ once your browser trusts $(CERT))")
	$(BUILD)/stage$(STAGE)/server $(call users_of,$(STAGE)) $(ARGS)

# diff and start take N=k, a stage with one before it, stage k-1 in
# PREVIOUS_DIR; require_n,TARGET stops with the usage otherwise.
PREVIOUS_DIR = $(call stage_dir,$(shell echo $$(($(N)-1))))
require_n = test -n "$(N)" -a -n "$(call stage_dir,$(N))" -a "$(N)" != "$(firstword $(STAGES))" || \
	  { echo "usage: make $(1) N=k with k in $(wordlist 2,99,$(STAGES))"; exit 2; }

# diff N=k: the lesson of stage k, as the changes from stage k-1, in the
# lesson's order (scripts/stage-diff.sh says which). README=1 adds the new
# stage's README at the end.
diff:
	@$(call require_n,diff)
	@scripts/stage-diff.sh $(if $(README),--readme) $(PREVIOUS_DIR) $(call stage_dir,$(N))

# ---------------------------------------------------------------------------
# Learner mode: write stage k yourself in workspace/, starting from stage k-1,
# and test it with the same black-box tests as the course's own stage k.
WORKSPACE_DIR = workspace/$(notdir $(call stage_dir,$(N)))

start:
	@$(call require_n,start)
	@scripts/start-workspace.sh $(N) $(PREVIOUS_DIR) $(call stage_dir,$(N)) $(WORKSPACE_DIR)

ifneq ($(N),)
ifneq ($(wildcard workspace/$(notdir $(call stage_dir,$(N)))),)
$(eval $(call program_rules,workspace$(N),$(WORKSPACE_DIR),$(BUILD)/$(WORKSPACE_DIR),$(N)))
endif
endif

check:
	@test -n "$(N)" -a -d "$(WORKSPACE_DIR)" || { echo "usage: make check N=k after make start N=k"; exit 2; }
	@$(MAKE) --no-print-directory -j2 $(BUILD)/$(WORKSPACE_DIR)/server $(BLACKBOX) $(call certs_of,$(N))
	@scripts/run-tests.sh $(BUILD) --server $(BUILD)/$(WORKSPACE_DIR)/server $(N) $(TEST_OPTIONS)

# ---------------------------------------------------------------------------
# Fuzzing the request parser, or with FUZZ_TARGET=path the way a request's
# path reaches a file (needs clang with libFuzzer).
FUZZ_SECONDS ?= 60
fuzz:
	@scripts/fuzz.sh $(FUZZ_SECONDS)

# ---------------------------------------------------------------------------
# The benchmark: the stages beside nginx and Python's http.server on
# 127.0.0.1 (bench/README.md says what runs). FULL=1 runs every stage, with
# more and longer runs; BENCH_SECONDS=N sets the length of one run;
# ONLY=hold,tls runs some sections (http, demo, stalls, tls, hold).
bench:
	@test -z "$(SAN)" || { echo "make bench measures the optimized build: run it without SAN="; exit 2; }
	@scripts/deps.sh wrk nginx-light gnuplot-nox
	@$(MAKE) --no-print-directory -j2 $(foreach n,$(STAGES),$(BUILD)/stage$(n)/server)
	@python3 bench/run.py $(if $(FULL),--full) $(if $(BENCH_SECONDS),--seconds $(BENCH_SECONDS)) \
		$(if $(ONLY),--only $(ONLY))

# ---------------------------------------------------------------------------
# Slides: slides/NN-name.md -> build/slides/NN-name.html (+ index.html).
# slides/preprocess.js first replaces each {{#include ...}} and {{#diff ...}}
# with the code it names; then Marp, pinned in slides/package-lock.json and
# installed into slides/node_modules on first use, renders the decks.
SLIDES_OUT := build/slides
MARP := slides/node_modules/.bin/marp
MARP_FLAGS := --no-config-file --engine slides/engine.js --theme-set slides/theme.css
CHROME_PATH ?= $(firstword $(wildcard /usr/bin/chromium /usr/bin/chromium-browser /usr/bin/google-chrome))

slides/node_modules/.package-lock.json: slides/package.json slides/package-lock.json
	@command -v npm >/dev/null || { echo "make slides needs Node.js and npm: apt-get install nodejs npm"; exit 2; }
	cd slides && npm ci --no-audit --no-fund
	@touch $@

slides: slides/node_modules/.package-lock.json
	node slides/preprocess.js $(SLIDES_OUT)
	$(MARP) $(MARP_FLAGS) --input-dir $(SLIDES_OUT) --output $(SLIDES_OUT)
	@echo "open $(SLIDES_OUT)/index.html"

# slides-check: every rendered slide in Chromium at 1280x720: code at 20px
# or more, and no text where the viewer's control bar appears. Screenshots
# of the slides that fail go to build/slides/check/.
slides-check: slides
	@test -n "$(CHROME_PATH)" || { echo "make slides-check needs Chromium: apt-get install chromium"; exit 2; }
	CHROME_PATH=$(CHROME_PATH) node slides/check-layout.js $(SLIDES_OUT) $(SLIDES_OUT)/check

slides-pdf: slides
	@test -n "$(CHROME_PATH)" || { echo "make slides-pdf needs Chromium: apt-get install chromium"; exit 2; }
	CHROME_PATH=$(CHROME_PATH) $(MARP) $(MARP_FLAGS) --pdf --input-dir $(SLIDES_OUT) --output $(SLIDES_OUT)

clean:
	rm -rf build
	rm -f $(wildcard stages/*/public/*.gz)
