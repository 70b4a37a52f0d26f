// Tests for the huge-page allocator behind the translation table and counts.
#include "aligner/base/huge_pages.h"

#include <cstdint>
#include <cstdlib>
#include <numeric>

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "gtest/gtest.h"

// Under AddressSanitizer every block comes from operator new.
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ASAN_BUILD_FOR_CLANG 1
#endif
#endif
#ifndef ASAN_BUILD_FOR_CLANG
#define ASAN_BUILD_FOR_CLANG 0
#endif
// And under ThreadSanitizer from its own allocator.
#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define TSAN_BUILD_FOR_CLANG 1
#endif
#endif
#ifndef TSAN_BUILD_FOR_CLANG
#define TSAN_BUILD_FOR_CLANG 0
#endif

namespace aligner {
namespace {

TEST(HugePagesTest, LargeBlocksAreAlignedToHugePagesAndUsable) {
  // 40 MB: large enough for the mmap path, and not a multiple of 2 MiB.
  HugePageVector<uint32_t> values(10'000'001);
#if !defined(__SANITIZE_ADDRESS__) && !ASAN_BUILD_FOR_CLANG
  EXPECT_EQ(reinterpret_cast<uintptr_t>(values.data()) % (2u << 20), 0u);
#endif
  std::iota(values.begin(), values.end(), 0u);
  uint64_t sum = 0;
  for (uint32_t v : values) sum += v;
  EXPECT_EQ(sum, uint64_t{10'000'000} * 10'000'001 / 2);
  EXPECT_EQ(values.back(), 10'000'000u);
}

TEST(HugePagesTest, SmallBlocksAndRegrowthKeepContents) {
  HugePageVector<int64_t> values;
  // Grows from the ordinary heap into mmap'ed blocks; every reallocation
  // must copy what was there and free the old block with its own size.
  for (int64_t k = 0; k < 3'000'000; ++k) values.push_back(k * 7);
  for (int64_t k = 0; k < 3'000'000; k += 999) ASSERT_EQ(values[k], k * 7);
  values.resize(10);
  values.shrink_to_fit();
  EXPECT_EQ(values[9], 63);
}

TEST(HugePagesTest, ZeroSizedAllocationIsHarmless) {
  HugePageAllocator<float> allocator;
  float* p = allocator.allocate(0);
  allocator.deallocate(p, 0);
  HugePageVector<float> empty;
  EXPECT_TRUE(empty.empty());
}

// After MapLargeBlocksOnTheirOwn a block of 1 MiB or more is mapped on its
// own, and unmapped when freed, even after a larger block was freed (which
// raises glibc's default bound, so that the next such block would come from
// the heap and stay there). Sanitizers bring their own allocator.
TEST(HugePagesTest, LargeBlocksAreMappedOnTheirOwnAfterLargerOnesWereFreed) {
#if defined(__GLIBC__) && !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__) && \
    !ASAN_BUILD_FOR_CLANG && !TSAN_BUILD_FOR_CLANG
  MapLargeBlocksOnTheirOwn();
  void* larger = std::malloc(size_t{16} << 20);
  ASSERT_NE(larger, nullptr);
  static_cast<volatile char*>(larger)[0] = 1;
  std::free(larger);
  const size_t mapped_before = mallinfo2().hblkhd;
  void* block = std::malloc(size_t{2} << 20);
  ASSERT_NE(block, nullptr);
  EXPECT_GE(mallinfo2().hblkhd, mapped_before + (size_t{2} << 20));
  std::free(block);
  EXPECT_EQ(mallinfo2().hblkhd, mapped_before);
#else
  GTEST_SKIP() << "glibc's allocator only";
#endif
}

}  // namespace
}  // namespace aligner
