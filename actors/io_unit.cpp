#include "actors/io_unit.hpp"

#include <utility>

#include <asio/post.hpp>

#include <caf/actor_system.hpp>
#include <caf/resumable.hpp>
#include <caf/scheduler/abstract_coordinator.hpp>

#include "net/internal/io.hpp"

namespace actorstreams {

namespace {

/// The reference a scheduled resume holds. Released if the job never runs
/// (the context stopped first), so that no actor leaks.
class job_ref {
public:
  explicit job_ref(caf::resumable* ptr) noexcept : ptr_(ptr) {
    // nop
  }

  job_ref(job_ref&& other) noexcept : ptr_(std::exchange(other.ptr_, nullptr)) {
    // nop
  }

  job_ref& operator=(job_ref&&) = delete;

  ~job_ref() {
    if (ptr_)
      intrusive_ptr_release(ptr_);
  }

  caf::resumable* release() noexcept {
    return std::exchange(ptr_, nullptr);
  }

private:
  caf::resumable* ptr_;
};

} // namespace

io_unit::io_unit(caf::actor_system& sys, net::io_threads& io,
                 std::size_t index)
  : caf::execution_unit(&sys), io_(io), index_(index) {
  // nop
}

bool io_unit::on_thread() const noexcept {
  auto here = io_.this_thread_index();
  return here && *here == index_;
}

void io_unit::exec_later(caf::resumable* ptr) {
  if (ptr->subtype() != caf::resumable::io_actor) {
    system().scheduler().enqueue(ptr);
    return;
  }
  asio::post(net::context_of(io_, index_),
             [this, job = job_ref{ptr}]() mutable { resume(job.release()); });
}

void io_unit::resume(caf::resumable* ptr) {
  switch (ptr->resume(this, max_throughput)) {
    case caf::resumable::resume_later:
      // Behind what the sockets reported meanwhile.
      exec_later(ptr);
      break;
    default:
      // done, awaiting_message, shutdown_execution_unit: the job's
      // reference goes (an awaiting actor is rescheduled by its next
      // message, with a reference of its own).
      intrusive_ptr_release(ptr);
  }
}

} // namespace actorstreams
