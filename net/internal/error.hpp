#pragma once

#include <string_view>
#include <system_error>

#include <caf/error.hpp>

namespace actorstreams::net {

/// What the transport was doing when an OS error struck; it decides the
/// `stream_errc` (a refused connect is connect_failed, a refused bind is
/// bind_failed, a reset on an open connection is connection_reset).
enum class io_phase { connect, bind, transfer };

/// The one place that maps an Asio/OS error to a `stream_errc` error.
/// `what` prefixes the message ("connect to 127.0.0.1:1", "bind /tmp/x").
caf::error to_error(const std::error_code& ec, io_phase phase,
                    std::string_view what = {});

/// A `tls_error` saying `what`.
caf::error tls_error(std::string what);

} // namespace actorstreams::net
