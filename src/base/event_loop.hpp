#pragma once
// The server's event loop: an io_context that can discard the work still queued on it, the
// coroutines parked there and their frames, while what those frames refer to still exists.
// An io_context discards it only in its destructor: for an owner that declares the loop
// before the parts its coroutines use (they hold its sockets and timers, so must go first),
// that is after those parts are gone, and a parked frame's destructors (a connection's count,
// a slot's release) would write into freed memory.
#include <boost/asio/io_context.hpp>

namespace herald {

class EventLoop : public boost::asio::io_context {
  public:
    using io_context::io_context;

    // Once run() has returned: destroys every handler that will not run now, with the
    // coroutine frames it holds. Sockets and timers may still be destroyed afterwards;
    // the destructor's own shutdown then finds nothing left.
    void discard_pending_work() { shutdown(); }
};

}  // namespace herald
