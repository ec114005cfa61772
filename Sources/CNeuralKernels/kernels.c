// The repacking of weights the shared kernels read (CNeuralKernels.h).
#include "CNeuralKernels.h"

void tb_pack_panels(float *panels, const float *matrix, int outputs, int inputs, int lstm_hidden) {
    for (int p = 0; p < outputs / TB_GEMM_PANEL; p++)
        for (int i = 0; i < inputs; i++)
            for (int j = 0; j < TB_GEMM_PANEL; j++) {
                int row = lstm_hidden ? tb_lstm_gate(p * TB_GEMM_PANEL + j, lstm_hidden) : p * TB_GEMM_PANEL + j;
                panels[((long)p * inputs + i) * TB_GEMM_PANEL + j] = matrix[(long)row * inputs + i];
            }
}

void tb_pack_recurrent(float *recurrent, float *packed_bias, const float *whh, const float *bias, int hidden) {
    for (int g = 0; g < 4 * hidden; g++) {
        int row = tb_lstm_gate(g, hidden);
        packed_bias[g] = bias[row];
        for (int k = 0; k < hidden; k++)
            recurrent[((long)(g / TB_LSTM_UNIT_GATES) * hidden + k) * TB_LSTM_UNIT_GATES + g % TB_LSTM_UNIT_GATES] = whh[(long)row * hidden + k];
    }
}
