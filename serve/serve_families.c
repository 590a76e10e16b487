/* serve_families.c — the registry of the serving library's model families (see serve_family.h):
 * the one place a family's forward pass is added. */
#include <string.h>

#include "serve/serve_family.h"

extern const TmlServeFamily tml_serve_family_bag; /* serve/serve_net.c: text, linear | embedding */
extern const TmlServeFamily tml_serve_family_mlp; /* serve/serve_net.c: tabular */
extern const TmlServeFamily tml_serve_family_gbdt; /* serve/serve_gbdt.c: tabular, gbdt */
extern const TmlServeFamily tml_serve_family_encoder; /* serve/serve_encoder.c: text, encoder */

static const TmlServeFamily *const FAMILIES[] = {
    &tml_serve_family_bag,
    &tml_serve_family_mlp,
    &tml_serve_family_gbdt,
    &tml_serve_family_encoder,
    NULL,
};

const TmlServeFamily *tml_serve_family_for_arch(const char *arch) {
    for (int i = 0; arch && FAMILIES[i]; i++)
        for (const char *const *a = FAMILIES[i]->archs; *a; a++)
            if (!strcmp(*a, arch)) return FAMILIES[i];
    return NULL;
}
