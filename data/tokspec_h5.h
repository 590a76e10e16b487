/* tokspec_h5.h — a tokenizer spec (data/tokenizer.h) as an HDF5 group, so a model file or an HDF5
 * export carries its tokenizer and needs no model folder. Layout in docs/model-format.md. */
#ifndef TICKETML_DATA_TOKSPEC_H5_H
#define TICKETML_DATA_TOKSPEC_H5_H

#include "data/h5.h"
#include "data/tokenizer.h"

/* Writes s as group `name` of loc. 0, or -1 with err. */
int tml_tokspec_write_h5(hid_t loc, const char *name, const TmlTokSpec *s, TmlError *err);
/* Reads group `name` of loc into s (checked with tml_tokspec_check; messages name `where`). 0, or -1
 * with err and s empty. Free s with tml_tokspec_free. */
int tml_tokspec_read_h5(hid_t loc, const char *name, TmlTokSpec *s, const char *where, TmlError *err);

#endif
