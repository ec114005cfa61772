// The forward pass of the speech network on one 32 ms chunk (Silero VAD 16 kHz, MIT licence: see
// speech_model_weights.c). Plain C so that it is fast in debug builds too (compiled -O3 -ffast-math, so the
// dot products are vectorised: Package.swift).
#include <math.h>
#include "CSpeechModel.h"

enum { BINS = 129, C1 = 128, C2 = 64, C3 = 64, C4 = 128, HIDDEN = 128 };
// Offsets of each weight in tb_speech_model_weights (the layout comment in speech_model_weights.c).
enum {
    W1 = 0, B1 = W1 + C1 * BINS * 3, W2 = B1 + C1, B2 = W2 + C2 * C1 * 3, W3 = B2 + C2, B3 = W3 + C3 * C2 * 3,
    W4 = B3 + C3, B4 = W4 + C4 * C3 * 3, WIH = B4 + C4, WHH = WIH + 4 * HIDDEN * C4, BIH = WHH + 4 * HIDDEN * HIDDEN,
    BHH = BIH + 4 * HIDDEN, WOUT = BHH + 4 * HIDDEN, BOUT = WOUT + HIDDEN, TOTAL = BOUT + 1
};

unsigned long tb_speech_model_expected_count(void) { return TOTAL; }

// On x86-64, an AVX2/FMA copy of the forward pass as well, chosen at load time where the processor has them.
#if defined(__x86_64__) && defined(__ELF__)
#define VECTOR_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define VECTOR_CLONES
#endif

// The argument clamped: built with -ffast-math, the vectorised expf of a large argument gives NaN, not
// infinity, so the sigmoid of a very negative value came out NaN, not 0 (seen with the voice encoder).
static inline __attribute__((always_inline)) float sigmoid(float x) { return 1.0f / (1.0f + expf(-fminf(fmaxf(x, -30.0f), 30.0f))); }

// A 3-tap convolution with padding 1 and ReLU, weights out x tap x in. `in` is time-major with a zero row
// before and after, `out` likewise; output t reads rows stride * t .. stride * t + 2 (contiguous: the
// three taps' inputs in a row) and goes to row t + 1.
static inline __attribute__((always_inline)) void convolve(const float *in, int inputs, int outputs, const float *w, const float *b, int stride, int count, float *out) {
    for (int t = 0; t < count; t++) {
        const float *x = in + stride * t * inputs;
        for (int o = 0; o < outputs; o++) {
            const float *wo = w + o * 3 * inputs;   // out x tap x in
            float sum = b[o];
            for (int i = 0; i < 3 * inputs; i++) sum += wo[i] * x[i];
            out[(t + 1) * outputs + o] = sum > 0 ? sum : 0;
        }
    }
}

VECTOR_CLONES float tb_speech_model_chunk(const float *magnitudes, float *state) {
    const float *w = tb_speech_model_weights;
    float x0[6 * BINS] = {0}, x1[6 * C1] = {0}, x2[4 * C2] = {0}, x3[3 * C3] = {0}, x4[C4], gates[4 * HIDDEN];
    for (int i = 0; i < 4 * BINS; i++) x0[BINS + i] = magnitudes[i];
    convolve(x0, BINS, C1, w + W1, w + B1, 1, 4, x1);
    convolve(x1, C1, C2, w + W2, w + B2, 2, 2, x2);
    convolve(x2, C2, C3, w + W3, w + B3, 2, 1, x3);
    // conv4 on one step: only its middle tap sees it (the others read the zero padding).
    for (int o = 0; o < C4; o++) {
        float sum = w[B4 + o];
        const float *wo = w + W4 + (o * 3 + 1) * C3;
        for (int i = 0; i < C3; i++) sum += wo[i] * x3[C3 + i];
        x4[o] = sum > 0 ? sum : 0;
    }
    float *h = state, *c = state + HIDDEN;
    for (int g = 0; g < 4 * HIDDEN; g++) {
        const float *wi = w + WIH + g * C4, *wh = w + WHH + g * HIDDEN;
        float sum = w[BIH + g] + w[BHH + g];
        for (int i = 0; i < C4; i++) sum += wi[i] * x4[i];
        for (int i = 0; i < HIDDEN; i++) sum += wh[i] * h[i];
        gates[g] = sum;
    }
    // PyTorch's LSTM cell: gates i, f, g, o.
    float out = w[BOUT];
    for (int j = 0; j < HIDDEN; j++) {
        float i = sigmoid(gates[j]), f = sigmoid(gates[HIDDEN + j]), g = tanhf(gates[2 * HIDDEN + j]), o = sigmoid(gates[3 * HIDDEN + j]);
        c[j] = f * c[j] + i * g;
        h[j] = o * tanhf(c[j]);
        out += w[WOUT + j] * (h[j] > 0 ? h[j] : 0);
    }
    return sigmoid(out);
}
