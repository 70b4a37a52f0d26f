// Parallel work over items 0..n-1 whose results must be consumed strictly in
// order (written to a file, say), without holding all n results at once.
#ifndef ALIGNER_BASE_ORDERED_BLOCKS_H_
#define ALIGNER_BASE_ORDERED_BLOCKS_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

#include "aligner/base/progress.h"
#include "tbb/blocked_range.h"
#include "tbb/parallel_for.h"
#include "tbb/task_group.h"

namespace aligner {

// Computes `compute(k, &results[k])` for k in blocks of `block_size` in
// parallel and calls `consume(k, result)` for every k in increasing order,
// from the calling thread. While block b is consumed, block b + 1 is already
// being computed: the sequential consumer (formatting and writing output)
// overlaps the parallel work instead of idling every other thread. Two
// blocks of results are alive at a time. Call inside a task_arena to bound
// the threads used. `progress`, when given, counts the computed items, one
// Add per TBB sub-range. `visit_key`, when given, orders the computations
// within each block by increasing visit_key(k), ties by k: a decoder passes
// a pair's lengths, so that consecutive pairs share what a thread keeps per
// lengths (the HMM's jump tables). What is consumed, and in which order, is
// the same.
template <typename Result, typename Compute, typename Consume>
void ForEachInOrder(size_t n, size_t block_size, Compute&& compute, Consume&& consume,
                    ProgressCounter* progress = nullptr,
                    const std::function<uint64_t(size_t)>& visit_key = nullptr) {
  if (n == 0) return;
  block_size = std::max<size_t>(block_size, 1);
  std::vector<Result> buffers[2];
  const size_t first = std::min(n, block_size);
  buffers[0].resize(first);
  buffers[1].resize(first);
  std::vector<std::pair<uint64_t, size_t>> orders[2];  // (key, k) per buffer
  auto compute_block = [&](size_t begin, size_t b) {
    const size_t end = std::min(n, begin + block_size);
    std::vector<Result>& out = buffers[b];
    std::vector<std::pair<uint64_t, size_t>>& order = orders[b];
    if (visit_key) {
      order.clear();
      for (size_t k = begin; k < end; ++k) order.emplace_back(visit_key(k), k);
      std::sort(order.begin(), order.end());
    }
    tbb::parallel_for(tbb::blocked_range<size_t>(begin, end),
                      [&](const tbb::blocked_range<size_t>& range) {
                        for (size_t p = range.begin(); p != range.end(); ++p) {
                          const size_t k = visit_key ? order[p - begin].second : p;
                          compute(k, &out[k - begin]);
                        }
                        if (progress != nullptr) progress->Add(range.size());
                      });
  };
  compute_block(0, 0);
  for (size_t begin = 0, b = 0; begin < n; begin += block_size, b ^= 1) {
    const size_t next = begin + block_size;
    tbb::task_group ahead;
    if (next < n) ahead.run([&, next, b] { compute_block(next, b ^ 1); });
    const size_t end = std::min(n, next);
    for (size_t k = begin; k < end; ++k) consume(k, buffers[b][k - begin]);
    ahead.wait();
  }
}

}  // namespace aligner

#endif  // ALIGNER_BASE_ORDERED_BLOCKS_H_
