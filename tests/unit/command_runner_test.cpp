#include "command_runner.h"

#include <gtest/gtest.h>

#include "atomic_file.h"
#include "errors.h"

namespace svcbench {
namespace {

TEST(CommandRunner, RunsArgvWithoutAShell) {
  auto r = run_command({{"printf", "%s|", "a b", "$(id)", ";rm -rf /"}, "", "", true});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "a b|$(id)|;rm -rf /|");  // arguments reach the tool verbatim
}

TEST(CommandRunner, FeedsStdinAndReportsExitCode) {
  std::string big(1 << 20, 'x');
  auto r = run_command({{"wc", "-c"}, "", big, true});
  EXPECT_EQ(std::stoul(r.out), big.size());
  EXPECT_EQ(run_command({{"false"}, "", "", true}).exit_code, 1);
  EXPECT_GT(run_command({{"true"}, "", "", true}).seconds, 0.0);
}

TEST(CommandRunner, MissingToolAndNamespaceAreSetupErrors) {
  EXPECT_THROW(run_command({{"svcbench-no-such-tool"}, "", "", true}), SetupError);
  EXPECT_THROW(run_command({{"true"}, "svcb-no-such-namespace", "", true}), SetupError);
  EXPECT_THROW(require_tool("svcbench-no-such-tool", "nothing"), SetupError);
  EXPECT_THROW(run_checked({{"false"}, "", "", true}, "a test"), SetupError);
}

TEST(AtomicFile, WritesWholeFilesOnly) {
  char dir[] = "/tmp/svcb-test-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  const std::string path = std::string(dir) + "/f.json";
  write_file_atomically(path, "{\"a\": 1}\n");
  EXPECT_EQ(read_file(path), "{\"a\": 1}\n");
  EXPECT_THROW(read_file(dir), UsageError);
  EXPECT_THROW(write_file_atomically(std::string(dir) + "/missing/x", "y"), SetupError);
  std::remove(path.c_str());
  rmdir(dir);
}

}  // namespace
}  // namespace svcbench
