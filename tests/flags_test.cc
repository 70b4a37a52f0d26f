#include "aligner/cli/flags.h"

#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "aligner/model/hmm_model.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace aligner::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// Runs `parse` on a command line split at spaces.
template <typename Parse>
auto ParseLine(Parse parse, const std::string& line) {
  std::vector<std::string> words = absl::StrSplit(line, ' ');
  std::vector<char*> argv;
  for (std::string& word : words) argv.push_back(word.data());
  return parse(static_cast<int>(argv.size()), argv.data());
}

// Every default of the CLI is the library's: a command line with nothing but
// the corpus (and what the command requires) parses into the library's
// default options, field for field.
TEST(FlagsTest, CliDefaultsAreTheLibrarysDefaults) {
  const auto align = ParseLine(ParseAlign, "align -i corpus.txt");
  ASSERT_TRUE(align.status.ok()) << align.status;
  AlignOptions align_defaults;
  align_defaults.corpus.input = "corpus.txt";
  EXPECT_EQ(DescribeOptions(align.options), DescribeOptions(align_defaults));
  EXPECT_EQ(align.options.command_line, "align -i corpus.txt");

  const auto train = ParseLine(ParseTrain, "train -i corpus.txt --model-file m");
  ASSERT_TRUE(train.status.ok()) << train.status;
  AlignOptions train_defaults = TrainDefaults();
  train_defaults.corpus.input = "corpus.txt";
  train_defaults.model_output = "m";
  EXPECT_EQ(DescribeOptions(train.options), DescribeOptions(train_defaults));
  EXPECT_EQ(train_defaults.output, "");

  const auto symmetric = ParseLine(ParseSymmetric, "symmetric -i corpus.txt --prefix out");
  ASSERT_TRUE(symmetric.status.ok()) << symmetric.status;
  SymmetricOptions symmetric_defaults;
  symmetric_defaults.corpus.input = "corpus.txt";
  symmetric_defaults.prefix = "out";
  EXPECT_EQ(DescribeOptions(symmetric.options), DescribeOptions(symmetric_defaults));
}

// The describing itself sees a changed field, so the test above can fail.
TEST(FlagsTest, DescriptionsSeeEveryChangedField) {
  AlignOptions a, b;
  b.training.hmm.jump_smoothing = 0.3;
  EXPECT_NE(DescribeOptions(a), DescribeOptions(b));
  b = a;
  b.training.hmm_p0 = 0.5;
  EXPECT_NE(DescribeOptions(a), DescribeOptions(b));
  b = a;
  b.corpus.stem_length = 4;
  EXPECT_NE(DescribeOptions(a), DescribeOptions(b));
  SymmetricOptions s, t;
  t.agreement = false;
  EXPECT_NE(DescribeOptions(s), DescribeOptions(t));
  t = s;
  t.agreement_options.fertility = false;
  EXPECT_NE(DescribeOptions(s), DescribeOptions(t));
}

TEST(FlagsTest, SymmetricDefaultsToTheRecommendedSetting) {
  const SymmetricOptions o;
  EXPECT_TRUE(o.agreement);
  EXPECT_TRUE(o.corpus.lowercase);
  EXPECT_EQ(o.corpus.stem_length, 4u);
  // align keeps whole words, as fast_align.
  EXPECT_EQ(AlignOptions().corpus.stem_length, 0u);
  const auto whole = ParseLine(ParseSymmetric, "symmetric -i c --prefix p --stem-length 0");
  ASSERT_TRUE(whole.status.ok()) << whole.status;
  EXPECT_EQ(whole.options.corpus.stem_length, 0u);
  EXPECT_EQ(o.training.model, "hmm");
  EXPECT_TRUE(o.agreement_options.fertility);
  EXPECT_EQ(o.training.hmm.diagonal_tension, 2.0);
  // align keeps the HMM's own default.
  EXPECT_EQ(AlignOptions().training.hmm.diagonal_tension, HmmOptions().diagonal_tension);
  const auto no_fertility = ParseLine(ParseSymmetric, "symmetric -i c --prefix p --no-fertility");
  ASSERT_TRUE(no_fertility.status.ok()) << no_fertility.status;
  EXPECT_FALSE(no_fertility.options.agreement_options.fertility);
  EXPECT_TRUE(no_fertility.options.agreement);
  const auto fertility = ParseLine(ParseSymmetric, "symmetric -i c --prefix p --fertility");
  ASSERT_TRUE(fertility.status.ok()) << fertility.status;
  EXPECT_TRUE(fertility.options.agreement_options.fertility);
  EXPECT_FALSE(ParseLine(ParseSymmetric, "symmetric -i c --prefix p --fertility --no-fertility")
                   .status.ok());
  const auto independent =
      ParseLine(ParseSymmetric, "symmetric -i c --prefix p --no-agreement --no-lowercase -d -o -v");
  ASSERT_TRUE(independent.status.ok()) << independent.status;
  EXPECT_FALSE(independent.options.agreement);
  EXPECT_FALSE(independent.options.agreement_options.fertility);
  EXPECT_FALSE(independent.options.corpus.lowercase);
  EXPECT_EQ(independent.options.training.model, "diagonal");
  EXPECT_TRUE(independent.options.training.diagonal.optimize_tension);
  EXPECT_TRUE(independent.options.training.prior.variational_bayes);
  // Each direction's links by agreement: posterior decoding at 0.5; a
  // negative threshold (written with '=') asks for the most probable source.
  EXPECT_EQ(o.direction_threshold, 0.5);
  const auto most_probable =
      ParseLine(ParseSymmetric, "symmetric -i c --prefix p --direction-threshold=-1");
  ASSERT_TRUE(most_probable.status.ok()) << most_probable.status;
  EXPECT_EQ(most_probable.options.direction_threshold, -1);
  EXPECT_FALSE(
      ParseLine(ParseSymmetric, "symmetric -i c --prefix p --direction-threshold 1.5").status.ok());
}

TEST(FlagsTest, FlagsReachTheirFields) {
  const auto parsed =
      ParseLine(ParseAlign,
                "align --source s --target t -d -o -v -a 0.2 -r -N -I 7 --hmm-p0 0.4 -T 6 -q 0.1 "
                "--posterior-threshold 0.5 --lowercase --threads 3 --max-sentence-length 80");
  ASSERT_TRUE(parsed.status.ok()) << parsed.status;
  const AlignOptions& o = parsed.options;
  EXPECT_EQ(o.training.model, "diagonal");
  EXPECT_EQ(o.training.alpha, 0.2);
  EXPECT_EQ(o.training.hmm_p0, 0.4);
  EXPECT_EQ(o.training.iterations, 7);
  EXPECT_FALSE(o.training.use_null);
  EXPECT_EQ(o.training.diagonal.tension, 6);
  EXPECT_EQ(o.training.diagonal.p0, 0.1);
  EXPECT_TRUE(o.reverse);
  EXPECT_EQ(o.posterior_threshold, 0.5);
  EXPECT_TRUE(o.corpus.lowercase);
  EXPECT_EQ(o.threads, 3);
  EXPECT_EQ(o.corpus.max_sentence_length, 80u);
}

// Each command's help lists its own options only.
TEST(FlagsTest, HelpListsOnlyTheCommandsOptions) {
  const auto train = ParseLine(ParseTrain, "train --help");
  ASSERT_TRUE(train.help);
  EXPECT_THAT(train.help_text, HasSubstr("--model-file"));
  EXPECT_THAT(train.help_text, Not(HasSubstr("--prefix")));
  EXPECT_THAT(train.help_text, Not(HasSubstr("--agreement")));
  EXPECT_THAT(train.help_text, Not(HasSubstr("--load-model arg")));
  const auto symmetric = ParseLine(ParseSymmetric, "symmetric --help");
  EXPECT_THAT(symmetric.help_text, HasSubstr("--no-agreement"));
  EXPECT_THAT(symmetric.help_text, Not(HasSubstr("--giza-a3")));
  EXPECT_THAT(symmetric.help_text, Not(HasSubstr("--reverse")));
  const auto align = ParseLine(ParseAlign, "align --help");
  EXPECT_THAT(align.help_text, HasSubstr("--load-model"));
  EXPECT_THAT(align.help_text, Not(HasSubstr("--prefix")));
}

TEST(FlagsTest, UsageErrors) {
  EXPECT_FALSE(ParseLine(ParseTrain, "train -i c").status.ok());
  EXPECT_FALSE(ParseLine(ParseAlign, "align -i c --model nonsense").status.ok());
  EXPECT_FALSE(ParseLine(ParseAlign, "align -i c --prefix p").status.ok());
  EXPECT_FALSE(ParseLine(ParseSymmetric, "symmetric -i c --prefix p -v").status.ok());
  EXPECT_FALSE(ParseLine(ParseSymmetric, "symmetric -i c").status.ok());
}

}  // namespace
}  // namespace aligner::cli
