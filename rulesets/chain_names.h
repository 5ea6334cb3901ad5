// kube-proxy's chain naming: a prefix plus the first 16 characters of
// base32(sha256(servicePortName + protocol [+ endpoint])), so names fit iptables' 28 chars.
#pragma once

#include <string>
#include <string_view>

namespace svcbench {

// base32 (RFC 4648 alphabet, with padding) of SHA-256 of `input`.
std::string sha256_base32(std::string_view input);
// The first 16 characters of sha256_base32(input): the part kube-proxy's names keep.
std::string sha256_base32_16(std::string_view input);

// protocol is lowercase ("tcp"); port_name is ServicePortName.String() ("ns/svc:p80").
std::string service_chain(std::string_view port_name, std::string_view protocol);     // KUBE-SVC-
std::string local_chain(std::string_view port_name, std::string_view protocol);       // KUBE-SVL-
std::string external_chain(std::string_view port_name, std::string_view protocol);    // KUBE-EXT-
std::string firewall_chain(std::string_view port_name, std::string_view protocol);    // KUBE-FW-
std::string load_balancer_chain(std::string_view port_name, std::string_view protocol); // KUBE-XLB- (1.12)
// endpoint is "ip:port".
std::string endpoint_chain(std::string_view port_name, std::string_view protocol,
                           std::string_view endpoint);                                  // KUBE-SEP-
bool is_service_chain(std::string_view chain);  // one of the per-service prefixes above

}  // namespace svcbench
