// Aligns a toy corpus through the installed library's pipeline API and checks
// the links a human would draw.
#include <cstdio>
#include <fstream>
#include <string>

#include "aligner/pipeline/pipeline.h"
#include "aligner/version.h"

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  const std::string dir = argv[1];
  {
    std::ofstream corpus(dir + "/toy.txt");
    for (int k = 0; k < 20; ++k) {
      corpus << "la maison ||| the house\nla maison bleue ||| the blue house\n"
                "la fleur ||| the flower\nune maison ||| a house\n";
    }
  }
  aligner::AlignOptions options;
  options.corpus.input = dir + "/toy.txt";
  options.training.model = "hmm";
  options.training.model1_iterations = 5;
  options.output = dir + "/toy.align";
  options.threads = 1;
  if (absl::Status s = aligner::RunAlign(options, nullptr); !s.ok()) {
    std::fprintf(stderr, "RunAlign: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  std::ifstream links(dir + "/toy.align");
  std::string first, second;
  std::getline(links, first);
  std::getline(links, second);
  std::printf("aligner %s: '%s' / '%s'\n", aligner::kVersion, first.c_str(), second.c_str());
  // la-the maison-house; la-the bleue-blue maison-house.
  return first == "0-0 1-1" && second == "0-0 2-1 1-2" ? 0 : 1;
}
