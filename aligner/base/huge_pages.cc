#include "aligner/base/huge_pages.h"

#include <sys/mman.h>

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <cstdint>
#include <new>

#if defined(__SANITIZE_ADDRESS__)
#define ALIGNER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ALIGNER_ASAN 1
#endif
#endif

namespace aligner {
namespace {

constexpr size_t kHugePage = size_t{2} << 20;
// Smaller blocks gain little and would round up to a whole huge page.
// AddressSanitizer checks bounds only on memory it hands out, so under it
// every block comes from operator new.
#ifdef ALIGNER_ASAN
constexpr size_t kMinLarge = SIZE_MAX;
#else
constexpr size_t kMinLarge = size_t{8} << 20;
#endif

size_t RoundUp(size_t bytes) { return (bytes + kHugePage - 1) / kHugePage * kHugePage; }

}  // namespace

void* AllocateLarge(size_t bytes) {
  if (bytes < kMinLarge) return ::operator new(bytes);
  const size_t size = RoundUp(bytes);
  // Over-allocate by one huge page, then trim to a 2 MiB-aligned block.
  void* mapped =
      mmap(nullptr, size + kHugePage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mapped == MAP_FAILED) throw std::bad_alloc();
  const uintptr_t start = reinterpret_cast<uintptr_t>(mapped);
  const uintptr_t aligned = (start + kHugePage - 1) / kHugePage * kHugePage;
  if (aligned > start) munmap(mapped, aligned - start);
  const uintptr_t tail = aligned + size, end = start + size + kHugePage;
  if (end > tail) munmap(reinterpret_cast<void*>(tail), end - tail);
  // Before the first touch, so that the page faults themselves take huge pages.
  madvise(reinterpret_cast<void*>(aligned), size, MADV_HUGEPAGE);
  return reinterpret_cast<void*>(aligned);
}

void FreeLarge(void* pointer, size_t bytes) {
  if (pointer == nullptr) return;
  if (bytes < kMinLarge) {
    ::operator delete(pointer);
  } else {
    munmap(pointer, RoundUp(bytes));
  }
}

void MapLargeBlocksOnTheirOwn() {
#ifdef __GLIBC__
  // Setting either bound turns off glibc's raising of both. Free memory at
  // the heap's top is given back once it passes the second.
  mallopt(M_MMAP_THRESHOLD, 1 << 20);
  mallopt(M_TRIM_THRESHOLD, 8 << 20);
#endif
}

}  // namespace aligner
