// What the C forward passes of the neural networks share (the segmentation network, segmentation_model.c,
// and Resemblyzer's voice encoder, voice_model.c): element-wise functions that vectorise, a GEMM
// micro-kernel, an LSTM step for a block of hidden units, and the repacking of weights for them. Plain C
// for C targets only (no Swift code imports it); built -O3 -ffast-math by each including target.
//
// The kernels work on fixed-size accumulator arrays, which clang keeps in vector registers: the GEMM on
// TB_GEMM_ROWS frames x TB_GEMM_PANEL outputs, the LSTM step on the four gates of TB_LSTM_UNITS units.
#ifndef CNEURALKERNELS_H
#define CNEURALKERNELS_H

#include <math.h>
#include <stdint.h>
#include <string.h>

enum { TB_GEMM_ROWS = 6, TB_GEMM_PANEL = 16, TB_LSTM_UNITS = 16, TB_LSTM_UNIT_GATES = 4 * TB_LSTM_UNITS };

#if defined(__x86_64__) && defined(__ELF__)
#define VECTOR_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define VECTOR_CLONES
#endif
#define INLINE static inline __attribute__((always_inline))
// The micro-kernels are functions of their own (each with the two clones): inlined into the big function,
// clang's register allocation of their accumulators suffers.
#define KERNEL static VECTOR_CLONES

/// Repacks a row-major outputs x inputs matrix as panels of TB_GEMM_PANEL outputs for `tb_gemm_kernel`:
/// panels[p][i][j] = matrix[row(16 p + j)][i]. With `lstm_hidden` > 0 the rows are an LSTM's gates, taken in
/// the order `tb_lstm_gate` gives (blocks of TB_LSTM_UNITS units); with 0, in order.
void tb_pack_panels(float *panels, const float *matrix, int outputs, int inputs, int lstm_hidden);

/// Repacks an LSTM's recurrent matrix W_hh (4 hidden x hidden, PyTorch's row order) for `tb_lstm_block`:
/// per block of TB_LSTM_UNITS units, hidden x TB_LSTM_UNIT_GATES, transposed, in `tb_lstm_gate` order; and
/// its bias (4 hidden) into the same gate order.
void tb_pack_recurrent(float *recurrent, float *packed_bias, const float *whh, const float *bias, int hidden);

/// LSTM gate order: PyTorch's rows are i, f, g, o for all `hidden` units; the packed order takes the 16 units
/// of block b together: gate column 64 b + 16 type + j is PyTorch row hidden type + 16 b + j.
INLINE int tb_lstm_gate(int column, int hidden) {
    int block = column / TB_LSTM_UNIT_GATES, type = column % TB_LSTM_UNIT_GATES / TB_LSTM_UNITS, j = column % TB_LSTM_UNITS;
    return type * hidden + block * TB_LSTM_UNITS + j;
}

// ---- Element-wise functions, written so that loops over them vectorise (no libm calls).

// e^x for |x| <= 87: 2^n e^r with n = round(x / ln 2) and a degree-6 polynomial for e^r (Cephes expf).
INLINE float exp_approx(float x) {
    int n = (int)(x * 1.44269504f + 128.5f) - 128;
    float r = x - (float)n * 0.693147181f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f; p = p * r + 8.3334519073e-3f; p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f; p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    int32_t bits = (int32_t)((uint32_t)(n + 127) << 23);
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    return p * scale;
}
// Arguments clamped so that the exponentials stay finite.
INLINE float clamped(float x) { return fminf(fmaxf(x, -30.0f), 30.0f); }
INLINE float sigmoid(float x) { return 1.0f / (1.0f + exp_approx(-clamped(x))); }
INLINE float tanh_approx(float x) { return 2.0f / (1.0f + exp_approx(-2.0f * clamped(x))) - 1.0f; }

INLINE float dot(const float *a, const float *b, int n) {
    float sum = 0;
    for (int i = 0; i < n; i++) sum += a[i] * b[i];
    return sum;
}

// ---- Kernels.

// TB_GEMM_ROWS rows of a (lda floats apart) times one panel of TB_GEMM_PANEL outputs, plus the bias, into c
// (ldc floats apart).
KERNEL void tb_gemm_kernel(const float *a, int lda, int inputs, const float *panel, const float *bias, float *c, int ldc) {
    float acc[TB_GEMM_ROWS][TB_GEMM_PANEL];
    for (int r = 0; r < TB_GEMM_ROWS; r++)
        for (int j = 0; j < TB_GEMM_PANEL; j++) acc[r][j] = bias[j];
    for (int i = 0; i < inputs; i++)
        for (int r = 0; r < TB_GEMM_ROWS; r++) {
            float ar = a[(long)r * lda + i];
            for (int j = 0; j < TB_GEMM_PANEL; j++) acc[r][j] += ar * panel[i * TB_GEMM_PANEL + j];
        }
    for (int r = 0; r < TB_GEMM_ROWS; r++)
        for (int j = 0; j < TB_GEMM_PANEL; j++) c[(long)r * ldc + j] = acc[r][j];
}

// One LSTM step for one block of TB_LSTM_UNITS units: gates = projected + W_hh h (w: the block's columns of
// W_hh transposed, hidden x TB_LSTM_UNIT_GATES, in `tb_lstm_gate` order), then the cell update. Reads h
// (hidden floats) and the block's c, writes the block's new c and its new state to h_next and out.
KERNEL void tb_lstm_block(const float *w, const float *projected, const float *h, int hidden, float *c, float *h_next, float *out) {
    float acc[TB_LSTM_UNIT_GATES];
    for (int j = 0; j < TB_LSTM_UNIT_GATES; j++) acc[j] = projected[j];
    for (int k = 0; k < hidden; k++) {
        float hk = h[k];
        for (int j = 0; j < TB_LSTM_UNIT_GATES; j++) acc[j] += w[k * TB_LSTM_UNIT_GATES + j] * hk;
    }
    enum { U = TB_LSTM_UNITS };
    for (int j = 0; j < U; j++) {
        float i = sigmoid(acc[j]), f = sigmoid(acc[U + j]), g = tanh_approx(acc[2 * U + j]), o = sigmoid(acc[3 * U + j]);
        float cell = f * c[j] + i * g;
        c[j] = cell;
        h_next[j] = out[j] = o * tanh_approx(cell);
    }
}

#endif
