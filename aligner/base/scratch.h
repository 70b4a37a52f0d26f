// Per-thread work arrays sized for the sentence pair at hand.
#ifndef ALIGNER_BASE_SCRATCH_H_
#define ALIGNER_BASE_SCRATCH_H_

#include <cstddef>
#include <vector>

namespace aligner {

// The E-step and decoding keep their per-pair arrays from one pair to the
// next (thread_local), so that a pair costs no allocation. A vector never
// gives memory back, though: after one pair of 1,000 x 800 words, each of a
// thread's dozen arrays would keep its 6 MB for the rest of the run (on all
// 1.13M Hansards pairs, 470 MB of the heap's 841 MB peak was such arrays,
// most sized for a few rare long pairs). ResizeScratch frees an array
// holding more than kScratchKeepBytes and over four times what the pair
// needs before resizing it: ordinary pairs never reach the bound, and the
// trainers visit pairs sorted by lengths, so a long pair's arrays are freed
// once, when the pairs after it are shorter.
inline constexpr size_t kScratchKeepBytes = size_t{1} << 20;

// Whether `v` holds much more than `n` elements need (see above).
template <typename T>
bool ScratchIsOversized(const std::vector<T>& v, size_t n) {
  return v.capacity() * sizeof(T) > kScratchKeepBytes && v.capacity() / 4 > n;
}

// v->resize(n), first freeing an oversized array. Elements kept are not
// guaranteed: callers write what they read.
template <typename T>
void ResizeScratch(std::vector<T>* v, size_t n) {
  if (ScratchIsOversized(*v, n)) std::vector<T>().swap(*v);
  v->resize(n);
}

// v->assign(n, value), first freeing an oversized array.
template <typename T>
void AssignScratch(std::vector<T>* v, size_t n, const T& value) {
  if (ScratchIsOversized(*v, n)) std::vector<T>().swap(*v);
  v->assign(n, value);
}

}  // namespace aligner

#endif  // ALIGNER_BASE_SCRATCH_H_
