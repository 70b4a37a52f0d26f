// Tests for ResizeScratch and AssignScratch: per-thread work arrays keep
// their memory between ordinary pairs and give a long pair's back.
#include "aligner/base/scratch.h"

#include <cstddef>
#include <vector>

#include "gtest/gtest.h"

namespace aligner {
namespace {

constexpr size_t kKeep = kScratchKeepBytes / sizeof(double);

// Arrays below the bound keep their memory whatever the next pair needs: an
// ordinary pair costs no allocation.
TEST(ScratchTest, SmallArraysKeepTheirMemory) {
  std::vector<double> v;
  ResizeScratch(&v, kKeep / 2);
  const double* data = v.data();
  const size_t capacity = v.capacity();
  ResizeScratch(&v, 1);
  EXPECT_EQ(v.size(), 1u);
  EXPECT_EQ(v.data(), data);
  EXPECT_EQ(v.capacity(), capacity);
  ResizeScratch(&v, kKeep / 2);
  EXPECT_EQ(v.data(), data);
}

// Above the bound an array keeps its memory while the pair needs at least a
// quarter of it, and gives it back for a smaller one.
TEST(ScratchTest, LargeArraysAreFreedForMuchSmallerPairs) {
  std::vector<double> v;
  ResizeScratch(&v, 8 * kKeep);
  const size_t capacity = v.capacity();
  ASSERT_GE(capacity, 8 * kKeep);
  ResizeScratch(&v, capacity / 4);  // a quarter: kept
  EXPECT_EQ(v.capacity(), capacity);
  ResizeScratch(&v, capacity / 4 - 1);  // less: freed
  EXPECT_EQ(v.size(), capacity / 4 - 1);
  EXPECT_LT(v.capacity(), capacity);
  ResizeScratch(&v, 10);
  EXPECT_EQ(v.size(), 10u);
  EXPECT_LT(v.capacity() * sizeof(double), kScratchKeepBytes);
}

// AssignScratch sets every element, freed first or not.
TEST(ScratchTest, AssignSetsEveryElement) {
  std::vector<double> v;
  AssignScratch(&v, 8 * kKeep, 1.5);
  for (size_t n : {size_t{4} * kKeep, size_t{7}, size_t{3}}) {
    AssignScratch(&v, n, 2.5);
    ASSERT_EQ(v.size(), n);
    for (double x : v) ASSERT_EQ(x, 2.5);
  }
  EXPECT_LT(v.capacity() * sizeof(double), kScratchKeepBytes);
}

// The bound is in bytes, whatever the element type.
TEST(ScratchTest, TheBoundIsInBytes) {
  std::vector<uint16_t> v;
  ResizeScratch(&v, kScratchKeepBytes / sizeof(uint16_t) / 2);
  const size_t capacity = v.capacity();
  ResizeScratch(&v, 1);  // half the bound's bytes: kept
  EXPECT_EQ(v.capacity(), capacity);
  ResizeScratch(&v, kScratchKeepBytes);  // twice the bound's bytes
  ResizeScratch(&v, 1);                  // freed
  EXPECT_LT(v.capacity(), capacity);
}

}  // namespace
}  // namespace aligner
