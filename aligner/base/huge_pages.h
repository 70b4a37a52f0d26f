// Memory for the big, randomly accessed arrays: the translation table and its
// expected counts.
#ifndef ALIGNER_BASE_HUGE_PAGES_H_
#define ALIGNER_BASE_HUGE_PAGES_H_

#include <cstddef>
#include <new>
#include <utility>
#include <vector>

namespace aligner {

// Allocates `bytes`; blocks of several megabytes come from mmap, aligned to
// 2 MiB and advised (MADV_HUGEPAGE) to use transparent huge pages. Every
// E-step lookup lands on a random entry of a table of up to a gigabyte; with
// 4 KiB pages nearly each one also misses the TLB. Many systems (Debian's
// default) give huge pages only to memory that asks for them. The advice is
// a hint: where the kernel has no huge pages the memory is ordinary.
void* AllocateLarge(size_t bytes);
void FreeLarge(void* pointer, size_t bytes);

// For a program (the command-line tools; a library leaves its host's
// allocator alone): has the C library map blocks of 1 MiB and more on their
// own and unmap them when they are freed, as it does by default for blocks
// of 128 KiB and more until the first such block is freed. From then on
// glibc raises that bound to the size of the largest block freed (up to
// 32 MiB), so the work arrays of one long sentence pair, freed, come back
// as memory the heap keeps: on all 1.13M Hansards pairs `symmetric`'s heap
// grew from 52 MB after reading to 224 MB while decoding, mostly free
// blocks. A no-op without glibc.
void MapLargeBlocksOnTheirOwn();

template <typename T>
class HugePageAllocator {
 public:
  using value_type = T;
  HugePageAllocator() = default;
  template <typename U>
  HugePageAllocator(const HugePageAllocator<U>&) {}  // NOLINT: allocator rebinding

  T* allocate(size_t n) { return static_cast<T*>(AllocateLarge(n * sizeof(T))); }
  void deallocate(T* pointer, size_t n) { FreeLarge(pointer, n * sizeof(T)); }

  template <typename U>
  bool operator==(const HugePageAllocator<U>&) const {
    return true;
  }
  template <typename U>
  bool operator!=(const HugePageAllocator<U>&) const {
    return false;
  }
};

template <typename T>
using HugePageVector = std::vector<T, HugePageAllocator<T>>;

// HugePageAllocator whose vectors leave the elements resize(n) adds
// uninitialized (default-initialized), for arrays every element of which is
// written, in parallel, right after they are sized: the first writes then
// fault the pages in on every thread, instead of one thread zeroing them
// all first (most of TargetColumns::Build's time at 100,000 pairs).
template <typename T>
class UninitializedHugePageAllocator : public HugePageAllocator<T> {
 public:
  UninitializedHugePageAllocator() = default;
  template <typename U>
  UninitializedHugePageAllocator(const UninitializedHugePageAllocator<U>&) {}  // NOLINT
  template <typename U>
  struct rebind {
    using other = UninitializedHugePageAllocator<U>;
  };

  template <typename U>
  void construct(U* pointer) noexcept {
    ::new (static_cast<void*>(pointer)) U;
  }
  template <typename U, typename... Args>
  void construct(U* pointer, Args&&... args) {
    ::new (static_cast<void*>(pointer)) U(std::forward<Args>(args)...);
  }
};

template <typename T>
using UninitializedHugePageVector = std::vector<T, UninitializedHugePageAllocator<T>>;

// Frees an array of `count` T from AllocateLarge, for a std::unique_ptr<T[]>
// holding memory that is not cleared when allocated (as a vector's would be).
template <typename T>
struct FreeLargeArray {
  size_t count = 0;
  void operator()(T* array) const { FreeLarge(array, count * sizeof(T)); }
};

}  // namespace aligner

#endif  // ALIGNER_BASE_HUGE_PAGES_H_
