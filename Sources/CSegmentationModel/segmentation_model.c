// The forward pass of the speaker segmentation network (pyannote segmentation-3.0, PyanNet, MIT: see
// segmentation_model_weights.c): SincNet (instance-normalised waveform, 80 sinc band-passes with stride
// 10, |.|, then two 1-D convolutions of 60 x 5, each stage max-pooled by 3, instance-normalised and
// leaky-ReLU'd), four bidirectional LSTM layers of 128, two linear layers of 128 with leaky ReLU, seven
// classes, log-softmax. Plain C, compiled -O3 -ffast-math (Package.swift) so the inner loops are
// vectorised in debug builds too.
//
// Speed: every heavy stage is a register-blocked micro-kernel over fixed-size accumulator arrays (which
// clang keeps in vector registers), reading weights repacked once (`packed`, set up on first use) so that
// the kernels stream them contiguously:
// - the sinc stage runs over VEC pooled outputs at a time, using the filters' symmetry (the first 40 are
//   symmetric, the last 40 antisymmetric) to halve the multiplies: sum_k w[k] (x[k] +- x[250 - k]);
// - the convolutions read their input split into its three phases (x[3j], x[3j + 1], x[3j + 2]) so that the
//   three outputs each max-pool takes are separate accumulators over contiguous inputs;
// - the LSTM input projections and linear layers are GEMMs of 6 frames x 16 outputs;
// - the LSTM recurrence computes the gates of 16 hidden units (64 gates) at a time from a transposed
//   recurrent matrix and applies the cell update to them directly;
// - sigmoid and tanh use a polynomial exp that vectorises (libm's expf and tanhf are scalar calls).
// Working memory per call: 6.3 MB; the repacked weights: a static 5.9 MB.
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "CSegmentationModel.h"
#include "CNeuralKernels.h"

enum {
    CHUNK = TB_SEGMENTATION_CHUNK, FRAMES = TB_SEGMENTATION_FRAMES, CLASSES = TB_SEGMENTATION_CLASSES,
    SINC = 80, TAPS = 251, STRIDE = 10, CONV = 60, WIDTH = 5, HIDDEN = 128, GATES = 4 * HIDDEN, BOTH = 2 * HIDDEN,
    SINC_OUT = (CHUNK - TAPS) / STRIDE + 1, T0 = SINC_OUT / 3,          // 15975 -> 5325
    T1 = (T0 - WIDTH + 1) / 3, T2 = (T1 - WIDTH + 1) / 3               // 5321 -> 1773, 1769 -> 589
};
_Static_assert(T2 == FRAMES, "frame count");

// Offsets of each weight in tb_segmentation_model_weights (the layout comment in segmentation_model_weights.c).
enum {
    WAV_NORM = 0, SINC_W = 2, NORM0_W = SINC_W + SINC * TAPS, NORM0_B = NORM0_W + SINC,
    CONV1_W = NORM0_B + SINC, CONV1_B = CONV1_W + CONV * SINC * WIDTH, NORM1_W = CONV1_B + CONV, NORM1_B = NORM1_W + CONV,
    CONV2_W = NORM1_B + CONV, CONV2_B = CONV2_W + CONV * CONV * WIDTH, NORM2_W = CONV2_B + CONV, NORM2_B = NORM2_W + CONV,
    LSTM0 = NORM2_B + CONV,
    LSTM0_SIZE = GATES * CONV + GATES * HIDDEN + GATES,          // one direction of the first layer
    LSTM_SIZE = GATES * BOTH + GATES * HIDDEN + GATES,           // one direction of the others
    LINEAR0_W = LSTM0 + 2 * LSTM0_SIZE + 3 * 2 * LSTM_SIZE, LINEAR0_B = LINEAR0_W + HIDDEN * BOTH,
    LINEAR1_W = LINEAR0_B + HIDDEN, LINEAR1_B = LINEAR1_W + HIDDEN * HIDDEN,
    CLASSIFIER_W = LINEAR1_B + HIDDEN, CLASSIFIER_B = CLASSIFIER_W + CLASSES * HIDDEN, TOTAL = CLASSIFIER_B + CLASSES
};

// Blocking of the kernels and the padded sizes of the working arrays.
enum {
    VEC = 8,                                        // outputs per vector row (one AVX2 register of floats)
    PAIRS = TAPS / 2,                               // 125: tap k pairs with tap TAPS - 1 - k; tap 125 is the centre
    SINC_BLOCK = 3, CONV_BLOCK = 3,                 // filters (channels) per kernel call
    POOL_SPAN = 3 * STRIDE,                         // 30 samples between the starts of consecutive pooled sinc outputs
    T0_PAD = (T0 + VEC - 1) / VEC * VEC,            // 5328 pooled sinc outputs computed per filter
    WAVE_PHASE = T0_PAD + (2 * STRIDE + TAPS) / POOL_SPAN + 1,   // 5337 samples per phase of the waveform
    T1_PAD = (T1 + VEC - 1) / VEC * VEC,            // 1776
    T2_PAD = (T2 + VEC - 1) / VEC * VEC,            // 592
    IN1_PHASE = T1_PAD + (WIDTH + 1) / 3 + 1,       // 1778 values per phase of the first convolution's input
    IN2_PHASE = T2_PAD + (WIDTH + 1) / 3 + 1,       // 594 for the second
    ROWS = TB_GEMM_ROWS, PANEL = TB_GEMM_PANEL,     // GEMM micro-kernel: ROWS frames x PANEL outputs
    FRAMES_PAD = (FRAMES + ROWS - 1) / ROWS * ROWS, // 594
    UNITS = TB_LSTM_UNITS, UNIT_GATES = TB_LSTM_UNIT_GATES   // recurrence block: the four gates of 16 hidden units
};
_Static_assert(WAVE_PHASE * POOL_SPAN >= CHUNK, "waveform phases cover the chunk");

unsigned long tb_segmentation_model_expected_count(void) { return TOTAL; }

// ---- Weights repacked for the kernels, prepared once.

// The sinc filters go in blocks within each half (cosine, sine); this is the size of the block starting at
// filter `first`. Each half ends with two blocks of 2 (40 = 12 x 3 + 2 x 2): a block of 1 would be bound by
// FMA latency.
static inline int sinc_filters(int first) {
    int left = SINC / 2 - first % (SINC / 2);
    return left > 4 ? SINC_BLOCK : 2;
}

// LSTM gates in `tb_lstm_gate` order (blocks of 16 units).
static struct {
    float sinc[SINC * (PAIRS + 1)];                              // taps 0..125 of each block, filters innermost
    float conv1[CONV / CONV_BLOCK][SINC][WIDTH][CONV_BLOCK];     // outputs innermost
    float conv2[CONV / CONV_BLOCK][CONV][WIDTH][CONV_BLOCK];
    float input0[2][GATES / PANEL][CONV][PANEL];                 // first layer W_ih, panels of 16 gate columns
    float input[3][2][GATES / PANEL][BOTH][PANEL];               // other layers
    float recurrent[4][2][HIDDEN / UNITS][HIDDEN][UNIT_GATES];   // W_hh transposed, per block of 16 units
    float bias[4][2][GATES];                                     // in packed gate order
    float linear0[HIDDEN / PANEL][BOTH][PANEL];
    float linear1[HIDDEN / PANEL][HIDDEN][PANEL];
} packed;
static pthread_once_t packed_once = PTHREAD_ONCE_INIT;

static void pack_convolution(float *out, const float *weight, int inputs) {
    for (int b = 0; b < CONV / CONV_BLOCK; b++)
        for (int c = 0; c < inputs; c++)
            for (int k = 0; k < WIDTH; k++)
                for (int o = 0; o < CONV_BLOCK; o++)
                    out[(((long)b * inputs + c) * WIDTH + k) * CONV_BLOCK + o] = weight[((long)(b * CONV_BLOCK + o) * inputs + c) * WIDTH + k];
}

static void pack_weights(void) {
    const float *w = tb_segmentation_model_weights;
    for (int first = 0; first < SINC; first += sinc_filters(first))
        for (int k = 0; k <= PAIRS; k++)
            for (int f = 0; f < sinc_filters(first); f++)
                packed.sinc[first * (PAIRS + 1) + k * sinc_filters(first) + f] = w[SINC_W + (first + f) * TAPS + k];
    pack_convolution(&packed.conv1[0][0][0][0], w + CONV1_W, SINC);
    pack_convolution(&packed.conv2[0][0][0][0], w + CONV2_W, CONV);
    const float *weights = w + LSTM0;
    for (int l = 0; l < 4; l++) {
        int inputs = l ? BOTH : CONV;
        for (int d = 0; d < 2; d++) {
            const float *wih = weights, *whh = wih + GATES * inputs, *bias = whh + GATES * HIDDEN;
            tb_pack_panels(l ? &packed.input[l - 1][d][0][0][0] : &packed.input0[d][0][0][0], wih, GATES, inputs, HIDDEN);
            tb_pack_recurrent(&packed.recurrent[l][d][0][0][0], packed.bias[l][d], whh, bias, HIDDEN);
            weights = bias + GATES;
        }
    }
    tb_pack_panels(&packed.linear0[0][0][0], w + LINEAR0_W, HIDDEN, BOTH, 0);
    tb_pack_panels(&packed.linear1[0][0][0], w + LINEAR1_W, HIDDEN, HIDDEN, 0);
}

// ---- Element-wise functions (exp_approx, sigmoid, tanh_approx, dot: CNeuralKernels.h).

INLINE float leaky(float x) { return x > 0 ? x : 0.01f * x; }

// Instance norm statistics of one row of `n` values (eps 1e-5) with the affine weight and bias: y = x scale + shift.
INLINE void norm_affine(const float *row, int n, float weight, float bias, float *scale, float *shift) {
    double sum = 0, squares = 0;
    for (int t = 0; t < n; t++) sum += row[t];
    double mean = sum / n;
    for (int t = 0; t < n; t++) { double d = row[t] - mean; squares += d * d; }
    *scale = (float)(weight / sqrt(squares / n + 1e-5));
    *shift = (float)(bias - mean * *scale);
}

// Instance norm and leaky ReLU of `channels` rows of `n` values (row stride `stride`), written split into
// phases for the next convolution: out[(c * 3 + s) * phase_len + j] = y[c][3 j + s], zero past n.
INLINE void normalise_phases(const float *x, int channels, int n, int stride, const float *weight, const float *bias,
                             float *out, int phase_len) {
    for (int c = 0; c < channels; c++) {
        const float *row = x + (long)c * stride;
        float scale, shift;
        norm_affine(row, n, weight[c], bias[c], &scale, &shift);
        for (int s = 0; s < 3; s++) {
            float *dst = out + ((long)c * 3 + s) * phase_len;
            for (int j = 0; j < phase_len; j++) {
                int t = 3 * j + s;
                dst[j] = t < n ? leaky(row[t] * scale + shift) : 0.0f;
            }
        }
    }
}

// ---- Sinc stage.

// `filters` (<= SINC_BLOCK) filters on VEC pooled outputs: `pairs` holds, for each tap k <= 125 and each
// phase p (the three sinc outputs a pooled output takes), the VEC paired samples x[k] +- x[250 - k] (the
// centre alone at k = 125); `weight` holds taps x filters. Writes max over p of |sum_k w[k] pairs[k][p]| to
// out rows (stride T0_PAD). Blocks of 3 filters keep the 9 accumulators, 3 inputs and the weight within
// the 16 AVX2 registers.
INLINE void sinc_block(const float *pairs, int taps, const float *weight, int filters, float *out) {
    float acc[SINC_BLOCK][3][VEC];
    for (int f = 0; f < filters; f++)
        for (int p = 0; p < 3; p++)
            for (int i = 0; i < VEC; i++) acc[f][p][i] = 0.0f;
    // (Not vectorised along k: the vectors run along the outputs.)
#pragma clang loop vectorize(disable)
    for (int k = 0; k < taps; k++) {
        const float *x = pairs + k * 3 * VEC;
        for (int f = 0; f < filters; f++) {
            float wk = weight[k * filters + f];
            for (int p = 0; p < 3; p++)
                for (int i = 0; i < VEC; i++) acc[f][p][i] += wk * x[p * VEC + i];
        }
    }
    for (int f = 0; f < filters; f++)
        for (int i = 0; i < VEC; i++)
            out[(long)f * T0_PAD + i] = fmaxf(fmaxf(fabsf(acc[f][0][i]), fabsf(acc[f][1][i])), fabsf(acc[f][2][i]));
}
KERNEL void sinc_kernel3(const float *pairs, int taps, const float *weight, float *out) { sinc_block(pairs, taps, weight, 3, out); }
KERNEL void sinc_kernel2(const float *pairs, int taps, const float *weight, float *out) { sinc_block(pairs, taps, weight, 2, out); }

// ---- Convolutions.

// CONV_BLOCK outputs on VEC pooled outputs from `inputs` channels split into phases (phase_len each): the
// unpooled output 3 u + p reads input 3 u + p + k = phase (p + k) % 3 at u + (p + k) / 3. Writes the max over
// p to out rows (stride out_stride). 3 outputs x 3 phases: 9 accumulators and 3 weights in registers.
KERNEL void conv_kernel(const float *in, int inputs, int phase_len, const float *weight, const float *bias,
                        float *out, int out_stride) {
    float acc[CONV_BLOCK][3][VEC];
    for (int o = 0; o < CONV_BLOCK; o++)
        for (int p = 0; p < 3; p++)
            for (int i = 0; i < VEC; i++) acc[o][p][i] = bias[o];
    for (int c = 0; c < inputs; c++) {
        const float *w = weight + (long)c * WIDTH * CONV_BLOCK, *phases = in + (long)c * 3 * phase_len;
        for (int k = 0; k < WIDTH; k++) {
            float wk[CONV_BLOCK];
            for (int o = 0; o < CONV_BLOCK; o++) wk[o] = w[k * CONV_BLOCK + o];
            for (int p = 0; p < 3; p++) {
                const float *x = phases + (p + k) % 3 * phase_len + (p + k) / 3;
                for (int o = 0; o < CONV_BLOCK; o++)
                    for (int i = 0; i < VEC; i++) acc[o][p][i] += wk[o] * x[i];
            }
        }
    }
    for (int o = 0; o < CONV_BLOCK; o++)
        for (int i = 0; i < VEC; i++) out[(long)o * out_stride + i] = fmaxf(fmaxf(acc[o][0][i], acc[o][1][i]), acc[o][2][i]);
}

// A valid 1-D convolution with max pooling by 3 over `pooled_pad` outputs (a multiple of VEC).
INLINE void convolve(const float *in, int inputs, int phase_len, const float *weight, const float *bias,
                     float *out, int pooled_pad) {
    for (int u = 0; u < pooled_pad; u += VEC)
        for (int b = 0; b < CONV / CONV_BLOCK; b++)
            conv_kernel(in + u, inputs, phase_len, weight + (long)b * inputs * WIDTH * CONV_BLOCK, bias + b * CONV_BLOCK,
                        out + (long)b * CONV_BLOCK * pooled_pad + u, pooled_pad);
}

// ---- GEMM: c[t][n] = bias[n] + sum_i a[t][i] panels[n / 16][i][n % 16], for FRAMES_PAD rows t.

INLINE void gemm(const float *a, int inputs, const float *panels, const float *bias, int outputs, float *c) {
    for (int p = 0; p < outputs / PANEL; p++)
        for (int t = 0; t < FRAMES_PAD; t += ROWS)
            tb_gemm_kernel(a + (long)t * inputs, inputs, inputs, panels + (long)p * inputs * PANEL, bias + p * PANEL,
                           c + (long)t * outputs + p * PANEL, outputs);
}

// ---- LSTM recurrence.

// One step of one direction: gates = projected + W_hh h, block by block of 16 units, then the cell update.
// Reads h, writes the new state to h_next and to out (16 units per block).
KERNEL void lstm_step(const float *recurrent, const float *projected, const float *h, float *c, float *h_next, float *out) {
    for (int b = 0; b < HIDDEN / UNITS; b++)
        tb_lstm_block(recurrent + (long)b * HIDDEN * UNIT_GATES, projected + b * UNIT_GATES, h, HIDDEN, c + b * UNITS,
                      h_next + b * UNITS, out + b * UNITS);
}

VECTOR_CLONES
int tb_segmentation_model_run(const float *chunk, float *log_probabilities) {
    const float *w = tb_segmentation_model_weights;
    pthread_once(&packed_once, pack_weights);
    // Working memory, in floats: the two LSTM layer buffers, then the SincNet buffers, which the LSTM
    // projections and the linear layers reuse once the SincNet is done (6.3 MB in all).
    enum {
        WAVE_SIZE = POOL_SPAN * WAVE_PHASE, PAIRS_SIZE = 2 * (PAIRS + 1) * 3 * VEC, POOLED0_SIZE = SINC * T0_PAD,
        IN1_SIZE = SINC * 3 * IN1_PHASE, POOLED1_SIZE = CONV * T1_PAD, IN2_SIZE = CONV * 3 * IN2_PHASE,
        POOLED2_SIZE = CONV * T2_PAD, LAYER_SIZE = FRAMES_PAD * BOTH, PROJECTED_SIZE = FRAMES_PAD * GATES,
        HEAD_SIZE = FRAMES_PAD * HIDDEN,
        SINCNET_SIZE = WAVE_SIZE + PAIRS_SIZE + POOLED0_SIZE + IN1_SIZE + POOLED1_SIZE + IN2_SIZE + POOLED2_SIZE,
        LSTM_WORK_SIZE = 2 * PROJECTED_SIZE + 2 * HEAD_SIZE
    };
    _Static_assert(LSTM_WORK_SIZE <= SINCNET_SIZE, "the LSTM work fits in the SincNet buffers");
    float *memory = malloc(sizeof(float) * ((long)2 * LAYER_SIZE + SINCNET_SIZE));
    if (!memory) return -1;
    float *layer_in = memory, *layer_out = layer_in + LAYER_SIZE;
    float *wave = layer_out + LAYER_SIZE, *pairs = wave + WAVE_SIZE, *pooled0 = pairs + PAIRS_SIZE, *in1 = pooled0 + POOLED0_SIZE;
    float *pooled1 = in1 + IN1_SIZE, *in2 = pooled1 + POOLED1_SIZE, *pooled2 = in2 + IN2_SIZE;
    float *projected = wave;                                     // forward, then reverse direction
    float *head0 = projected + 2 * PROJECTED_SIZE, *head1 = head0 + HEAD_SIZE;

    // Instance norm of the waveform, written split into its 30 phases: wave[s * WAVE_PHASE + j] = x[30 j + s]
    // (zero past the chunk), so that the samples of VEC consecutive pooled outputs are contiguous.
    double sum = 0, squares = 0;
    for (int i = 0; i < CHUNK; i++) sum += chunk[i];
    double mean = sum / CHUNK;
    for (int i = 0; i < CHUNK; i++) { double d = chunk[i] - mean; squares += d * d; }
    float scale = (float)(w[WAV_NORM] / sqrt(squares / CHUNK + 1e-5)), shift = (float)(w[WAV_NORM + 1] - mean * scale);
    for (int s = 0; s < POOL_SPAN; s++)
        for (int j = 0; j < WAVE_PHASE; j++) {
            int i = POOL_SPAN * j + s;
            wave[s * WAVE_PHASE + j] = i < CHUNK ? chunk[i] * scale + shift : 0.0f;
        }

    // Sinc band-passes, |.|, max of three, VEC pooled outputs u at a time. Pooled output u, phase p, tap k
    // reads sample 30 u + 10 p + k, at wave + offset[10 p + k] + u. For each block of outputs, first the
    // paired samples (x[k] + x[250 - k] and x[k] - x[250 - k]) that all filters share.
    int offset[2 * STRIDE + TAPS];
    for (int d = 0; d < 2 * STRIDE + TAPS; d++) offset[d] = d % POOL_SPAN * WAVE_PHASE + d / POOL_SPAN;
    float *even = pairs, *odd = pairs + (PAIRS + 1) * 3 * VEC;
    for (int u = 0; u < T0_PAD; u += VEC) {
        for (int p = 0; p < 3; p++) {
            for (int k = 0; k < PAIRS; k++) {
                const float *x = wave + offset[STRIDE * p + k] + u, *y = wave + offset[STRIDE * p + TAPS - 1 - k] + u;
                float *e = even + (k * 3 + p) * VEC, *o = odd + (k * 3 + p) * VEC;
                for (int i = 0; i < VEC; i++) { e[i] = x[i] + y[i]; o[i] = x[i] - y[i]; }
            }
            const float *centre = wave + offset[STRIDE * p + PAIRS] + u;
            for (int i = 0; i < VEC; i++) even[(PAIRS * 3 + p) * VEC + i] = centre[i];
        }
        // The cosine filters are symmetric (even pairs), the sine ones antisymmetric (odd pairs, zero centre):
        // so generated (tools/segmentation-model), by the sinc formula.
        for (int first = 0; first < SINC; first += sinc_filters(first)) {
            int symmetric = first < SINC / 2;
            const float *weight = packed.sinc + first * (PAIRS + 1);
            float *out = pooled0 + (long)first * T0_PAD + u;
            if (sinc_filters(first) == SINC_BLOCK) sinc_kernel3(symmetric ? even : odd, symmetric ? PAIRS + 1 : PAIRS, weight, out);
            else sinc_kernel2(symmetric ? even : odd, symmetric ? PAIRS + 1 : PAIRS, weight, out);
        }
    }
    normalise_phases(pooled0, SINC, T0, T0_PAD, w + NORM0_W, w + NORM0_B, in1, IN1_PHASE);
    convolve(in1, SINC, IN1_PHASE, &packed.conv1[0][0][0][0], w + CONV1_B, pooled1, T1_PAD);
    normalise_phases(pooled1, CONV, T1, T1_PAD, w + NORM1_W, w + NORM1_B, in2, IN2_PHASE);
    convolve(in2, CONV, IN2_PHASE, &packed.conv2[0][0][0][0], w + CONV2_B, pooled2, T2_PAD);
    // Last norm, written frame-major for the LSTM (rows past FRAMES zero).
    memset(layer_in, 0, sizeof(float) * 2 * LAYER_SIZE);
    for (int c = 0; c < CONV; c++) {
        float scale2, shift2;
        norm_affine(pooled2 + (long)c * T2_PAD, FRAMES, w[NORM2_W + c], w[NORM2_B + c], &scale2, &shift2);
        for (int t = 0; t < FRAMES; t++) layer_in[t * CONV + c] = leaky(pooled2[(long)c * T2_PAD + t] * scale2 + shift2);
    }

    // LSTM layers: input projections of all frames as one GEMM per direction, then the recurrence, the two
    // directions alternating step by step.
    for (int l = 0; l < 4; l++) {
        int inputs = l ? BOTH : CONV;
        for (int d = 0; d < 2; d++)
            gemm(layer_in, inputs, l ? &packed.input[l - 1][d][0][0][0] : &packed.input0[d][0][0][0], packed.bias[l][d], GATES,
                 projected + d * PROJECTED_SIZE);
        float h[2][2][HIDDEN] = {{{0}}}, c[2][HIDDEN] = {{0}};   // [direction][current, next][unit]
        for (int step = 0; step < FRAMES; step++) {
            int t = step, r = FRAMES - 1 - step, now = step & 1;
            lstm_step(&packed.recurrent[l][0][0][0][0], projected + (long)t * GATES, h[0][now], c[0], h[0][!now],
                      layer_out + (long)t * BOTH);
            lstm_step(&packed.recurrent[l][1][0][0][0], projected + PROJECTED_SIZE + (long)r * GATES, h[1][now], c[1], h[1][!now],
                      layer_out + (long)r * BOTH + HIDDEN);
        }
        float *swap = layer_in; layer_in = layer_out; layer_out = swap;
    }

    // Linear layers as GEMMs, then the classifier and log-softmax frame by frame.
    gemm(layer_in, BOTH, &packed.linear0[0][0][0], w + LINEAR0_B, HIDDEN, head0);
    for (int i = 0; i < FRAMES_PAD * HIDDEN; i++) head0[i] = leaky(head0[i]);
    gemm(head0, HIDDEN, &packed.linear1[0][0][0], w + LINEAR1_B, HIDDEN, head1);
    for (int i = 0; i < FRAMES_PAD * HIDDEN; i++) head1[i] = leaky(head1[i]);
    for (int t = 0; t < FRAMES; t++) {
        const float *b = head1 + (long)t * HIDDEN;
        float z[CLASSES];
        for (int k = 0; k < CLASSES; k++) z[k] = w[CLASSIFIER_B + k] + dot(w + CLASSIFIER_W + k * HIDDEN, b, HIDDEN);
        float top = z[0];
        for (int k = 1; k < CLASSES; k++) top = fmaxf(top, z[k]);
        double total = 0;
        for (int k = 0; k < CLASSES; k++) total += exp((double)(z[k] - top));
        float log_total = (float)log(total);
        for (int k = 0; k < CLASSES; k++) log_probabilities[t * CLASSES + k] = z[k] - top - log_total;
    }
    free(memory);
    return 0;
}
