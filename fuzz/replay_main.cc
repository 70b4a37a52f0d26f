// A main() for the fuzz targets without libFuzzer: runs
// LLVMFuzzerTestOneInput once on every file in the directories (or files)
// given, so that every build's test suite, with any compiler and under the
// CI's AddressSanitizer build, replays the seed corpora and past findings.
// Finding new inputs takes the libFuzzer build (scripts/fuzz.sh).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

bool Replay(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "cannot read %s\n", path.c_str());
    return false;
  }
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s DIR_OR_FILE...\n", argv[0]);
    return 2;
  }
  size_t inputs = 0;
  for (int k = 1; k < argc; ++k) {
    std::vector<std::filesystem::path> paths;
    if (std::filesystem::is_directory(argv[k])) {
      for (const auto& entry : std::filesystem::directory_iterator(argv[k])) {
        if (entry.is_regular_file()) paths.push_back(entry.path());
      }
      std::sort(paths.begin(), paths.end());
    } else {
      paths.push_back(argv[k]);
    }
    for (const auto& path : paths) {
      if (!Replay(path)) return 1;
      ++inputs;
    }
  }
  if (inputs == 0) {
    std::fprintf(stderr, "no inputs in the given paths\n");
    return 1;
  }
  std::printf("replayed %zu inputs\n", inputs);
  return 0;
}
