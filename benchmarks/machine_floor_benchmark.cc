// This machine's limits for the E-step, independent of the aligner's code:
// how long a random access into an array of a translation table's size
// takes (dependent: the latency; independent: the throughput that
// memory-level parallelism allows; as an atomic add, as the shared counts
// take it), and the peak rate of the forward-backward's multiply-add over
// doubles, vectorized as the HMM's loops are (separate multiply and add: the
// build has no FMA contraction). docs/performance.md turns these into a floor
// per model.
//
//   build-bench/machine_floor_benchmark --benchmark_counters_tabular=true
//
// Sizes are MiB of the array accessed (1 MiB to 2 GiB); the memory comes
// from mmap with MADV_HUGEPAGE, as the table's does (aligner/base/huge_pages).
//
// BM_TableAccessReplay replays a real E-step's table accesses, written by
// scripts/write_slot_stream.py (ALIGNER_SLOT_STREAM=FILE; skipped without).
#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <numeric>
#include <random>
#include <vector>

#include "benchmark/benchmark.h"

namespace {

constexpr size_t kMiB = size_t{1} << 20;
constexpr size_t kLine = 64;

// An mmap'ed block advised to use transparent huge pages; unmapped on exit.
class LargeBlock {
 public:
  explicit LargeBlock(size_t bytes) : bytes_(bytes) {
    void* p = mmap(nullptr, bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
      data_ = nullptr;
      return;
    }
    madvise(p, bytes_, MADV_HUGEPAGE);
    data_ = static_cast<char*>(p);
  }
  ~LargeBlock() {
    if (data_ != nullptr) munmap(data_, bytes_);
  }
  LargeBlock(const LargeBlock&) = delete;
  LargeBlock& operator=(const LargeBlock&) = delete;
  char* data() const { return data_; }
  size_t bytes() const { return bytes_; }

 private:
  size_t bytes_;
  char* data_;
};

void SizesInMiB(benchmark::internal::Benchmark* b) {
  for (int64_t mib = 1; mib <= 2048; mib *= 4) b->Arg(mib);
  b->Arg(2048);
}

// Dependent loads: every cache line of the array holds the index of the
// next in one random cycle through all lines (Sattolo's shuffle), so each
// load waits for the one before: the latency of a random access.
void BM_PointerChase(benchmark::State& state) {
  const size_t bytes = static_cast<size_t>(state.range(0)) * kMiB;
  LargeBlock block(bytes);
  if (block.data() == nullptr) {
    state.SkipWithError("mmap failed");
    return;
  }
  const size_t lines = bytes / kLine;
  std::vector<uint32_t> order(lines);
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(42);
  for (size_t i = lines - 1; i > 0; --i) {  // Sattolo: one cycle through all
    std::uniform_int_distribution<size_t> pick(0, i - 1);
    std::swap(order[i], order[pick(rng)]);
  }
  auto line = [&](size_t k) { return reinterpret_cast<uint64_t*>(block.data() + k * kLine); };
  for (size_t k = 0; k < lines; ++k) *line(order[k]) = order[(k + 1) % lines];
  std::vector<uint32_t>().swap(order);
  constexpr int64_t kSteps = 1 << 20;
  uint64_t at = 0;
  for (auto _ : state) {
    for (int64_t s = 0; s < kSteps; ++s) at = *line(at);
    benchmark::DoNotOptimize(at);
  }
  state.counters["ns_per_load"] = benchmark::Counter(
      static_cast<double>(kSteps),
      benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_PointerChase)->Apply(SizesInMiB)->Unit(benchmark::kMillisecond);

// Random indices into a block, 8-byte words, spread over all of it.
std::vector<uint32_t> RandomWordIndices(size_t words, size_t n) {
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<uint64_t> pick(0, words - 1);
  std::vector<uint32_t> indices(n);
  for (auto& i : indices) i = static_cast<uint32_t>(pick(rng));
  return indices;
}

constexpr size_t kAccesses = size_t{1} << 22;  // 16 MiB of indices, streamed

// Independent loads at random places (the indices are read in order): the
// core keeps many misses in flight, as the E-step's batched table lookups
// can. ns per load at full overlap.
void BM_IndependentRandomLoads(benchmark::State& state) {
  const size_t bytes = static_cast<size_t>(state.range(0)) * kMiB;
  LargeBlock block(bytes);
  if (block.data() == nullptr) {
    state.SkipWithError("mmap failed");
    return;
  }
  const size_t words = bytes / sizeof(uint64_t);
  auto* data = reinterpret_cast<uint64_t*>(block.data());
  for (size_t i = 0; i < words; ++i) data[i] = i;
  const std::vector<uint32_t> indices = RandomWordIndices(words, kAccesses);
  for (auto _ : state) {
    uint64_t sum = 0;
    for (uint32_t i : indices) sum += data[i];
    benchmark::DoNotOptimize(sum);
  }
  state.counters["ns_per_load"] = benchmark::Counter(
      static_cast<double>(kAccesses),
      benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_IndependentRandomLoads)->Apply(SizesInMiB)->Unit(benchmark::kMillisecond);

// Atomic adds (relaxed fetch_add, a locked instruction on x86) at random
// places, as the E-step adds expected counts into the one shared array;
// range(1) is how many adds ahead the line is prefetched (0: none), as
// PairLookup::PrefetchCounts does before forward-backward.
void BM_RandomAtomicAdds(benchmark::State& state) {
  const size_t bytes = static_cast<size_t>(state.range(0)) * kMiB;
  const size_t ahead = static_cast<size_t>(state.range(1));
  LargeBlock block(bytes);
  if (block.data() == nullptr) {
    state.SkipWithError("mmap failed");
    return;
  }
  const size_t words = bytes / sizeof(uint64_t);
  auto* data = reinterpret_cast<std::atomic<uint64_t>*>(block.data());
  std::memset(block.data(), 0, bytes);
  const std::vector<uint32_t> indices = RandomWordIndices(words, kAccesses);
  for (auto _ : state) {
    for (size_t k = 0; k < kAccesses; ++k) {
      if (ahead != 0 && k + ahead < kAccesses) __builtin_prefetch(&data[indices[k + ahead]], 1);
      data[indices[k]].fetch_add(k, std::memory_order_relaxed);
    }
  }
  state.counters["ns_per_add"] = benchmark::Counter(
      static_cast<double>(kAccesses),
      benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_RandomAtomicAdds)
    ->ArgsProduct({{1, 16, 256, 2048}, {0, 16}})
    ->Unit(benchmark::kMillisecond);

// The memory traffic of one E-step over a real corpus and nothing else: for
// every distinct (e, f) of every pair, in corpus order, read the slot's
// target id (where the lookup's search ends) and t(f|e), and add to its
// count: plainly (range(0) = 0), atomically (1), or atomically with the
// count's line prefetched 16 slots ahead (2), as the aligner does. The time
// per slot, over the distinct (e, f) per link, is the E-step's memory floor
// with the corpus's own cache hits (frequent words) and misses.
void BM_TableAccessReplay(benchmark::State& state) {
  const char* path = std::getenv("ALIGNER_SLOT_STREAM");
  if (path == nullptr) {
    state.SkipWithError("set ALIGNER_SLOT_STREAM (scripts/write_slot_stream.py)");
    return;
  }
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) {
    state.SkipWithError("cannot read ALIGNER_SLOT_STREAM");
    return;
  }
  std::vector<uint32_t> stream(static_cast<size_t>(in.tellg()) / sizeof(uint32_t));
  in.seekg(0);
  in.read(reinterpret_cast<char*>(stream.data()), static_cast<std::streamsize>(stream.size() * 4));
  const size_t entries = *std::max_element(stream.begin(), stream.end()) + size_t{1};
  LargeBlock target_block(entries * 4 + kMiB), prob_block(entries * 4 + kMiB),
      count_block(entries * 8 + kMiB);
  auto* targets = reinterpret_cast<uint32_t*>(target_block.data());
  auto* probs = reinterpret_cast<float*>(prob_block.data());
  auto* counts = reinterpret_cast<std::atomic<int64_t>*>(count_block.data());
  for (size_t k = 0; k < entries; ++k) {
    targets[k] = static_cast<uint32_t>(k);
    probs[k] = 1e-3f;
  }
  std::memset(count_block.data(), 0, entries * 8);
  const int variant = static_cast<int>(state.range(0));
  for (auto _ : state) {
    double sum = 0;
    uint64_t found = 0;
    const size_t n = stream.size();
    for (size_t k = 0; k < n; ++k) {
      const uint32_t slot = stream[k];
      found += targets[slot];
      sum += probs[slot];
      if (variant == 0) {
        counts[slot].store(counts[slot].load(std::memory_order_relaxed) + 1,
                           std::memory_order_relaxed);
      } else {
        if (variant == 2 && k + 16 < n) __builtin_prefetch(&counts[stream[k + 16]], 1);
        counts[slot].fetch_add(1, std::memory_order_relaxed);
      }
    }
    benchmark::DoNotOptimize(sum);
    benchmark::DoNotOptimize(found);
  }
  state.counters["ns_per_slot"] = benchmark::Counter(
      static_cast<double>(stream.size()),
      benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
  state.counters["table_MiB"] = static_cast<double>(entries * 16) / kMiB;
}
BENCHMARK(BM_TableAccessReplay)->Arg(0)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond);

using Vec8 = double __attribute__((vector_size(64)));

// The peak of separate vector multiplies and adds on doubles, from
// registers: kChains independent accumulators hide the add latency.
void BM_PeakMultiplyAdd(benchmark::State& state) {
  constexpr int kChains = 12;
  Vec8 acc[kChains];
  Vec8 x, y;
  for (int k = 0; k < 8; ++k) {
    x[k] = 1.0 + 1e-9 * k;
    y[k] = 1e-12;
  }
  for (int c = 0; c < kChains; ++c) acc[c] = x * (c + 1);
  constexpr int64_t kSteps = 1 << 16;
  for (auto _ : state) {
    for (int64_t s = 0; s < kSteps; ++s) {
#pragma GCC unroll 12
      for (int c = 0; c < kChains; ++c) acc[c] += acc[c] * y;  // one multiply, one add
      // Keep the compiler from folding the chains away.
      asm volatile("" : "+v"(y));
    }
  }
  double sum = 0;
  for (int c = 0; c < kChains; ++c) sum += acc[c][0];
  benchmark::DoNotOptimize(sum);
  const double multiply_adds = static_cast<double>(kSteps) * kChains * 8;
  state.counters["Gmuladd_per_s"] =
      benchmark::Counter(multiply_adds * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_PeakMultiplyAdd);

// The forward-backward's inner step, out[i] = sum_k x[k] M[k][i] over an
// (l + 1) x l matrix of jump weights in cache, 8 doubles per vector and the
// sums kept in up to 4 vectors (32 columns), as HmmModel's AccumulateRows:
// the rate the HMM's arithmetic can reach on a sentence of l words.
template <int kVectors>
void AccumulateColumns(const double* x, size_t rows, const double* matrix, size_t stride,
                       double* out) {
  Vec8 acc[kVectors] = {};
  for (size_t k = 0; k < rows; ++k) {
    const double xk = x[k];
    const double* row = matrix + k * stride;
#pragma GCC unroll 4
    for (int v = 0; v < kVectors; ++v) {
      Vec8 values;
      std::memcpy(&values, row + 8 * v, sizeof(values));
      acc[v] += xk * values;
    }
  }
  std::memcpy(out, acc, sizeof(acc));
}

void BM_ForwardBackwardRowSums(benchmark::State& state) {
  const size_t l = static_cast<size_t>(state.range(0));
  const size_t rows = l + 1, stride = l + 32;  // padded rows, as the model's
  std::vector<double> matrix(rows * stride + 32, 0.5), x(rows, 0.25), out(l + 32);
  for (size_t k = 0; k < matrix.size(); ++k) matrix[k] = 1.0 / (1.0 + static_cast<double>(k % 97));
  constexpr int64_t kSteps = 1024;
  for (auto _ : state) {
    for (int64_t s = 0; s < kSteps; ++s) {
      for (size_t i = 0; i < l; i += 32) {
        const size_t width = std::min<size_t>(32, l - i);
        switch ((width + 7) / 8) {
          case 1:
            AccumulateColumns<1>(x.data(), rows, matrix.data() + i, stride, out.data() + i);
            break;
          case 2:
            AccumulateColumns<2>(x.data(), rows, matrix.data() + i, stride, out.data() + i);
            break;
          case 3:
            AccumulateColumns<3>(x.data(), rows, matrix.data() + i, stride, out.data() + i);
            break;
          default:
            AccumulateColumns<4>(x.data(), rows, matrix.data() + i, stride, out.data() + i);
            break;
        }
      }
      benchmark::DoNotOptimize(out.data());
      benchmark::ClobberMemory();
    }
  }
  // Useful multiply-adds: (l + 1) l per call (lanes past l are padding).
  const double multiply_adds = static_cast<double>(kSteps) * static_cast<double>(rows * l);
  state.counters["Gmuladd_per_s"] =
      benchmark::Counter(multiply_adds * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_ForwardBackwardRowSums)->Arg(8)->Arg(16)->Arg(21)->Arg(32)->Arg(48)->Arg(64);

}  // namespace
