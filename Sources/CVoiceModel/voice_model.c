// The forward pass of the speaker-embedding network (Resemblyzer's GE2E voice encoder, Apache 2.0: see
// voice_model_weights.c): three LSTM layers of 256, the last layer's final state through a linear layer,
// ReLU, unit length. Plain C, compiled -O3 -ffast-math (Package.swift) so the dot products are
// vectorised in debug builds too. Several sequences go through together, layer by layer, so each
// weight row read from memory serves all of them.
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "CVoiceModel.h"

enum { BANDS = TB_VOICE_MODEL_BANDS, HIDDEN = 256, GATES = 4 * HIDDEN, EMBEDDING = TB_VOICE_MODEL_EMBEDDING };
// Offsets of each weight in tb_voice_model_weights (the layout comment in voice_model_weights.c).
enum {
    IH0 = 0, HH0 = IH0 + GATES * BANDS, B0 = HH0 + GATES * HIDDEN,
    IH1 = B0 + GATES, HH1 = IH1 + GATES * HIDDEN, B1 = HH1 + GATES * HIDDEN,
    IH2 = B1 + GATES, HH2 = IH2 + GATES * HIDDEN, B2 = HH2 + GATES * HIDDEN,
    LW = B2 + GATES, LB = LW + EMBEDDING * HIDDEN, TOTAL = LB + EMBEDDING
};

unsigned long tb_voice_model_expected_count(void) { return TOTAL; }

#if defined(__x86_64__) && defined(__ELF__)
#define VECTOR_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define VECTOR_CLONES
#endif

// Arguments clamped: built with -ffast-math, the vectorised expf of a large argument gives NaN, not infinity,
// so a sigmoid of a very negative value came out NaN and the whole embedding zero (VoiceEmbedderTests).
static inline __attribute__((always_inline)) float clamped(float x) { return fminf(fmaxf(x, -30.0f), 30.0f); }
static inline __attribute__((always_inline)) float sigmoid(float x) { return 1.0f / (1.0f + expf(-clamped(x))); }
static inline __attribute__((always_inline)) float squash(float x) { return tanhf(clamped(x)); }

static inline __attribute__((always_inline)) float dot(const float *a, const float *b, int n) {
    float sum = 0;
    for (int i = 0; i < n; i++) sum += a[i] * b[i];
    return sum;
}

// One LSTM layer over `count` sequences: `in` holds each sequence's frames (inputs floats each, sequence s
// at in + s * capacity * inputs), `out` gets each frame's hidden state likewise (HIDDEN floats each).
// A sequence stops at its own length; its last state stays in `out` at frame length - 1.
static inline __attribute__((always_inline)) void layer(const float *in, int inputs, const float *wih, const float *whh,
                                                        const float *bias, const int *lengths, int count, int capacity,
                                                        float *out, float *state, float *gates) {
    float *h = state, *c = state + count * HIDDEN;
    memset(state, 0, sizeof(float) * 2 * count * HIDDEN);
    int longest = 0;
    for (int s = 0; s < count; s++) if (lengths[s] > longest) longest = lengths[s];
    for (int t = 0; t < longest; t++) {
        for (int g = 0; g < GATES; g++) {
            const float *wi = wih + g * inputs, *wh = whh + g * HIDDEN;
            for (int s = 0; s < count; s++) {
                if (t >= lengths[s]) continue;
                gates[s * GATES + g] = bias[g] + dot(wi, in + ((long)s * capacity + t) * inputs, inputs) + dot(wh, h + s * HIDDEN, HIDDEN);
            }
        }
        for (int s = 0; s < count; s++) {
            if (t >= lengths[s]) continue;
            const float *gs = gates + s * GATES;
            float *hs = h + s * HIDDEN, *cs = c + s * HIDDEN, *o = out + ((long)s * capacity + t) * HIDDEN;
            for (int j = 0; j < HIDDEN; j++) {
                float cj = sigmoid(gs[HIDDEN + j]) * cs[j] + sigmoid(gs[j]) * squash(gs[2 * HIDDEN + j]);
                cs[j] = cj;
                hs[j] = sigmoid(gs[3 * HIDDEN + j]) * squash(cj);
                o[j] = hs[j];
            }
        }
    }
}

VECTOR_CLONES int tb_voice_model_embed(const float *mel, const int *lengths, int count, int capacity, float *embeddings) {
    if (count <= 0) return 0;
    const float *w = tb_voice_model_weights;
    size_t sequence = (size_t)count * capacity * HIDDEN;
    float *a = malloc(sizeof(float) * sequence), *b = malloc(sizeof(float) * sequence);
    float *state = malloc(sizeof(float) * 2 * count * HIDDEN), *gates = malloc(sizeof(float) * count * GATES);
    if (!a || !b || !state || !gates) { free(a); free(b); free(state); free(gates); return -1; }
    layer(mel, BANDS, w + IH0, w + HH0, w + B0, lengths, count, capacity, a, state, gates);
    layer(a, HIDDEN, w + IH1, w + HH1, w + B1, lengths, count, capacity, b, state, gates);
    layer(b, HIDDEN, w + IH2, w + HH2, w + B2, lengths, count, capacity, a, state, gates);
    for (int s = 0; s < count; s++) {
        float *e = embeddings + s * EMBEDDING;
        if (lengths[s] <= 0) { memset(e, 0, sizeof(float) * EMBEDDING); continue; }
        const float *last = a + ((long)s * capacity + lengths[s] - 1) * HIDDEN;
        float norm = 0;
        for (int j = 0; j < EMBEDDING; j++) {
            float v = w[LB + j] + dot(w + LW + j * HIDDEN, last, HIDDEN);
            e[j] = v > 0 ? v : 0;
            norm += e[j] * e[j];
        }
        if (norm > 0) { float scale = 1.0f / sqrtf(norm); for (int j = 0; j < EMBEDDING; j++) e[j] *= scale; }
    }
    free(a); free(b); free(state); free(gates);
    return 0;
}
