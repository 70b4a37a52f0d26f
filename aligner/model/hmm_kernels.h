// The HMM's vector kernels, shared by forward-backward and Viterbi (one
// translation unit each): inline, so each loop is compiled where it runs.
#ifndef ALIGNER_MODEL_HMM_KERNELS_H_
#define ALIGNER_MODEL_HMM_KERNELS_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>

namespace aligner {
namespace hmm {

// Keeps log() finite and divisions defined if a position's mass underflows.
inline constexpr double kMinScale = 1e-300;

// Forward-backward's inner loops: out[i] = sum over k < rows, in order of k,
// of x[k * x_stride] * matrix[k * matrix_stride + i], for i < n. The sums are
// kept in registers for up to 32 columns at a time, instead of loading and
// storing out[] once per k; each out[i] still adds the same products in the
// same order, so the result is bit-identical to the plain loop. Terms with
// x = 0 are skipped (they would add +0). Reads up to kRowPadding entries
// past the n of the last row: pad `matrix` with that many.
inline constexpr size_t kRowPadding = 32;
using Vec8 = double __attribute__((vector_size(64)));

template <int kVectors>
inline void AccumulateColumns(const double* x, size_t x_stride, size_t rows, const double* matrix,
                              size_t matrix_stride, size_t width, double* out) {
  Vec8 acc[kVectors] = {};
  for (size_t k = 0; k < rows; ++k) {
    const double xk = x[k * x_stride];
    if (xk == 0) continue;
    const double* row = matrix + k * matrix_stride;
#pragma GCC unroll 4
    for (int v = 0; v < kVectors; ++v) {
      Vec8 values;
      std::memcpy(&values, row + 8 * v, sizeof(values));
      acc[v] += xk * values;
    }
  }
  double sums[8 * kVectors];
  std::memcpy(sums, acc, sizeof(sums));
  std::memcpy(out, sums, width * sizeof(double));
}

// The first r < n with the largest best[r] * column[r], as a scan that keeps
// the first of equal values finds it, and that product (into *top). Eight
// lanes at a time, each keeping its own first maximum; then the best lane,
// the lowest position among equals. Products are >= 0.
using Index8 = int64_t __attribute__((vector_size(64)));
inline uint32_t FirstArgMax(const double* best, const double* column, uint32_t n, double* top) {
  double top_value = -1;
  int64_t arg = 0;
  uint32_t r = 0;
  if (n >= 8) {
    Vec8 b, c;
    std::memcpy(&b, best, sizeof(b));
    std::memcpy(&c, column, sizeof(c));
    Vec8 lane_max = b * c;
    const Index8 lanes = {0, 1, 2, 3, 4, 5, 6, 7};
    Index8 lane_arg = lanes;
    for (r = 8; r + 8 <= n; r += 8) {
      std::memcpy(&b, best + r, sizeof(b));
      std::memcpy(&c, column + r, sizeof(c));
      const Vec8 values = b * c;
      const auto greater = values > lane_max;
      lane_max = greater ? values : lane_max;
      lane_arg = greater ? lanes + static_cast<int64_t>(r) : lane_arg;
    }
    for (int k = 0; k < 8; ++k) {
      if (lane_max[k] > top_value || (lane_max[k] == top_value && lane_arg[k] < arg)) {
        top_value = lane_max[k];
        arg = lane_arg[k];
      }
    }
  }
  for (; r < n; ++r) {
    const double value = best[r] * column[r];
    if (value > top_value) {
      top_value = value;
      arg = r;
    }
  }
  *top = top_value;
  return static_cast<uint32_t>(arg);
}

inline void AccumulateRows(const double* x, size_t x_stride, size_t rows, const double* matrix,
                           size_t matrix_stride, size_t n, double* out) {
  for (size_t i = 0; i < n; i += 32) {
    const size_t width = std::min<size_t>(32, n - i);
    switch ((width + 7) / 8) {
      case 1:
        AccumulateColumns<1>(x, x_stride, rows, matrix + i, matrix_stride, width, out + i);
        break;
      case 2:
        AccumulateColumns<2>(x, x_stride, rows, matrix + i, matrix_stride, width, out + i);
        break;
      case 3:
        AccumulateColumns<3>(x, x_stride, rows, matrix + i, matrix_stride, width, out + i);
        break;
      default:
        AccumulateColumns<4>(x, x_stride, rows, matrix + i, matrix_stride, width, out + i);
        break;
    }
  }
}

}  // namespace hmm
}  // namespace aligner

#endif  // ALIGNER_MODEL_HMM_KERNELS_H_
