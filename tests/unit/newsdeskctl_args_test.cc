// newsdeskctl: the command line, error reporting and the progress bar.
#include <gtest/gtest.h>

#include "tools/newsdeskctl/args.h"
#include "tools/newsdeskctl/errors.h"
#include "tools/newsdeskctl/progress.h"

namespace newsdesk::ctl {
namespace {

TEST(NewsdeskctlArgsTest, FlagsMayComeAnywhereInEveryForm) {
  auto args = ParseArgs({"--timeout=5s", "list", "articles", "--filter", "state = PUBLISHED", "--all",
                         "--page-size=10", "--show_deleted=false"});
  ASSERT_TRUE(args.ok()) << args.status();
  EXPECT_EQ(args->positional, (std::vector<std::string>{"list", "articles"}));
  EXPECT_EQ(args->Get("timeout"), "5s");
  EXPECT_EQ(args->Get("filter"), "state = PUBLISHED");
  EXPECT_EQ(args->Get("all"), "true");
  EXPECT_EQ(args->Get("page_size"), "10");
  EXPECT_EQ(args->GetBool("show_deleted", true).value(), false);
}

TEST(NewsdeskctlArgsTest, DashIsPositionalAndDoubleDashEndsFlags) {
  auto args = ParseArgs({"import", "articles", "-", "--", "--not-a-flag"});
  ASSERT_TRUE(args.ok()) << args.status();
  EXPECT_EQ(args->positional, (std::vector<std::string>{"import", "articles", "-", "--not-a-flag"}));
}

TEST(NewsdeskctlArgsTest, UnknownFlagIsAUsageError) {
  auto args = ParseArgs({"get", "articles/x", "--colour"});
  ASSERT_FALSE(args.ok());
  EXPECT_EQ(ExitCodeFor(args.status()), kExitUsage);
  EXPECT_NE(args.status().message().find("--colour"), std::string::npos);
}

TEST(NewsdeskctlArgsTest, MissingValueAndBadBooleanAreUsageErrors) {
  EXPECT_EQ(ExitCodeFor(ParseArgs({"list", "articles", "--filter"}).status()), kExitUsage);
  EXPECT_EQ(ExitCodeFor(ParseArgs({"list", "articles", "--all=maybe"}).status()), kExitUsage);
  EXPECT_EQ(ExitCodeFor(ParseArgs({"-x"}).status()), kExitUsage);
}

TEST(NewsdeskctlArgsTest, IntegersAreRangeChecked) {
  auto args = ParseArgs({"upload", "--chunk_size=2000000"});
  ASSERT_TRUE(args.ok());
  EXPECT_EQ(ExitCodeFor(args->GetInt("chunk_size", 1, 1, 1 << 20).status()), kExitUsage);
  EXPECT_EQ(args->GetInt("other", 7, 1, 10).value(), 7);
}

TEST(NewsdeskctlArgsTest, CheckFlagsRejectsAFlagOfAnotherVerb) {
  auto args = ParseArgs({"get", "articles/x", "--all", "--timeout=1s"});
  ASSERT_TRUE(args.ok());
  absl::Status st = CheckFlags(*args, "get", {"request"});
  EXPECT_EQ(ExitCodeFor(st), kExitUsage);
  EXPECT_NE(st.message().find("--all"), std::string::npos);
  EXPECT_TRUE(CheckFlags(*args, "list", {"all"}).ok());
}

TEST(NewsdeskctlErrorsTest, ExitCodesMirrorGrpcCodes) {
  EXPECT_EQ(ExitCodeFor(absl::OkStatus()), 0);
  EXPECT_EQ(ExitCodeFor(absl::InvalidArgumentError("x")), 3);
  EXPECT_EQ(ExitCodeFor(absl::NotFoundError("x")), 5);
  EXPECT_EQ(ExitCodeFor(absl::AbortedError("x")), 10);
  EXPECT_EQ(ExitCodeFor(absl::UnavailableError("x")), 14);
  EXPECT_EQ(ExitCodeFor(absl::UnauthenticatedError("x")), 16);
  EXPECT_EQ(ExitCodeFor(UsageError("x")), 64);
  EXPECT_EQ(ExitCodeFor(NoInputError("x")), 66);
  EXPECT_EQ(ExitCodeFor(CantCreateError("x")), 73);
}

TEST(NewsdeskctlErrorsTest, ErrorJsonNamesCodeMessageAndLine) {
  EXPECT_EQ(ErrorJson(absl::NotFoundError("articles/x not found")),
            R"({"code": "NOT_FOUND", "message": "articles/x not found"})");
  EXPECT_EQ(ErrorJson(UsageError("bad \"flag\"\n")), R"({"code": "USAGE", "message": "bad \"flag\"\n"})");
  absl::Status at = AtLine(absl::InvalidArgumentError("article.title: required"), 7);
  EXPECT_EQ(ExitCodeFor(at), 3);
  EXPECT_EQ(ErrorJson(at),
            R"({"code": "INVALID_ARGUMENT", "message": "line 7: article.title: required", "line": 7})");
  // Our own kinds survive AtLine.
  EXPECT_EQ(ExitCodeFor(AtLine(UsageError("x"), 2)), 64);
}

TEST(NewsdeskctlErrorsTest, JsonQuoteKeepsPolishLettersAndEscapesControls) {
  EXPECT_EQ(JsonQuote("Zażółć\tgęślą\x01"), "\"Zażółć\\tgęślą\\u0001\"");
}

TEST(NewsdeskctlProgressTest, FormatsKnownAndUnknownTotals) {
  EXPECT_EQ(FormatBytes(512), "512 B");
  EXPECT_EQ(FormatBytes(3 << 20), "3.0 MiB");
  EXPECT_EQ(FormatProgress("p.jpg", 1 << 20, 4 << 20, 8), "p.jpg [##......]  25%  1.0 MiB / 4.0 MiB");
  EXPECT_EQ(FormatProgress("p.jpg", 5 << 20, 4 << 20, 4), "p.jpg [####] 100%  5.0 MiB / 4.0 MiB");
  EXPECT_EQ(FormatProgress("p.jpg", 2048, 0), "p.jpg  2.0 KiB");
}

TEST(NewsdeskctlProgressTest, DrawsNothingWhenDisabled) {
  std::ostringstream out;
  {
    ProgressBar bar(&out, /*enabled=*/false, "x");
    bar.Update(1, 2);
    bar.Finish();
  }
  EXPECT_EQ(out.str(), "");
  {
    ProgressBar bar(&out, /*enabled=*/true, "x");
    bar.Update(1, 2);
    bar.Finish();
  }
  EXPECT_NE(out.str().find("\r"), std::string::npos);
  EXPECT_EQ(out.str().back(), '\n');
}

}  // namespace
}  // namespace newsdesk::ctl
