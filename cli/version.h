/* version.h — the release version of ticketml, printed by `ticketml --version`. */
#ifndef TICKETML_VERSION
#define TICKETML_VERSION "0.1.0"
#endif
