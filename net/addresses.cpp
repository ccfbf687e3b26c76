#include "net/internal/addresses.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/un.h>

#include <cstring>

namespace actorstreams::net {

std::string format_address(const sockaddr* sa, std::size_t len) {
  char text[INET6_ADDRSTRLEN] = {};
  switch (sa->sa_family) {
    case AF_INET: {
      auto in = reinterpret_cast<const sockaddr_in*>(sa);
      inet_ntop(AF_INET, &in->sin_addr, text, sizeof(text));
      return std::string{text} + ":" + std::to_string(ntohs(in->sin_port));
    }
    case AF_INET6: {
      auto in6 = reinterpret_cast<const sockaddr_in6*>(sa);
      inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof(text));
      return "[" + std::string{text} + "]:"
             + std::to_string(ntohs(in6->sin6_port));
    }
    case AF_UNIX: {
      auto un = reinterpret_cast<const sockaddr_un*>(sa);
      auto offset = offsetof(sockaddr_un, sun_path);
      if (len <= offset)
        return {}; // unnamed (socketpair, unbound client)
      auto n = len - offset;
      if (un->sun_path[0] == '\0') // Linux abstract namespace
        return "@" + std::string{un->sun_path + 1, n - 1};
      return std::string{un->sun_path, strnlen(un->sun_path, n)};
    }
    default:
      return "family " + std::to_string(sa->sa_family);
  }
}

std::string format_endpoint(const generic_endpoint& ep) {
  return format_address(ep.data(), ep.size());
}

std::string family_name(int family) {
  switch (family) {
    case AF_INET:
      return "AF_INET";
    case AF_INET6:
      return "AF_INET6";
    case AF_UNIX:
      return "AF_UNIX";
    default:
      return std::to_string(family);
  }
}

void describe_socket(int fd, std::map<std::string, std::string>& info) {
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) == 0) {
    info["sockname"] = format_address(reinterpret_cast<sockaddr*>(&ss), len);
    info["family"] = family_name(ss.ss_family);
  }
  len = sizeof(ss);
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) == 0)
    info["peername"] = format_address(reinterpret_cast<sockaddr*>(&ss), len);
  info["socket"] = std::to_string(fd);
}

bool fits_sun_path(const std::string& path) {
  return !path.empty() && path.size() < sizeof(sockaddr_un::sun_path);
}

std::string sun_path_error(const std::string& path) {
  return "Unix socket path must be 1 to "
         + std::to_string(sizeof(sockaddr_un::sun_path) - 1) + " bytes: '"
         + path + "'";
}

} // namespace actorstreams::net
