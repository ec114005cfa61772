// The speaker-embedding network of the offline room analysis (CAM++, 3D-Speaker, Apache 2.0): its weights
// (speaker_model_weights.bin, written by tools/speaker-model, embedded at compile time) and its forward pass.
#ifndef CSPEAKERMODEL_H
#define CSPEAKERMODEL_H

extern const unsigned long tb_speaker_model_weight_count;

enum { TB_SPEAKER_MODEL_BANDS = 80, TB_SPEAKER_MODEL_EMBEDDING = 192 };

/// How many weights the forward pass reads (must equal tb_speaker_model_weight_count).
unsigned long tb_speaker_model_expected_count(void);

/// The embedding (192 floats, not normalised) of one stretch of `frames` frames (at least 1) of 80 log
/// mel-band energies at `fbank`, frame-major. The frames' mean is taken off each band first, as the
/// network was trained. Allocates its working memory (about frames x 45 KB) and frees it before
/// returning; returns 0, or -1 when that allocation fails or `frames` is not positive (nothing written).
int tb_speaker_model_embed(const float *fbank, int frames, float *embedding);

#endif
