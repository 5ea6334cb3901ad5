// --program external above the node: which change a hook is told of, when a read-back shows a
// change, the change's objects, and the ExternalProgrammer's hook, watch and errors with a real
// `sh -c` hook and a reader that reads back what the hook "programmed" (a file it copies).
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "errors.h"
#include "external_programmer.h"
#include "kubernetes_import.h"
#include "kubernetes_manifests.h"
#include "synthetic_services.h"

namespace svcbench {
namespace {

ServiceSet services(size_t n) {
  SyntheticSpec spec;
  spec.services = n;
  spec.udp_share = 0;
  return make_synthetic_services(spec, AddressPlan{});
}

std::vector<ServiceDispatch> dispatch_of(const ServiceSet& set) {
  std::vector<ServiceDispatch> out;
  for (const auto& s : set.services)
    for (const auto& p : s.ports) {
      ServiceDispatch d;
      d.address = s.cluster_ip;
      d.port = p.port;
      d.protocol = p.protocol;
      d.endpoints = p.endpoints;
      out.push_back(d);
    }
  return out;
}

TEST(ExternalProgrammer, ChangeKinds) {
  const ServiceSet none, three = services(3), four = services(4);
  EXPECT_EQ(change_kind(none, three), "initial-load");
  EXPECT_EQ(change_kind(three, four), "add-service");
  EXPECT_EQ(change_kind(four, three), "remove-service");
  EXPECT_EQ(change_kind(three, three), "change-endpoints");
  EXPECT_EQ(change_kind(three, none), "reset");
}

TEST(ExternalProgrammer, AReadBackReflectsAChangeOnlyWhenEveryTouchedFrontendIsAsAfter) {
  const ServiceSet base = services(5);
  ServiceSet grown = services(6);
  ServiceSet moved = base;
  moved.services[2].ports.front().endpoints.front().address = *IpAddress::parse("198.18.200.9");
  EXPECT_TRUE(reflects_change(dispatch_of(base), ServiceSet{}, base));
  EXPECT_FALSE(reflects_change(dispatch_of(services(4)), ServiceSet{}, base));  // one missing
  EXPECT_FALSE(reflects_change(dispatch_of(base), base, grown));               // not added yet
  EXPECT_TRUE(reflects_change(dispatch_of(grown), base, grown));
  EXPECT_FALSE(reflects_change(dispatch_of(grown), grown, base));  // not removed yet
  EXPECT_TRUE(reflects_change(dispatch_of(base), grown, base));
  EXPECT_FALSE(reflects_change(dispatch_of(base), base, moved));  // old endpoints still
  EXPECT_TRUE(reflects_change(dispatch_of(moved), base, moved));
  // Frontends the change does not touch are the programmer's business.
  std::vector<ServiceDispatch> more = dispatch_of(moved);
  more.erase(more.begin());
  EXPECT_TRUE(reflects_change(more, base, moved));
  // A reset: gone, or left rejecting (no endpoints).
  std::vector<ServiceDispatch> rejecting = dispatch_of(base);
  for (auto& d : rejecting) d.endpoints.clear();
  EXPECT_TRUE(reflects_change(rejecting, base, ServiceSet{}));
  EXPECT_TRUE(reflects_change({}, base, ServiceSet{}));
  EXPECT_FALSE(reflects_change(dispatch_of(base), base, ServiceSet{}));
}

// The watch reads often at first and backs off as the sync proves long: within ~5% of the time.
TEST(ExternalProgrammer, TheWatchBacksOffAsASyncProvesLong) {
  using std::chrono::milliseconds;
  EXPECT_EQ(watch_pause(0), milliseconds(20));
  EXPECT_EQ(watch_pause(0.3), milliseconds(20));
  EXPECT_EQ(watch_pause(1), milliseconds(50));
  EXPECT_EQ(watch_pause(8), milliseconds(400));
  EXPECT_EQ(watch_pause(300), milliseconds(500));
}

TEST(ExternalProgrammer, ChangeManifestsHoldOnlyWhatTheChangeTouches) {
  const ServiceSet base = services(5), grown = services(6);
  ServiceSet moved = base;
  moved.services[2].ports.front().endpoints.front().address = *IpAddress::parse("198.18.200.9");
  auto items = [](const std::string& text) { return nlohmann::json::parse(text)["items"]; };
  const auto added = items(kubernetes_change_manifests(base, grown, IpFamily::kIpv4));
  ASSERT_EQ(added.size(), 2u);  // the Service and its one EndpointSlice
  EXPECT_EQ(added[0]["kind"], "Service");
  EXPECT_EQ(added[0]["metadata"]["name"], grown.services.back().name);
  const auto removed = items(kubernetes_change_manifests(grown, base, IpFamily::kIpv4));
  ASSERT_EQ(removed.size(), 2u);
  EXPECT_EQ(removed[0]["metadata"]["name"], grown.services.back().name);
  const auto changed = items(kubernetes_change_manifests(base, moved, IpFamily::kIpv4));
  ASSERT_EQ(changed.size(), 1u);  // only the slice
  EXPECT_EQ(changed[0]["kind"], "EndpointSlice");
  EXPECT_EQ(changed[0]["endpoints"][0]["addresses"][0], "198.18.200.9");
  EXPECT_TRUE(items(kubernetes_change_manifests(base, base, IpFamily::kIpv4)).empty());
  EXPECT_EQ(items(kubernetes_change_manifests(ServiceSet{}, base, IpFamily::kIpv4)).size(), 10u);
}

// Reads back what the hook copied to `file` (a List, as SVCBENCH_MANIFESTS): a node whose
// programmer is the hook itself.
class FileReader : public DataplaneMode {
 public:
  explicit FileReader(std::string file) : file_(std::move(file)) {}
  std::string name() const override { return "iptables-legacy"; }
  void reset() override {}
  double initial_load(const ServiceSet&) override { ADD_FAILURE() << "the reader programmed"; return 0; }
  Apply prepare_full_resync(const ServiceSet&) override { return [] { return 0.0; }; }
  Apply prepare_partial_sync(const ServiceSet&, const ServiceSet&) override { return [] { return 0.0; }; }
  const SyncSteps& last_sync_steps() const override { return steps_; }
  std::string loaded_ruleset() override { return ""; }
  std::vector<ServiceDispatch> loaded_dispatch() override {
    ++reads;
    std::ifstream in(file_);
    if (!in) throw SetupError("nothing loaded yet");
    const std::string text((std::istreambuf_iterator<char>(in)), {});
    return dispatch_of(import_kubernetes_list(text, {}));
  }
  int reads = 0;

 private:
  std::string file_;
  SyncSteps steps_;
};

class ExternalProgrammerRun : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("svcb-external-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::unique_ptr<ExternalProgrammer> programmer(const std::string& command, double limit = 10) {
    auto reader = std::make_unique<FileReader>((dir_ / "loaded.json").string());
    reader_ = reader.get();
    ApplyHook hook;
    hook.command = command;
    hook.limit_seconds = limit;
    hook.work_dir = (dir_ / "work").string();
    hook.node_exec = "ip netns exec svcb-node";
    return std::make_unique<ExternalProgrammer>(std::move(reader), hook);
  }
  std::string file(const char* name) const {
    std::ifstream in(dir_ / name);
    return std::string((std::istreambuf_iterator<char>(in)), {});
  }
  std::filesystem::path dir_;
  FileReader* reader_ = nullptr;
};

TEST_F(ExternalProgrammerRun, EachChangeGoesThroughTheHookAndIsWatchedUntilVisible) {
  // The hook logs what it was told and "programs" the node 0.2 s later, in the background.
  const std::string d = dir_.string();
  auto p = programmer("echo \"$SVCBENCH_CHANGE $SVCBENCH_CHANGE_NUMBER $SVCBENCH_MODE $SVCBENCH_NODE_EXEC\" >>" + d +
                      "/hook.log; cp \"$SVCBENCH_CHANGE_MANIFESTS\" " + d + "/objects-$SVCBENCH_CHANGE_NUMBER.json; "
                      "(sleep 0.2; cp \"$SVCBENCH_MANIFESTS\" " + d + "/loaded.json.new; mv " + d +
                      "/loaded.json.new " + d + "/loaded.json) >/dev/null 2>&1 &");
  EXPECT_FALSE(p->makes_full_resyncs());
  const ServiceSet base = services(5), grown = services(6);
  const double load = p->initial_load(base);
  EXPECT_GE(load, 0.2);
  EXPECT_LT(load, 5);
  ASSERT_EQ(p->last_sync_steps().size(), 2u);
  EXPECT_EQ(p->last_sync_steps()[0].name, "apply hook");
  EXPECT_LT(p->last_sync_steps()[0].seconds, 0.2);  // the hook returned before the rules came
  EXPECT_EQ(p->last_sync_steps()[1].name, "rules visible");
  EXPECT_GT(p->last_sync_steps()[1].invocations, 1);  // read back until they were there
  EXPECT_GE(p->partial_sync(base, grown), 0.2);
  EXPECT_GE(p->partial_sync(grown, base), 0.2);
  // A second initial load (update timing repeats it): the cluster emptied first, then loaded
  // again -- a real load that waits for its rules, not a change of nothing.
  EXPECT_GE(p->initial_load(base), 0.2);
  p->reset();
  EXPECT_EQ(file("hook.log"),
            "initial-load 1 iptables-legacy ip netns exec svcb-node\n"
            "add-service 2 iptables-legacy ip netns exec svcb-node\n"
            "remove-service 3 iptables-legacy ip netns exec svcb-node\n"
            "reset 4 iptables-legacy ip netns exec svcb-node\n"
            "initial-load 5 iptables-legacy ip netns exec svcb-node\n"
            "reset 6 iptables-legacy ip netns exec svcb-node\n");
  EXPECT_EQ(nlohmann::json::parse(file("objects-2.json"))["items"].size(), 2u);
  EXPECT_EQ(nlohmann::json::parse(file("loaded.json"))["items"].size(), 0u);  // the reset
  EXPECT_THROW(p->prepare_full_resync(base), UsageError);
}

TEST_F(ExternalProgrammerRun, AFailingHookAndRulesThatNeverAppearAreClearErrors) {
  try {
    programmer("echo 'Traceback (most recent call last):' >&2; echo 'no cluster here' >&2; exit 3")->initial_load(services(3));
    FAIL() << "a failing hook passed";
  } catch (const SetupError& e) {
    EXPECT_NE(std::string(e.what()).find("apply hook failed for initial-load"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("no cluster here"), std::string::npos) << e.what();
  }
  auto silent = programmer("true", 1);
  const auto start = std::chrono::steady_clock::now();
  try {
    silent->initial_load(services(3));
    FAIL() << "rules that never appeared passed";
  } catch (const SetupError& e) {
    EXPECT_NE(std::string(e.what()).find("did not appear on the node within 1 s"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("nothing loaded yet"), std::string::npos) << e.what();
  }
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 5);
  // A hook that never returns is stopped at the limit.
  try {
    programmer("sleep 30", 1)->initial_load(services(3));
    FAIL() << "a hanging hook passed";
  } catch (const SetupError& e) {
    EXPECT_NE(std::string(e.what()).find("did not end within --apply-limit 1 s"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace svcbench
