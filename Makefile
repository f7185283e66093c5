# swish: one non-recursive Makefile.
#
#   make            build/swish and build/libswish.a (plus ./swish, a link to the binary)
#   make test       every test: Check suites, fuzz-corpus replay, cross-checks (installs deps)
#   make asan       the whole suite under AddressSanitizer
#   make ubsan      the whole suite under UndefinedBehaviorSanitizer
#   make fuzz       libFuzzer on each model reader (FUZZ_SECONDS each, clang)
#   make bench      every benchmark, one table;  make bench-quick: the CI budget check
#   make demo       the main job end to end on a simulated league
#   make deps       install the Debian packages swish needs (only those missing)
#   make check-layers   include directions: core <- gbdt <- io <- features <- pipeline <- tools

CC      ?= cc
OPT     ?= -O2
BUILD   ?= build
SWISH_SHARED ?= ../shared
export SWISH_SHARED

WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wno-unused-parameter
CFLAGS_ALL := -std=c11 $(OPT) -g $(WARN) -D_GNU_SOURCE -fopenmp -MMD -MP -I. \
              -I/usr/include/x86_64-linux-gnu/openblas-pthread $(EXTRA_CFLAGS)
LDLIBS_ALL := -fopenmp -lsqlite3 -lopenblas -lm -lpthread $(EXTRA_LDFLAGS)
CHECK_LIBS := -lcheck -lsubunit -lrt -lm -pthread

# ISA-specific translation units: only these get vector ISA flags.
AVX2_FLAGS   := -mavx2 -mfma -mbmi -mbmi2 -mpopcnt -mlzcnt
AVX512_FLAGS := $(AVX2_FLAGS) -mavx512f -mavx512bw -mavx512vl -mavx512dq -mavx512vbmi

LIB_DIRS := core gbdt io features pipeline
LIB_SRC  := $(foreach d,$(LIB_DIRS),$(wildcard $(d)/*.c))
LIB_OBJ  := $(patsubst %.c,$(BUILD)/%.o,$(LIB_SRC))
TOOL_SRC := $(wildcard tools/*.c)
TOOL_OBJ := $(patsubst %.c,$(BUILD)/%.o,$(TOOL_SRC))
TEST_SRC := $(wildcard tests/test_*.c) tests/run_tests.c tests/testutil.c tests/models.c
TEST_OBJ := $(patsubst %.c,$(BUILD)/%.o,$(TEST_SRC))
FUZZ_TARGETS := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
BENCH_SRC := $(wildcard bench/*.c)

LIB  := $(BUILD)/libswish.a
BIN  := $(BUILD)/swish
TESTBIN := $(BUILD)/run_tests
REPLAY  := $(BUILD)/fuzz_replay
BENCHBIN := $(BUILD)/swish_bench

.PHONY: all test asan ubsan fuzz bench bench-quick demo deps check-layers clean unit

all: $(LIB) $(BIN) swish

swish: $(BIN)
	@if [ "$(BUILD)" = "build" ]; then ln -sf $(BIN) swish; fi

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(if $(findstring _avx512,$<),$(AVX512_FLAGS),$(if $(findstring _avx2,$<),$(AVX2_FLAGS))) \
	    $(if $(findstring tests/fuzz/fuzz_,$<),-DSW_FUZZ_REPLAY) $(VERSION_FLAGS) -c $< -o $@

# The commit goes into core/version.o (rebuilt when the checkout's HEAD or index moves).
GIT_COMMIT := $(shell git rev-parse --short=12 HEAD 2>/dev/null)
$(BUILD)/core/version.o: VERSION_FLAGS := -DSW_COMMIT='"$(GIT_COMMIT)"'
$(BUILD)/core/version.o: $(wildcard .git/HEAD .git/index)

$(LIB): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(BIN): $(TOOL_OBJ) $(LIB)
	$(CC) $(CFLAGS_ALL) -o $@ $(TOOL_OBJ) $(LIB) $(LDLIBS_ALL)

$(TESTBIN): $(TEST_OBJ) $(LIB)
	$(CC) $(CFLAGS_ALL) -o $@ $(TEST_OBJ) $(LIB) $(CHECK_LIBS) $(LDLIBS_ALL)

# Fuzz targets are also compiled into the replay driver (-DSW_FUZZ_REPLAY renames
# their entry points): one source, two uses.
$(REPLAY): $(BUILD)/tests/fuzz/replay.o $(patsubst %,$(BUILD)/tests/fuzz/fuzz_%.o,$(FUZZ_TARGETS)) $(LIB)
	$(CC) $(CFLAGS_ALL) -o $@ $^ $(LDLIBS_ALL)

$(BENCHBIN): $(patsubst %.c,$(BUILD)/%.o,$(BENCH_SRC)) $(LIB)
	$(CC) $(CFLAGS_ALL) -o $@ $^ $(LDLIBS_ALL)


unit: $(TESTBIN) $(REPLAY) $(BIN)
	SWISH_BIN=$(BIN) ./$(TESTBIN)
	./$(REPLAY) tests/fuzz/corpus

test: deps all unit

asan:
	$(MAKE) BUILD=build/asan OPT=-O1 EXTRA_CFLAGS="-fsanitize=address -fno-omit-frame-pointer" \
	    EXTRA_LDFLAGS="-fsanitize=address" ASAN_OPTIONS=detect_leaks=1 unit

ubsan:
	$(MAKE) BUILD=build/ubsan OPT=-O1 EXTRA_CFLAGS="-fsanitize=undefined -fno-sanitize-recover=all" \
	    EXTRA_LDFLAGS="-fsanitize=undefined" unit

FUZZ_SECONDS ?= 60
FUZZ_CFLAGS := -std=c11 -O1 -g -D_GNU_SOURCE -I. -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -fopenmp
# the library once, instrumented, with each ISA file's own flags
FUZZ_LIB_OBJ := $(patsubst %.c,build/fuzz/obj/%.o,$(LIB_SRC))
build/fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	clang $(subst fuzzer,fuzzer-no-link,$(FUZZ_CFLAGS)) -I/usr/include/x86_64-linux-gnu/openblas-pthread \
	    $(if $(findstring _avx512,$<),$(AVX512_FLAGS),$(if $(findstring _avx2,$<),$(AVX2_FLAGS))) -c $< -o $@
fuzz: deps $(FUZZ_LIB_OBJ)
	@mkdir -p build/fuzz
	@for t in $(FUZZ_TARGETS); do \
	  clang $(FUZZ_CFLAGS) -o build/fuzz/$$t tests/fuzz/fuzz_$$t.c $(FUZZ_LIB_OBJ) -lsqlite3 -lopenblas -lm \
	    -I/usr/include/x86_64-linux-gnu/openblas-pthread || exit 1; \
	  mkdir -p build/fuzz/corpus_$$t; \
	  echo "fuzzing $$t for $(FUZZ_SECONDS) s"; \
	  ./build/fuzz/$$t -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -rss_limit_mb=1024 \
	    build/fuzz/corpus_$$t tests/fuzz/corpus/$$t || exit 1; \
	done

bench: deps all $(BENCHBIN)
	./$(BENCHBIN) all

bench-quick: all $(BENCHBIN)
	./$(BENCHBIN) quick

demo: deps all
	./$(BIN) demo

# Debian packages: build, tests (Check, XGBoost as a reference, Chromium for the
# report test), fuzzing (clang's libFuzzer runtime).
DEB_PKGS := gcc make pkg-config libsqlite3-dev libopenblas-dev check libsubunit-dev \
            python3 python3-xgboost clang libclang-rt-14-dev chromium
deps:
	@missing=""; for p in $(DEB_PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  if [ "$$(id -u)" != 0 ]; then echo "make deps: run as root to install:$$missing" >&2; exit 1; fi; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null || exit 1; \
	fi

# core <- gbdt <- io <- features <- pipeline <- tools: a file may include only its
# own layer and those to its left.
check-layers:
	@fail=0; order="core gbdt io features pipeline tools"; \
	for d in $(LIB_DIRS) tools; do \
	  allowed=""; for o in $$order; do allowed="$$allowed $$o"; [ $$o = $$d ] && break; done; \
	  for f in $$d/*.c $$d/*.h; do [ -f $$f ] || continue; \
	    for inc in $$(sed -n 's/^#include "\([a-z]*\)\/.*/\1/p' $$f); do \
	      case " $$allowed " in *" $$inc "*) ;; *) echo "$$f includes $$inc/ (not allowed)"; fail=1;; esac; \
	    done; \
	  done; \
	done; exit $$fail

clean:
	rm -rf build swish

-include $(wildcard $(BUILD)/*/*.d $(BUILD)/*/*/*.d)
