"""What every process the benchmark starts needs: a free loopback port, a wait until something
listens on it, and a stop that cannot leave the child running."""
import signal
import socket
import subprocess
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, deadline=20, proc=None):
    """Until 127.0.0.1:port accepts a connection; fails at once if proc (the child that should
    listen there) has exited meanwhile."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{proc.args[0]} exited with {proc.returncode} before listening "
                               f"on 127.0.0.1:{port}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port}")


def stop_child(proc, timeout=30):
    """SIGTERM, then SIGKILL if it has not exited within timeout: a child that hangs on the way
    out must not outlive the benchmark. Does nothing for a child never started."""
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
