/* fuzz_csv.c — libFuzzer target: any bytes as a CSV file must either read fully or fail with a
 * message naming the file; never crash, leak or read out of bounds. Built by scripts/fuzz.sh. */
#include <stddef.h>
#include <stdint.h>

#include "data/table.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    return tml_fuzz_read(data, size, TML_FORMAT_CSV);
}
