// The forward pass of CAM++ (Wang et al. 2023; 3D-Speaker, Apache 2.0; the weights' provenance: tools/speaker-model),
// as PyTorch's eval mode computes it, with the batch normalisations that follow a convolution folded
// into it. Plain C, compiled -O3 -ffast-math (Package.swift); every convolution is a matrix product
// (`gemm`) over columns unrolled from its input, in float or, as the room analysis runs it, on 8-bit
// steps (`qgemm`, "8-bit products" below).
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
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "CSpeakerModel.h"
#if defined(__x86_64__)
#include <immintrin.h>
#endif

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

// Walks the weights in the order the forward pass reads them (see the top of the file): calls `product`
// (unless NULL) with the offset, rows and k of each large product, the ones the 8-bit path quantizes (not
// the head's first convolution, the gates or the last layer); returns how many weights there are.
typedef void (*ProductVisitor)(void *context, unsigned long offset, int rows, int k);
static unsigned long walk_weights(ProductVisitor product, void *context) {
#define PRODUCT(rows, k) do { if (product) product(context, n, (rows), (k)); } while (0)
    unsigned long n = M * 9 + M;
    for (int block = 0; block < 4; block++) {
        PRODUCT(M, M * 9); n += M * M * 9 + M;
        PRODUCT(M, M * 9); n += M * M * 9 + M;
        if (block % 2 == 0) { PRODUCT(M, M); n += M * M + M; }
    }
    PRODUCT(M, M * 9); n += M * M * 9 + M;
    PRODUCT(128, 320 * 5); n += 128 * 320 * 5 + 128;
    int c = 128;
    for (int b = 0; b < 3; b++) {
        for (int l = 0; l < layers[b]; l++) {
            n += 2 * c;
            PRODUCT(BOTTLENECK, c); n += BOTTLENECK * c + BOTTLENECK;
            PRODUCT(GROWTH, BOTTLENECK * 3); n += GROWTH * BOTTLENECK * 3 + 64 * BOTTLENECK + 64 + GROWTH * 64 + GROWTH;
            c += GROWTH;
        }
        n += 2 * c;
        PRODUCT(c / 2, c); n += (c / 2) * c;
        c /= 2;
    }
    n += 2 * c + EMBEDDING * 2 * c + EMBEDDING;
    return n;
#undef PRODUCT
}

unsigned long tb_speaker_model_expected_count(void) { return walk_weights(NULL, NULL); }

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

// Output bands unrolled at a time by the 3x3 convolutions (conv3x3, qconv3x3).
enum { CONV_ROWS = 4 };

// ---- 8-bit products ----
// Every large product's input is the output of a ReLU (never negative), so it is stored as unsigned
// 8-bit steps of one scale per map (its largest value / 255), and each weight row as signed 8-bit steps
// of one scale per output channel (its largest magnitude / 127). The sums of their products are exact
// 32-bit integers (at most 255 x 127 x 1600 in magnitude), so the AVX-512 VNNI kernel and the plain C
// one give the same bits; the output is that sum times the two scales, plus the bias.
//
// The products' input is packed four rows of k at a time: (k / 4) x n x 4 bytes, the four values of k
// that one VNNI instruction sums next to each other.
typedef struct { int rows, k; const int8_t *q; const float *scale; } QuantizedLayer;
enum { QUANTIZED_LAYERS = 11 + 1 + 2 * (12 + 24 + 16) + 3 };
static QuantizedLayer quantized[QUANTIZED_LAYERS];
static int quantized_ready;   // 1 when every layer is quantized, -1 when memory failed
static int has_vnni;          // the CPU has AVX-512 VNNI (with 256-bit registers); set with the layers
static pthread_once_t quantize_once = PTHREAD_ONCE_INIT;

// Quantizes the product at `offset` into the next of `quantized`; `context` counts them and failures.
typedef struct { int index, failed; } QuantizeProgress;
static void quantize_layer(void *context, unsigned long offset, int rows, int k) {
    QuantizeProgress *progress = context;
    if (progress->index >= QUANTIZED_LAYERS) { progress->failed = 1; return; }
    const float *w = (const float *)weight_bytes + offset;
    int8_t *q = malloc((size_t)rows * k);
    float *scale = malloc(sizeof(float) * rows);
    if (!q || !scale) { free(q); free(scale); progress->failed = 1; return; }
    for (int r = 0; r < rows; r++) {
        float largest = 0;
        for (int i = 0; i < k; i++) largest = fmaxf(largest, fabsf(w[(long)r * k + i]));
        float s = largest > 0 ? largest / 127.0f : 1.0f;
        scale[r] = s;
        for (int i = 0; i < k; i++) q[(long)r * k + i] = (int8_t)lrintf(w[(long)r * k + i] / s);
    }
    quantized[progress->index++] = (QuantizedLayer){rows, k, q, scale};
}

// Every large product quantized, once (under `quantize_once`).
static void quantize_all(void) {
    QuantizeProgress progress = {0, 0};
    walk_weights(quantize_layer, &progress);
    quantized_ready = progress.failed || progress.index != QUANTIZED_LAYERS ? -1 : 1;
    // The float weights (27 MB, read-only pages of the executable) were all read once to quantize them;
    // from now on the 8-bit products read their copy (7 MB) and the forward pass only the float
    // weights' small layers. So their pages are given back: the kernel reads any page touched again
    // from the executable, as it read it the first time (they are never written, and a running
    // executable cannot be written). Without this the bench's ten-minute room session peaked at 101 MB,
    // over tools/bench's 100 MB (91 MB in float); with it, 82 MB.
    long page = sysconf(_SC_PAGESIZE);
    if (page > 0) {
        unsigned long from = ((unsigned long)weight_bytes + page - 1) / page * page;
        unsigned long to = ((unsigned long)weight_bytes + sizeof(weight_bytes)) / page * page;
        if (to > from) madvise((void *)from, to - from, MADV_DONTNEED);
    }
    has_vnni = tb_speaker_model_fast_eight_bit();
}

int tb_speaker_model_fast_eight_bit(void) {
#if defined(__x86_64__)
    return __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512vl");
#else
    return 0;
#endif
}

// The file is compiled -ffast-math, which lets the compiler reorder and fuse float operations differently
// in each place it puts them: the 8-bit code's float steps (quantizing, scaling the sums) are kept exact
// as written, so the VNNI and plain C kernels round alike.
#pragma float_control(precise, on, push)

// The scale that maps a map's values (none negative) onto 0...255: its largest value / 255. (A scale per
// frame instead was no nearer the float embeddings, and slower.)
static float map_scale(const float *x, long count) {
    float largest = 0;
    for (long i = 0; i < count; i++) largest = x[i] > largest ? x[i] : largest;
    return largest > 0 ? largest / 255.0f : 1.0f;
}
static inline uint8_t step(float v, float inverse) {
    float s = v * inverse + 0.5f;
    return s <= 0 ? 0 : s >= 255 ? 255 : (uint8_t)s;
}
// Four rows of bytes into the packed layout: word x = the rows' bytes x, the first row lowest.
static inline void interleave(const uint8_t *r0, const uint8_t *r1, const uint8_t *r2, const uint8_t *r3, long n, uint32_t *out) {
    for (long x = 0; x < n; x++) out[x] = (uint32_t)r0[x] | (uint32_t)r1[x] << 8 | (uint32_t)r2[x] << 16 | (uint32_t)r3[x] << 24;
}

// out (rows x n, row stride ldo) = (a (rows x k, signed) . b (k x n, packed)) x the row's scale x the
// map's scale + bias: plain C, 64 columns at a time.
static void qgemm_plain(const QuantizedLayer *a, int n, const uint8_t *b, float bscale, const float *bias, float *out, int ldo) {
    const int k = a->k;
    for (int r = 0; r < a->rows; r++) {
        const int8_t *wr = a->q + (long)r * k;
        float s = a->scale[r] * bscale, add = bias ? bias[r] : 0;
        for (int j0 = 0; j0 < n; j0 += 64) {
            int nj = n - j0 < 64 ? n - j0 : 64;
            int32_t acc[64] = {0};
            for (int g = 0; g < k / 4; g++) {
                int32_t w0 = wr[4 * g], w1 = wr[4 * g + 1], w2 = wr[4 * g + 2], w3 = wr[4 * g + 3];
                const uint8_t *p = b + ((long)g * n + j0) * 4;
                for (int j = 0; j < nj; j++) acc[j] += w0 * p[4 * j] + w1 * p[4 * j + 1] + w2 * p[4 * j + 2] + w3 * p[4 * j + 3];
            }
            for (int j = 0; j < nj; j++) out[(long)r * ldo + j0 + j] = fmaf((float)acc[j], s, add);
        }
    }
}

#if defined(__x86_64__)
#define VNNI __attribute__((target("avx512vnni,avx512vl,avx512bw,avx512f,avx2,fma")))
// Tiles of `rows` (6, 2 or 1) x 16 columns: for each four values of k, two loads of 32 packed bytes and
// one broadcast of four weights a row; 12 accumulators of 8 sums at most.
static inline __attribute__((always_inline)) VNNI void qgemm_tile(const int rows, const QuantizedLayer *a, int r0, int n, int j0,
                                                                  const uint8_t *b, float bscale, const float *bias, float *out, int ldo) {
    const int k = a->k;
    __m256i acc[6][2];
    for (int r = 0; r < rows; r++) acc[r][0] = acc[r][1] = _mm256_setzero_si256();
    const uint8_t *p = b + (long)j0 * 4;
    const int8_t *wr = a->q + (long)r0 * k;
    for (int g = 0; g < k / 4; g++, p += (long)n * 4) {
        __m256i b0 = _mm256_loadu_si256((const __m256i *)p), b1 = _mm256_loadu_si256((const __m256i *)(p + 32));
        for (int r = 0; r < rows; r++) {
            int32_t four;
            memcpy(&four, wr + (long)r * k + 4 * g, 4);
            __m256i w4 = _mm256_set1_epi32(four);
            acc[r][0] = _mm256_dpbusd_epi32(acc[r][0], b0, w4);
            acc[r][1] = _mm256_dpbusd_epi32(acc[r][1], b1, w4);
        }
    }
    for (int r = 0; r < rows; r++) {
        __m256 s = _mm256_set1_ps(a->scale[r0 + r] * bscale), add = _mm256_set1_ps(bias ? bias[r0 + r] : 0);
        float *o = out + (long)(r0 + r) * ldo + j0;
        _mm256_storeu_ps(o, _mm256_fmadd_ps(_mm256_cvtepi32_ps(acc[r][0]), s, add));
        _mm256_storeu_ps(o + 8, _mm256_fmadd_ps(_mm256_cvtepi32_ps(acc[r][1]), s, add));
    }
}

static VNNI void qgemm_vnni(const QuantizedLayer *a, int n, const uint8_t *b, float bscale, const float *bias, float *out, int ldo) {
    for (int j0 = 0; j0 < n; j0 += 16) {
        // The last tile ends at n and overlaps the one before (its columns computed again, the same).
        if (j0 + 16 > n) j0 = n - 16;
        int r = 0;
        for (; r + 6 <= a->rows; r += 6) qgemm_tile(6, a, r, n, j0, b, bscale, bias, out, ldo);
        for (; r + 2 <= a->rows; r += 2) qgemm_tile(2, a, r, n, j0, b, bscale, bias, out, ldo);
        for (; r < a->rows; r++) qgemm_tile(1, a, r, n, j0, b, bscale, bias, out, ldo);
    }
}
#endif

static void qgemm(const QuantizedLayer *a, int n, const uint8_t *b, float bscale, const float *bias, float *out, int ldo, int plain) {
#if defined(__x86_64__)
    if (has_vnni && !plain && n >= 16) { qgemm_vnni(a, n, b, bscale, bias, out, ldo); return; }
#endif
    qgemm_plain(a, n, b, bscale, bias, out, ldo);
}

// A map of c rows of t values (none negative) quantized into rows of `pad` zero bytes, the t steps, `pad`
// zero bytes; then one more row of zeros (for the rows above and below a map). Returns its scale.
static float quantize_rows(const float *in, long c, int t, int pad, uint8_t *q) {
    long count = c * t, stride = t + 2L * pad;
    float s = map_scale(in, count), inverse = 1.0f / s;
    for (long ch = 0; ch < c; ch++) {
        uint8_t *row = q + ch * stride;
        memset(row, 0, pad);
        for (int x = 0; x < t; x++) row[pad + x] = step(in[ch * t + x], inverse);
        memset(row + pad + t, 0, pad);
    }
    memset(q + c * stride, 0, stride);
    return s;
}

// The 3x3 convolution of conv3x3 on 8-bit steps: `in` quantized once (rows padded by one zero on each
// side), its columns unrolled CONV_ROWS output bands at a time, four rows of k at once into the packed
// words.
static void qconv3x3(const float *in, int c, int f, int t, int stride, const QuantizedLayer *a, const float *bias,
                     float *out, uint8_t *qin, uint8_t *cols, int plain) {
    int fo = (f - 1) / stride + 1;
    long n = (long)fo * t, rowStride = t + 2;
    float s = quantize_rows(in, (long)c * f, t, 1, qin);
    const uint8_t *zeros = qin + (long)c * f * rowStride;
    for (int y0 = 0; y0 < fo; y0 += CONV_ROWS) {
        int rows = fo - y0 < CONV_ROWS ? fo - y0 : CONV_ROWS;
        long chunk = (long)rows * t;
        for (int g = 0; g < c * 9 / 4; g++)
            for (int y = y0; y < y0 + rows; y++) {
                const uint8_t *src[4];
                for (int q = 0; q < 4; q++) {
                    int kk = 4 * g + q, ch = kk / 9, di = kk % 9 / 3, dj = kk % 3, sy = y * stride + di - 1;
                    src[q] = (sy < 0 || sy >= f ? zeros : qin + ((long)ch * f + sy) * rowStride) + dj;
                }
                interleave(src[0], src[1], src[2], src[3], t, (uint32_t *)cols + (long)g * chunk + (long)(y - y0) * t);
            }
        qgemm(a, (int)chunk, cols, s, bias, out + (long)y0 * t, (int)n, plain);
    }
}

// The 1-D convolution of conv1d on 8-bit steps (input none negative), four rows of k at once.
static void qconv1d(const float *in, int c, int t, int k, int d, int stride, const QuantizedLayer *a, const float *bias,
                    float *out, uint8_t *qin, uint8_t *cols, int to, int plain) {
    int pad = (k - 1) / 2 * d;
    long rowStride = t + 2L * pad;
    float s = quantize_rows(in, c, t, pad, qin);
    uint8_t *gathered = qin + ((long)c + 1) * rowStride;   // four rows of `to`, strided
    for (int g = 0; g < c * k / 4; g++) {
        const uint8_t *src[4];
        for (int q = 0; q < 4; q++) {
            int kk = 4 * g + q, ch = kk / k, j = kk % k;
            const uint8_t *row = qin + (long)ch * rowStride + (long)j * d;
            if (stride == 1) src[q] = row;
            else {
                uint8_t *dst = gathered + (long)q * to;
                for (int x = 0; x < to; x++) dst[x] = row[(long)x * stride];
                src[q] = dst;
            }
        }
        interleave(src[0], src[1], src[2], src[3], to, (uint32_t *)cols + (long)g * to);
    }
    qgemm(a, to, cols, s, bias, out, to, plain);
}

// A product whose input is a (c x n) map (none negative): quantized, four rows at once into the packed
// words, then multiplied.
static void qproduct(const float *in, int c, int n, const QuantizedLayer *a, const float *bias, float *out, uint8_t *qin,
                     uint8_t *cols, int plain) {
    float s = quantize_rows(in, c, n, 0, qin);
    for (int g = 0; g < c / 4; g++) {
        const uint8_t *r = qin + (long)4 * g * n;
        interleave(r, r + n, r + 2L * n, r + 3L * n, n, (uint32_t *)cols + (long)g * n);
    }
    qgemm(a, n, cols, s, bias, out, n, plain);
}
#pragma float_control(pop)

// A 3x3 convolution over (c x f x t), padding 1, stride `stride` over the bands: out (o x fo x t).
// The unrolled columns are made `CONV_ROWS` output bands at a time (`cols` holds c x 9 x CONV_ROWS x t),
// so the working memory does not grow with the bands; each output is the same sum, in the same order.
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

VECTOR_CLONES int tb_speaker_model_embed(const float *fbank, int frames, float *embedding, tb_speaker_model_precision precision) {
    if (frames <= 0) return -1;
    const int eightBit = precision != TB_SPEAKER_MODEL_FLOAT, plain = precision == TB_SPEAKER_MODEL_EIGHT_BIT_PLAIN;
    if (eightBit) {
        pthread_once(&quantize_once, quantize_all);
        if (quantized_ready != 1) return -1;
    }
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
    long floats = 3 * head + columns + 2 * dense + denseColumns + BOTTLENECK * (long)t2;
    // With 8-bit products, after the floats: their input, the packed columns (the largest of the head's unrolled columns, the
    // strided shortcut's input, the TDNN's and the dense blocks' columns), then the quantized map (at
    // most the head's 32 x 80 rows of t + 2 and a row of zeros; the TDNN's 320 rows and four strided
    // rows need less).
    long quantizedMap = ((long)M * BANDS + 1) * (t + 4) + 4L * t2;
    long packed = (long)M * 9 * CONV_ROWS * t;
    if (packed < (long)M * (BANDS / 2) * t) packed = (long)M * (BANDS / 2) * t;
    if (packed < 320L * 5 * t2) packed = 320L * 5 * t2;
    if (packed < 1024L * t2) packed = 1024L * t2;
    float *buffer = malloc(sizeof(float) * (size_t)floats);
    uint8_t *qcols = eightBit ? malloc((size_t)(packed + quantizedMap)) : NULL;
    if (!buffer || (eightBit && !qcols)) { free(buffer); free(qcols); return -1; }
    uint8_t *qin = qcols ? qcols + packed : NULL;
    const QuantizedLayer *layer = quantized;
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
        if (eightBit) qconv3x3(y, M, f, t, stride, layer++, b1, z, qin, qcols, plain);
        else conv3x3(y, M, f, t, stride, w1, b1, M, z, cols);
        for (long i = 0; i < size; i++) z[i] = relu(z[i]);
        if (eightBit) qconv3x3(z, M, fo, t, 1, layer++, b2, x, qin, qcols, plain);
        else conv3x3(z, M, fo, t, 1, w2, b2, M, x, cols);
        if (stride != 1) {
            // The 1x1 shortcut with the same stride: the strided input's bands, unrolled, then a product.
            const float *ws = w, *bs = w + M * M;
            w = bs + M;
            for (int ch = 0; ch < M; ch++)
                for (int yy = 0; yy < fo; yy++) memcpy(cols + ((long)ch * fo + yy) * t, y + ((long)ch * f + yy * stride) * t, sizeof(float) * t);
            if (eightBit) qproduct(cols, M, fo * t, layer++, bs, z, qin, qcols, plain);
            else gemm(M, fo * t, M, ws, cols, fo * t, bs, z, fo * t);
            for (long i = 0; i < size; i++) x[i] = relu(x[i] + z[i]);
        } else {
            for (long i = 0; i < size; i++) x[i] = relu(x[i] + y[i]);
        }
        float *swap = y; y = x; x = swap;
        f = fo;
    }
    if (eightBit) qconv3x3(y, M, f, t, 2, layer++, w + M * M * 9, x, qin, qcols, plain);
    else conv3x3(y, M, f, t, 2, w, w + M * M * 9, M, x, cols);
    w += M * M * 9 + M;
    f = (f - 1) / 2 + 1;   // 10 bands: 320 channels (channel-major, then band)
    for (long i = 0; i < (long)M * f * t; i++) x[i] = relu(x[i]);
    // TDNN.
    int c = M * f;
    if (eightBit) qconv1d(x, c, t, 5, 1, 2, layer++, w + 128 * c * 5, d0, qin, qcols, t2, plain);
    else conv1d(x, c, t, 5, 1, 2, w, w + 128 * c * 5, 128, d0, dcols, t2);
    w += 128 * c * 5 + 128;
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
            if (eightBit) qproduct(d1, c, t2, layer++, b1, h, qin, qcols, plain);
            else gemm(BOTTLENECK, t2, c, w1, d1, t2, b1, h, t2);
            for (long i = 0; i < (long)BOTTLENECK * t2; i++) h[i] = relu(h[i]);
            float *out = d0 + (long)c * t2;
            if (eightBit) qconv1d(h, BOTTLENECK, t2, 3, dilations[b], 1, layer++, NULL, out, qin, qcols, t2, plain);
            else conv1d(h, BOTTLENECK, t2, 3, dilations[b], 1, local, NULL, GROWTH, out, dcols, t2);
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
        if (eightBit) qproduct(d1, c, t2, layer++, NULL, d0, qin, qcols, plain);
        else gemm(c / 2, t2, c, wt, d1, t2, NULL, d0, t2);
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
    free(qcols);
    return 0;
}
