#pragma once

// Socket addresses as text, for extra_info, errors and listen results.

#include <sys/socket.h>

#include <cstddef>
#include <map>
#include <string>

#include <asio/basic_socket_acceptor.hpp>
#include <asio/generic/stream_protocol.hpp>

namespace actorstreams::net {

using generic_socket = asio::generic::stream_protocol::socket;
using generic_endpoint = asio::generic::stream_protocol::endpoint;
using generic_acceptor
  = asio::basic_socket_acceptor<asio::generic::stream_protocol>;

/// "127.0.0.1:8888", "[::1]:8888", a Unix path, "@name" for Linux's
/// abstract namespace, "" for an unnamed Unix socket.
std::string format_address(const sockaddr* sa, std::size_t len);

std::string format_endpoint(const generic_endpoint& ep);

/// "AF_INET", "AF_INET6", "AF_UNIX" or the number.
std::string family_name(int family);

/// Fills "sockname", "family", "peername" and "socket" for `fd`.
void describe_socket(int fd, std::map<std::string, std::string>& info);

/// Whether `path` fits a sockaddr_un (1 to 107 bytes on Linux).
bool fits_sun_path(const std::string& path);

/// The invalid_argument message for a path that does not fit.
std::string sun_path_error(const std::string& path);

} // namespace actorstreams::net
