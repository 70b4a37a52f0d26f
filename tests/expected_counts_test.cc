#include "aligner/model/expected_counts.h"

#include <cstdint>
#include <vector>

#include "gtest/gtest.h"
#include "tbb/blocked_range.h"
#include "tbb/enumerable_thread_specific.h"
#include "tbb/parallel_for.h"
#include "tbb/task_arena.h"

namespace aligner {
namespace {

// A fixed stream of (slot, value) adds: value k of slot (k * 7919) % slots,
// some negative, some below the fixed-point resolution.
struct Add {
  size_t slot;
  double value;
};
std::vector<Add> Adds(size_t slots, size_t n) {
  std::vector<Add> adds;
  for (size_t k = 0; k < n; ++k) {
    const double value = (k % 13 == 0 ? -1.0 : 1.0) * (k % 5 == 0 ? 1e-11 : 0.001 * (k % 997));
    adds.push_back({(k * 7919) % slots, value});
  }
  return adds;
}

// What one thread adding one after the other gets.
std::vector<int64_t> SerialSums(const std::vector<Add>& adds, size_t slots) {
  std::vector<int64_t> sums(slots, 0);
  for (const Add& add : adds) sums[add.slot] += FixedPointArray::ToFixed(add.value);
  return sums;
}

// Threads that keep the first `hot` slots' counts to themselves and add the
// rest to the shared array atomically end with the serial sums, for any hot
// share (none, some, all).
TEST(ExpectedCountsTest, HotSlotsAndSharedSlotsSumExactlyOnManyThreads) {
  constexpr size_t kSlots = 1000;
  const std::vector<Add> adds = Adds(kSlots, 200000);
  const std::vector<int64_t> expected = SerialSums(adds, kSlots);
  for (const size_t hot : {size_t{0}, size_t{10}, size_t{999}, size_t{5000}}) {
    ExpectedCounts total;
    total.Reset(kSlots, 0);
    tbb::enumerable_thread_specific<ExpectedCounts> locals;
    tbb::task_arena arena(4);
    arena.execute([&] {
      tbb::parallel_for(tbb::blocked_range<size_t>(0, adds.size(), 256),
                        [&](const tbb::blocked_range<size_t>& range) {
                          bool exists = false;
                          ExpectedCounts& local = locals.local(exists);
                          if (!exists) local.ResetSharing(&total, false, hot);
                          for (size_t k = range.begin(); k != range.end(); ++k) {
                            local.AddTranslation(adds[k].slot, adds[k].value);
                          }
                        });
      for (const ExpectedCounts& local : locals) total.MergeLocal(local);
    });
    for (size_t s = 0; s < kSlots; ++s) {
      ASSERT_EQ(total.translation().raw(s), expected[s]) << "slot " << s << ", hot " << hot;
    }
  }
}

// The one writer of a shared array adds plainly, with the same sums; its
// hot slots are none (nothing to merge).
TEST(ExpectedCountsTest, OnlyWriterSumsExactly) {
  constexpr size_t kSlots = 300;
  const std::vector<Add> adds = Adds(kSlots, 20000);
  ExpectedCounts total, local;
  total.Reset(kSlots, 0);
  local.ResetSharing(&total, /*only_writer=*/true);
  for (const Add& add : adds) local.AddTranslation(add.slot, add.value);
  total.MergeLocal(local);
  const std::vector<int64_t> expected = SerialSums(adds, kSlots);
  for (size_t s = 0; s < kSlots; ++s) ASSERT_EQ(total.translation().raw(s), expected[s]) << s;
}

}  // namespace
}  // namespace aligner
