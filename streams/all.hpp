#pragma once

// The whole public API of actorstreams: `#include <streams/all.hpp>`.

#include "actors/connection_actor.hpp"
#include "actors/messages.hpp"
#include "actors/server_actor.hpp"
#include "actors/task_actor.hpp"
#include "net/transport.hpp"
#include "streams/bytes.hpp"
#include "streams/connection.hpp"
#include "streams/errors.hpp"
#include "streams/framing.hpp"
#include "streams/gather.hpp"
#include "streams/memory_pair.hpp"
#include "streams/pending.hpp"
#include "streams/read_buffer.hpp"
#include "streams/run.hpp"
#include "streams/runtime.hpp"
#include "streams/server.hpp"
#include "streams/stream_reader.hpp"
#include "streams/stream_writer.hpp"
#include "streams/task.hpp"

#include <caf/all.hpp>
