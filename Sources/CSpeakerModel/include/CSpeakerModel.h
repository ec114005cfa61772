// The speaker-embedding network of the offline room analysis (CAM++, 3D-Speaker, Apache 2.0): its weights
// (speaker_model_weights.bin, written by tools/speaker-model, embedded at compile time) and its forward pass.
#ifndef CSPEAKERMODEL_H
#define CSPEAKERMODEL_H

extern const unsigned long tb_speaker_model_weight_count;

enum { TB_SPEAKER_MODEL_BANDS = 80, TB_SPEAKER_MODEL_EMBEDDING = 192 };

/// How many weights the forward pass reads (must equal tb_speaker_model_weight_count).
unsigned long tb_speaker_model_expected_count(void);

/// How the network's large products are computed.
typedef enum {
    /// In float, as the network was trained.
    TB_SPEAKER_MODEL_FLOAT = 0,
    /// On 8-bit steps (weights per output channel, inputs per map), summed exactly in 32-bit integers:
    /// with AVX-512 VNNI where the CPU has it, else in plain C, to the same bits.
    TB_SPEAKER_MODEL_EIGHT_BIT = 1,
    /// The same in plain C whatever the CPU (to check the two agree).
    TB_SPEAKER_MODEL_EIGHT_BIT_PLAIN = 2
} tb_speaker_model_precision;

/// 1 when this CPU runs the 8-bit products fast (AVX-512 VNNI with 256-bit registers), else 0: without
/// it they run in plain C, much slower than in float.
int tb_speaker_model_fast_eight_bit(void);

/// The embedding (192 floats, not normalised) of one stretch of `frames` frames (at least 1) of 80 log
/// mel-band energies at `fbank`, frame-major. The frames' mean is taken off each band first, as the
/// network was trained. Allocates its working memory (about frames x 45 KB) and frees it before
/// returning; returns 0, or -1 when that allocation fails or `frames` is not positive (nothing written).
/// The first 8-bit call quantizes the weights (about 7 MB, kept for the life of the process).
int tb_speaker_model_embed(const float *fbank, int frames, float *embedding, tb_speaker_model_precision precision);

#endif
