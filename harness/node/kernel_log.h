// Kernel warnings that appear on a node while a point is measured: RCU stalls, soft lockups,
// hung tasks, BUG/WARNING splats, OOM kills (a cold nftables sync of 44,000 Services stalled
// the kernel in nf_tables_newset). Read from the node's `dmesg`, whose "[seconds]" stamps mark
// what is new.
#pragma once

#include <string>
#include <vector>

#include "node.h"

namespace svcbench {

// The warning lines of `dmesg` output stamped after `after_seconds` (at most `limit`).
std::vector<std::string> kernel_warnings(const std::string& dmesg, double after_seconds,
                                         size_t limit = 20);

class KernelLogWatch {
 public:
  // Marks the log's end now; a node whose dmesg cannot be read is watched by nobody.
  explicit KernelLogWatch(Node& node);
  // Warnings logged since the mark.
  std::vector<std::string> warnings();
  // Warnings since the mark in a stopped guest's console (Node::restart_guest): its lines carry
  // the same stamps as its dmesg had.
  std::vector<std::string> warnings_in(const std::string& console) const;

 private:
  Node& node_;
  bool readable_ = false;
  double mark_ = 0;
};

}  // namespace svcbench
