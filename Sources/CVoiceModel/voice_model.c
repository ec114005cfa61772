// The forward pass of the speaker-embedding network (Resemblyzer's GE2E voice encoder, Apache 2.0: see
// voice_model_weights.c): three LSTM layers of 256, the last layer's final state through a linear layer,
// ReLU, unit length. Plain C, compiled -O3 -ffast-math (Package.swift) so the loops are vectorised in
// debug builds too. Several sequences go through together, layer by layer.
//
// Speed, as the segmentation network's forward pass (segmentation_model.c) does it: register-blocked
// micro-kernels over fixed-size accumulator arrays (shared with it: CNeuralKernels.h), reading weights
// repacked once (`packed`, set up on first use): the input projections are GEMMs of 6 frames x 16 gates,
// a block of frames at a time; the recurrence computes the four gates of 16 hidden units at a time from
// a transposed recurrent matrix and applies the cell update to them directly; sigmoid and tanh use a
// polynomial exp that vectorises.
// Working memory per call: about count x capacity x 2 KB, plus count x 200 KB for the projections; the
// repacked weights: a static 5.4 MB.
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "CVoiceModel.h"
#include "CNeuralKernels.h"

enum { BANDS = TB_VOICE_MODEL_BANDS, HIDDEN = 256, GATES = 4 * HIDDEN, EMBEDDING = TB_VOICE_MODEL_EMBEDDING };
// Offsets of each weight in tb_voice_model_weights (the layout comment in voice_model_weights.c).
enum {
    IH0 = 0, HH0 = IH0 + GATES * BANDS, B0 = HH0 + GATES * HIDDEN,
    IH1 = B0 + GATES, HH1 = IH1 + GATES * HIDDEN, B1 = HH1 + GATES * HIDDEN,
    IH2 = B1 + GATES, HH2 = IH2 + GATES * HIDDEN, B2 = HH2 + GATES * HIDDEN,
    LW = B2 + GATES, LB = LW + EMBEDDING * HIDDEN, TOTAL = LB + EMBEDDING
};
enum {
    ROWS = TB_GEMM_ROWS, PANEL = TB_GEMM_PANEL,            // GEMM micro-kernel: ROWS frames x PANEL gates
    FRAME_BLOCK = 8 * ROWS,                                // frames projected at a time, then run through the recurrence
    UNITS = TB_LSTM_UNITS, UNIT_GATES = TB_LSTM_UNIT_GATES // recurrence block: the four gates of 16 hidden units
};

unsigned long tb_voice_model_expected_count(void) { return TOTAL; }

// ---- Weights repacked for the kernels, prepared once.

// Gates in `tb_lstm_gate` order (blocks of 16 units).
static struct {
    float input0[GATES / PANEL][BANDS][PANEL];               // first layer W_ih, panels of 16 gate columns
    float input[2][GATES / PANEL][HIDDEN][PANEL];            // other layers
    float recurrent[3][HIDDEN / UNITS][HIDDEN][UNIT_GATES];  // W_hh transposed, per block of 16 units
    float bias[3][GATES];                                    // in packed gate order
} packed;
static pthread_once_t packed_once = PTHREAD_ONCE_INIT;

static void pack_weights(void) {
    const float *w = tb_voice_model_weights;
    const int ih[3] = { IH0, IH1, IH2 }, hh[3] = { HH0, HH1, HH2 }, b[3] = { B0, B1, B2 };
    for (int l = 0; l < 3; l++) {
        int inputs = l ? HIDDEN : BANDS;
        float *panels = l ? &packed.input[l - 1][0][0][0] : &packed.input0[0][0][0];
        tb_pack_panels(panels, w + ih[l], GATES, inputs, HIDDEN);
        tb_pack_recurrent(&packed.recurrent[l][0][0][0], packed.bias[l], w + hh[l], w + b[l], HIDDEN);
    }
}

// One LSTM layer over `count` sequences: `in` holds each sequence's frames (inputs floats each, sequence s
// at in + s * capacity * inputs, room for capacity rounded up to ROWS frames), `out` gets each frame's
// hidden state likewise (HIDDEN floats each). A sequence stops at its own length; its last state stays in
// `out` at frame length - 1. `projected`: count x FRAME_BLOCK x GATES floats; `state`: 3 x count x HIDDEN.
INLINE void layer(int l, const float *in, int inputs, const int *lengths, int count, int capacity, float *out,
                  float *state, float *projected) {
    const float *panels = l ? &packed.input[l - 1][0][0][0] : &packed.input0[0][0][0];
    float *h = state, *h_next = state + count * HIDDEN, *c = state + 2 * count * HIDDEN;
    memset(state, 0, sizeof(float) * 3 * count * HIDDEN);
    int longest = 0;
    for (int s = 0; s < count; s++) if (lengths[s] > longest) longest = lengths[s];
    for (int t0 = 0; t0 < longest; t0 += FRAME_BLOCK) {
        int end = t0 + FRAME_BLOCK < longest ? t0 + FRAME_BLOCK : longest;
        for (int s = 0; s < count; s++) {
            int frames = (lengths[s] < end ? lengths[s] : end) - t0;
            for (int p = 0; p < GATES / PANEL; p++)
                for (int r = 0; r < frames; r += ROWS)
                    tb_gemm_kernel(in + ((long)s * capacity + t0 + r) * inputs, inputs, inputs, panels + (long)p * inputs * PANEL,
                                   packed.bias[l] + p * PANEL, projected + ((long)s * FRAME_BLOCK + r) * GATES + p * PANEL, GATES);
        }
        for (int t = t0; t < end; t++) {
            for (int b = 0; b < HIDDEN / UNITS; b++)
                for (int s = 0; s < count; s++) {
                    if (t >= lengths[s]) continue;
                    tb_lstm_block(&packed.recurrent[l][b][0][0], projected + ((long)s * FRAME_BLOCK + t - t0) * GATES + b * UNIT_GATES,
                                  h + s * HIDDEN, HIDDEN, c + s * HIDDEN + b * UNITS, h_next + s * HIDDEN + b * UNITS,
                                  out + ((long)s * capacity + t) * HIDDEN + b * UNITS);
                }
            float *swap = h; h = h_next; h_next = swap;
        }
    }
}

VECTOR_CLONES int tb_voice_model_embed(const float *mel, const int *lengths, int count, int capacity, float *embeddings) {
    if (count <= 0) return 0;
    pthread_once(&packed_once, pack_weights);
    const float *w = tb_voice_model_weights;
    // Each sequence gets room for a whole number of GEMM rows (the rows past its length are computed but not used).
    int rows = (capacity + ROWS - 1) / ROWS * ROWS;
    size_t sequence = (size_t)count * rows * HIDDEN;
    float *input = malloc(sizeof(float) * (size_t)count * rows * BANDS);
    float *a = malloc(sizeof(float) * sequence), *b = malloc(sizeof(float) * sequence);
    float *state = malloc(sizeof(float) * 3 * count * HIDDEN), *projected = malloc(sizeof(float) * (size_t)count * FRAME_BLOCK * GATES);
    if (!input || !a || !b || !state || !projected) { free(input); free(a); free(b); free(state); free(projected); return -1; }
    memset(input, 0, sizeof(float) * (size_t)count * rows * BANDS);
    memset(a, 0, sizeof(float) * sequence);
    memset(b, 0, sizeof(float) * sequence);
    for (int s = 0; s < count; s++) memcpy(input + (size_t)s * rows * BANDS, mel + (size_t)s * capacity * BANDS, sizeof(float) * (size_t)capacity * BANDS);
    layer(0, input, BANDS, lengths, count, rows, a, state, projected);
    layer(1, a, HIDDEN, lengths, count, rows, b, state, projected);
    layer(2, b, HIDDEN, lengths, count, rows, a, state, projected);
    for (int s = 0; s < count; s++) {
        float *e = embeddings + s * EMBEDDING;
        if (lengths[s] <= 0) { memset(e, 0, sizeof(float) * EMBEDDING); continue; }
        const float *last = a + ((long)s * rows + lengths[s] - 1) * HIDDEN;
        float norm = 0;
        for (int j = 0; j < EMBEDDING; j++) {
            float v = w[LB + j] + dot(w + LW + j * HIDDEN, last, HIDDEN);
            e[j] = v > 0 ? v : 0;
            norm += e[j] * e[j];
        }
        if (norm > 0) { float scale = 1.0f / sqrtf(norm); for (int j = 0; j < EMBEDDING; j++) e[j] *= scale; }
    }
    free(input); free(a); free(b); free(state); free(projected);
    return 0;
}
