// Tests for ForEachInOrder, which the decoders use to stream output in corpus
// order while the next block is computed.
#include "aligner/base/ordered_blocks.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "gtest/gtest.h"
#include "tbb/task_arena.h"

namespace aligner {
namespace {

// Consumes every index exactly once, in increasing order, with its own result,
// for sizes around the block size and thread counts 1, 2 and 4.
TEST(OrderedBlocksTest, ConsumesEveryResultInOrder) {
  for (int threads : {1, 2, 4}) {
    for (size_t n : {0, 1, 6, 7, 8, 9, 100}) {
      std::vector<size_t> consumed;
      tbb::task_arena arena(threads);
      arena.execute([&] {
        ForEachInOrder<size_t>(
            n, 7, [](size_t k, size_t* out) { *out = k * k + 1; },
            [&](size_t k, const size_t& result) {
              EXPECT_EQ(result, k * k + 1) << "n=" << n << " threads=" << threads;
              consumed.push_back(k);
            });
      });
      ASSERT_EQ(consumed.size(), n) << "threads=" << threads;
      for (size_t k = 0; k < n; ++k) EXPECT_EQ(consumed[k], k);
    }
  }
}

// A block's buffer is reused two blocks later: results must not leak from an
// earlier block into a later one that computes into the same slot.
TEST(OrderedBlocksTest, ReusedBuffersHoldTheirOwnBlocksResults) {
  std::vector<std::vector<int>> consumed;
  ForEachInOrder<std::vector<int>>(
      10, 3,
      [](size_t k, std::vector<int>* out) {
        out->clear();
        for (size_t r = 0; r < k % 4; ++r) out->push_back(static_cast<int>(k));
      },
      [&](size_t, const std::vector<int>& result) { consumed.push_back(result); });
  ASSERT_EQ(consumed.size(), 10u);
  for (size_t k = 0; k < 10; ++k) {
    EXPECT_EQ(consumed[k], std::vector<int>(k % 4, static_cast<int>(k))) << k;
  }
}

// A block size of zero is treated as one rather than looping forever.
TEST(OrderedBlocksTest, ZeroBlockSizeActsAsOne) {
  std::vector<size_t> consumed;
  ForEachInOrder<size_t>(
      3, 0, [](size_t k, size_t* out) { *out = k; },
      [&](size_t k, const size_t&) { consumed.push_back(k); });
  EXPECT_EQ(consumed, (std::vector<size_t>{0, 1, 2}));
}

// With a visit key, one thread computes each block's items by increasing
// key (ties by index), never across blocks, and every result still reaches
// its own index, consumed in index order; on several threads too.
TEST(OrderedBlocksTest, VisitKeyOrdersTheComputationsWithinEachBlock) {
  const size_t n = 23, block = 8;
  auto key = [](size_t k) -> uint64_t { return (k * 5) % 3; };
  std::vector<size_t> computed;
  std::vector<size_t> consumed;
  tbb::task_arena one(1);
  one.execute([&] {
    ForEachInOrder<size_t>(
        n, block,
        [&](size_t k, size_t* out) {
          computed.push_back(k);
          *out = k * k + 1;
        },
        [&](size_t k, const size_t& result) {
          EXPECT_EQ(result, k * k + 1);
          consumed.push_back(k);
        },
        nullptr, key);
  });
  ASSERT_EQ(computed.size(), n);
  for (size_t begin = 0; begin < n; begin += block) {
    std::vector<size_t> expected;
    for (size_t k = begin; k < std::min(n, begin + block); ++k) expected.push_back(k);
    std::stable_sort(expected.begin(), expected.end(),
                     [&](size_t a, size_t b) { return key(a) < key(b); });
    EXPECT_EQ(
        std::vector<size_t>(computed.begin() + begin, computed.begin() + begin + expected.size()),
        expected)
        << "block at " << begin;
  }
  for (size_t k = 0; k < n; ++k) EXPECT_EQ(consumed[k], k);

  std::vector<size_t> results(n), order;
  tbb::task_arena two(2);
  two.execute([&] {
    ForEachInOrder<size_t>(
        n, block, [](size_t k, size_t* out) { *out = 3 * k; },
        [&](size_t k, const size_t& result) {
          results[k] = result;
          order.push_back(k);
        },
        nullptr, key);
  });
  for (size_t k = 0; k < n; ++k) {
    EXPECT_EQ(results[k], 3 * k);
    EXPECT_EQ(order[k], k);
  }
}

}  // namespace
}  // namespace aligner
