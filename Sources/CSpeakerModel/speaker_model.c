// The forward pass of CAM++ (Wang et al. 2023; 3D-Speaker, Apache 2.0; the weights' provenance: tools/speaker-model),
// as PyTorch's eval mode computes it, with the batch normalisations that follow a convolution folded
// into it. Plain C, compiled -O3 -ffast-math (Package.swift); every convolution is a matrix product
// (`gemm`) over columns unrolled from its input.
//
// The weights, in the order read (little-endian float32; O out, C in channels, k kernel):
//   FCM head on (1 x 80 bands x T frames):
//     conv1 3x3 (32 x 1 x 3 x 3) + bias 32
//     four residual blocks of two 3x3 convolutions (32 x 32 x 3 x 3 + bias 32 each); the first of each
//       pair of blocks strides 2 over the bands and has a 1x1 shortcut (32 x 32 + bias 32) after its two
//     conv2 3x3, stride 2 over the bands (32 x 32 x 3 x 3) + bias 32    -> 32 x 10 bands = 320 channels
//   TDNN 5, stride 2 in time (128 x 320 x 5) + bias 128                   -> T' = (T - 1) / 2 + 1 frames
//   three dense blocks of 12, 24, 16 layers (dilation 1, 2, 2), each layer on C channels:
//     scale C, shift C (batch normalisation, then ReLU); 1x1 (128 x C) + bias 128 (then ReLU);
//     context-aware masking: local conv 3 (32 x 128 x 3), gate 1x1 (64 x 128) + bias 64, ReLU,
//     1x1 (32 x 64) + bias 32, sigmoid; the 32 channels out are appended to the input
//   each block then a transit layer on its C channels: scale C, shift C, ReLU, 1x1 (C/2 x C)
//   scale 512, shift 512, ReLU; mean and standard deviation over time (1024); 1x1 (192 x 1024) + bias 192.
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "CSpeakerModel.h"

#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wc23-extensions"
static const unsigned char weight_bytes[] __attribute__((aligned(64))) = {
#embed "speaker_model_weights.bin"
};
#pragma clang diagnostic pop

const unsigned long tb_speaker_model_weight_count = sizeof(weight_bytes) / sizeof(float);

enum { BANDS = TB_SPEAKER_MODEL_BANDS, EMBEDDING = TB_SPEAKER_MODEL_EMBEDDING, M = 32, GROWTH = 32, BOTTLENECK = 128, SEGMENT = 100 };
static const int layers[3] = {12, 24, 16}, dilations[3] = {1, 2, 2};

#if defined(__x86_64__) && defined(__ELF__)
#define VECTOR_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define VECTOR_CLONES
#endif

unsigned long tb_speaker_model_expected_count(void) {
    unsigned long n = M * 9 + M;
    n += 4 * 2 * (M * M * 9 + M) + 2 * (M * M + M);
    n += M * M * 9 + M;
    n += 128 * 320 * 5 + 128;
    int c = 128;
    for (int b = 0; b < 3; b++) {
        for (int l = 0; l < layers[b]; l++) {
            n += 2 * c + BOTTLENECK * c + BOTTLENECK + GROWTH * BOTTLENECK * 3 + 64 * BOTTLENECK + 64 + GROWTH * 64 + GROWTH;
            c += GROWTH;
        }
        n += 2 * c + (c / 2) * c;
        c /= 2;
    }
    n += 2 * c + EMBEDDING * 2 * c + EMBEDDING;
    return n;
}

// out (m x n, row stride ldo) = a (m x k) x b (k x n, row stride ldb) + bias (per row, or none).
// Tiles of GEMM_ROWS rows x GEMM_COLUMNS columns, whose accumulators fit in the vector registers (12 of
// AVX2's 16): for each p, one row of b's tile read and GEMM_ROWS weights broadcast. Each output is the
// bias plus its products in the order of p, as a plain loop would sum them.
enum { GEMM_ROWS = 6, GEMM_COLUMNS = 16 };
static inline __attribute__((always_inline)) void gemm_tile(const int rows, int columns, int k, const float *restrict a,
                                                            const float *restrict b, int ldb, const float *restrict bias,
                                                            float *restrict out, int ldo) {
    float acc[GEMM_ROWS][GEMM_COLUMNS];
    for (int r = 0; r < rows; r++) { float v = bias ? bias[r] : 0; for (int j = 0; j < GEMM_COLUMNS; j++) acc[r][j] = v; }
    if (columns == GEMM_COLUMNS) {
        for (int p = 0; p < k; p++) {
            const float *row = b + (long)p * ldb;
            for (int r = 0; r < rows; r++) { float w = a[(long)r * k + p]; for (int j = 0; j < GEMM_COLUMNS; j++) acc[r][j] += w * row[j]; }
        }
        for (int r = 0; r < rows; r++) memcpy(out + (long)r * ldo, acc[r], sizeof(float) * GEMM_COLUMNS);
    } else {
        for (int p = 0; p < k; p++) {
            const float *row = b + (long)p * ldb;
            for (int r = 0; r < rows; r++) { float w = a[(long)r * k + p]; for (int j = 0; j < columns; j++) acc[r][j] += w * row[j]; }
        }
        for (int r = 0; r < rows; r++) memcpy(out + (long)r * ldo, acc[r], sizeof(float) * columns);
    }
}

static inline __attribute__((always_inline)) void gemm(int m, int n, int k, const float *restrict a, const float *restrict b, int ldb,
                                                       const float *restrict bias, float *restrict out, int ldo) {
    for (int j0 = 0; j0 < n; j0 += GEMM_COLUMNS) {
        // The last tile, when n is not a whole number of tiles, ends at n and overlaps the one before: its
        // columns are computed in full (the overlapped ones again, to the same values).
        if (j0 + GEMM_COLUMNS > n && n >= GEMM_COLUMNS) j0 = n - GEMM_COLUMNS;
        int nj = n - j0 < GEMM_COLUMNS ? n - j0 : GEMM_COLUMNS;
        int i = 0;
        for (; i + GEMM_ROWS <= m; i += GEMM_ROWS)
            gemm_tile(GEMM_ROWS, nj, k, a + (long)i * k, b + j0, ldb, bias ? bias + i : NULL, out + (long)i * ldo + j0, ldo);
        for (; i + 2 <= m; i += 2)
            gemm_tile(2, nj, k, a + (long)i * k, b + j0, ldb, bias ? bias + i : NULL, out + (long)i * ldo + j0, ldo);
        for (; i < m; i++)
            gemm_tile(1, nj, k, a + (long)i * k, b + j0, ldb, bias ? bias + i : NULL, out + (long)i * ldo + j0, ldo);
    }
}

static inline float relu(float x) { return x > 0 ? x : 0; }

// A 3x3 convolution over (c x f x t), padding 1, stride `stride` over the bands: out (o x fo x t).
// The unrolled columns are made `CONV_ROWS` output bands at a time (`cols` holds c x 9 x CONV_ROWS x t),
// so the working memory does not grow with the bands; each output is the same sum, in the same order.
enum { CONV_ROWS = 4 };
static inline __attribute__((always_inline)) void conv3x3(const float *in, int c, int f, int t, int stride, const float *w, const float *bias,
                                                          int o, float *out, float *cols) {
    int fo = (f - 1) / stride + 1;
    long n = (long)fo * t;
    for (int y0 = 0; y0 < fo; y0 += CONV_ROWS) {
        int rows = fo - y0 < CONV_ROWS ? fo - y0 : CONV_ROWS;
        long chunk = (long)rows * t;
        for (int ch = 0; ch < c; ch++)
            for (int di = 0; di < 3; di++)
                for (int dj = 0; dj < 3; dj++) {
                    float *col = cols + ((long)(ch * 9 + di * 3 + dj)) * chunk;
                    for (int y = y0; y < y0 + rows; y++) {
                        int sy = y * stride + di - 1;
                        float *dst = col + (long)(y - y0) * t;
                        if (sy < 0 || sy >= f) { memset(dst, 0, sizeof(float) * t); continue; }
                        const float *src = in + ((long)ch * f + sy) * t;
                        for (int x = 0; x < t; x++) { int sx = x + dj - 1; dst[x] = sx >= 0 && sx < t ? src[sx] : 0; }
                    }
                }
        gemm(o, (int)chunk, c * 9, w, cols, (int)chunk, bias, out + (long)y0 * t, (int)n);
    }
}

// A 1-D convolution over (c x t), kernel `k`, dilation `d`, stride `s`, padding (k - 1) / 2 x d: out (o x to).
static inline __attribute__((always_inline)) void conv1d(const float *in, int c, int t, int k, int d, int s, const float *w, const float *bias,
                                                         int o, float *out, float *cols, int to) {
    int pad = (k - 1) / 2 * d;
    for (int ch = 0; ch < c; ch++)
        for (int j = 0; j < k; j++) {
            float *col = cols + ((long)ch * k + j) * to;
            const float *src = in + (long)ch * t;
            for (int x = 0; x < to; x++) { int sx = x * s + j * d - pad; col[x] = sx >= 0 && sx < t ? src[sx] : 0; }
        }
    gemm(o, to, c * k, w, cols, to, bias, out, to);
}

VECTOR_CLONES int tb_speaker_model_embed(const float *fbank, int frames, float *embedding) {
    if (frames <= 0) return -1;
    const int t = frames, t2 = (frames - 1) / 2 + 1;
    // Working memory: the head's maps (32 x 80 x t, three of them), its unrolled columns (288 x 4 bands x t
    // at a time, see conv3x3), the dense blocks' channels (up to 1024 x t2, twice) and their columns:
    // about 10,800 floats (43 KB) a frame.
    long head = (long)M * BANDS * t, columns = (long)M * 9 * CONV_ROWS * t;
    // The strided shortcut's input bands share the columns' memory (the first convolution, one input
    // channel, needs less than either).
    if (columns < (long)M * (BANDS / 2) * t) columns = (long)M * (BANDS / 2) * t;
    long dense = 1024L * t2, denseColumns = 320L * 5 * t2;
    if (denseColumns < 128L * 3 * t2) denseColumns = 128L * 3 * t2;
    float *buffer = malloc(sizeof(float) * (3 * head + columns + 2 * dense + denseColumns + BOTTLENECK * (long)t2));
    if (!buffer) return -1;
    float *x = buffer, *y = x + head, *z = y + head, *cols = z + head;
    float *d0 = cols + columns, *d1 = d0 + dense, *dcols = d1 + dense, *h = dcols + denseColumns;
    const float *w = (const float *)weight_bytes;

    // The input, band-major (1 x 80 x t), less each band's mean over the frames.
    for (int b = 0; b < BANDS; b++) {
        double mean = 0;
        for (int i = 0; i < t; i++) mean += fbank[(long)i * BANDS + b];
        mean /= t;
        for (int i = 0; i < t; i++) x[(long)b * t + i] = fbank[(long)i * BANDS + b] - (float)mean;
    }
    // FCM head.
    int f = BANDS;
    conv3x3(x, 1, f, t, 1, w, w + M * 9, M, y, cols); w += M * 9 + M;
    for (long i = 0; i < (long)M * f * t; i++) y[i] = relu(y[i]);
    for (int block = 0; block < 4; block++) {
        int stride = block % 2 == 0 ? 2 : 1, fo = (f - 1) / stride + 1;
        long size = (long)M * fo * t;
        const float *w1 = w, *b1 = w1 + M * M * 9, *w2 = b1 + M, *b2 = w2 + M * M * 9;
        w = b2 + M;
        conv3x3(y, M, f, t, stride, w1, b1, M, z, cols);
        for (long i = 0; i < size; i++) z[i] = relu(z[i]);
        conv3x3(z, M, fo, t, 1, w2, b2, M, x, cols);
        if (stride != 1) {
            // The 1x1 shortcut with the same stride: the strided input's bands, unrolled, then a product.
            const float *ws = w, *bs = w + M * M;
            w = bs + M;
            for (int ch = 0; ch < M; ch++)
                for (int yy = 0; yy < fo; yy++) memcpy(cols + ((long)ch * fo + yy) * t, y + ((long)ch * f + yy * stride) * t, sizeof(float) * t);
            gemm(M, fo * t, M, ws, cols, fo * t, bs, z, fo * t);
            for (long i = 0; i < size; i++) x[i] = relu(x[i] + z[i]);
        } else {
            for (long i = 0; i < size; i++) x[i] = relu(x[i] + y[i]);
        }
        float *swap = y; y = x; x = swap;
        f = fo;
    }
    conv3x3(y, M, f, t, 2, w, w + M * M * 9, M, x, cols); w += M * M * 9 + M;
    f = (f - 1) / 2 + 1;   // 10 bands: 320 channels (channel-major, then band)
    for (long i = 0; i < (long)M * f * t; i++) x[i] = relu(x[i]);
    // TDNN.
    int c = M * f;
    conv1d(x, c, t, 5, 1, 2, w, w + 128 * c * 5, 128, d0, dcols, t2); w += 128 * c * 5 + 128;
    c = 128;
    for (long i = 0; i < (long)c * t2; i++) d0[i] = relu(d0[i]);
    // Dense blocks: d0 holds the channels so far, a layer appends 32.
    int segments = (t2 + SEGMENT - 1) / SEGMENT;
    for (int b = 0; b < 3; b++) {
        for (int l = 0; l < layers[b]; l++) {
            const float *scale = w, *shift = w + c, *w1 = shift + c, *b1 = w1 + BOTTLENECK * c;
            const float *local = b1 + BOTTLENECK, *g1 = local + GROWTH * BOTTLENECK * 3, *gb1 = g1 + 64 * BOTTLENECK;
            const float *g2 = gb1 + 64, *gb2 = g2 + GROWTH * 64;
            w = gb2 + GROWTH;
            for (int ch = 0; ch < c; ch++)
                for (int i = 0; i < t2; i++) d1[(long)ch * t2 + i] = relu(d0[(long)ch * t2 + i] * scale[ch] + shift[ch]);
            gemm(BOTTLENECK, t2, c, w1, d1, t2, b1, h, t2);
            for (long i = 0; i < (long)BOTTLENECK * t2; i++) h[i] = relu(h[i]);
            float *out = d0 + (long)c * t2;
            conv1d(h, BOTTLENECK, t2, 3, dilations[b], 1, local, NULL, GROWTH, out, dcols, t2);
            // The gate: from the mean over all frames plus the mean over the frame's segment of 100.
            for (int s = 0; s < segments; s++) {
                int from = s * SEGMENT, to = from + SEGMENT < t2 ? from + SEGMENT : t2;
                float context[BOTTLENECK], hidden[64], gate[GROWTH];
                for (int ch = 0; ch < BOTTLENECK; ch++) {
                    const float *row = h + (long)ch * t2;
                    double all = 0, part = 0;
                    for (int i = 0; i < t2; i++) all += row[i];
                    for (int i = from; i < to; i++) part += row[i];
                    context[ch] = (float)(all / t2 + part / (to - from));
                }
                for (int j = 0; j < 64; j++) {
                    float v = gb1[j];
                    for (int ch = 0; ch < BOTTLENECK; ch++) v += g1[j * BOTTLENECK + ch] * context[ch];
                    hidden[j] = relu(v);
                }
                for (int j = 0; j < GROWTH; j++) {
                    float v = gb2[j];
                    for (int i = 0; i < 64; i++) v += g2[j * 64 + i] * hidden[i];
                    v = fminf(fmaxf(v, -30.0f), 30.0f);   // -ffast-math: keep expf finite
                    gate[j] = 1.0f / (1.0f + expf(-v));
                }
                for (int j = 0; j < GROWTH; j++)
                    for (int i = from; i < to; i++) out[(long)j * t2 + i] *= gate[j];
            }
            c += GROWTH;
        }
        const float *scale = w, *shift = w + c, *wt = shift + c;
        w = wt + (c / 2) * c;
        for (int ch = 0; ch < c; ch++)
            for (int i = 0; i < t2; i++) d1[(long)ch * t2 + i] = relu(d0[(long)ch * t2 + i] * scale[ch] + shift[ch]);
        gemm(c / 2, t2, c, wt, d1, t2, NULL, d0, t2);
        c /= 2;
    }
    // Statistics pooling and the embedding.
    const float *scale = w, *shift = w + c, *wd = shift + c, *bd = wd + EMBEDDING * 2 * c;
    float stats[1024];
    for (int ch = 0; ch < c; ch++) {
        double sum = 0, squares = 0;
        for (int i = 0; i < t2; i++) { float v = relu(d0[(long)ch * t2 + i] * scale[ch] + shift[ch]); sum += v; squares += (double)v * v; }
        double mean = sum / t2;
        stats[ch] = (float)mean;
        stats[c + ch] = t2 > 1 ? (float)sqrt(fmax(0, (squares - t2 * mean * mean) / (t2 - 1))) : 1e-2f;
    }
    for (int j = 0; j < EMBEDDING; j++) {
        float v = bd[j];
        for (int i = 0; i < 2 * c; i++) v += wd[(long)j * 2 * c + i] * stats[i];
        embedding[j] = v;
    }
    free(buffer);
    return 0;
}
