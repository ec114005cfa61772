#include <alsa/asoundlib.h>

/* ALSA reports errors through a variadic handler Swift cannot implement; this installs a silent one. */
static void talkbalance_alsa_silent_handler(const char *file, int line, const char *function, int err, const char *fmt, ...) {
    (void)file; (void)line; (void)function; (void)err; (void)fmt;
}
static inline void talkbalance_alsa_silence_errors(void) {
    snd_lib_error_set_handler(talkbalance_alsa_silent_handler);
}
