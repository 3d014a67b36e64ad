"""The journal's flush, appended against prepared (docs/spool.md, "Prepared segments").

The system calls of one journal flush, made from here on a file beside the spool's: a write
of a batch's records and an fdatasync, once at the end of a growing file (an append, whose
flush must also write the inode for the new size) and once over zeros written and flushed
beforehand (a prepared segment). Runs alternate; for each way: wall time and CPU time (this
process's, user and system) a flush, medians, and the ratios prepared/appended.

    python3 bench/journal_flush.py [--dir /var/tmp] [--flushes 3000] [--runs 3]
"""
import argparse
import os
import resource
import statistics
import tempfile
import time

BATCH = 4600  # bytes a flush: two relayed messages' M records, as under the relay load


def flush_costs(directory, flushes, prepared):
    """(wall seconds, CPU seconds) a flush."""
    fd, path = tempfile.mkstemp(dir=directory, prefix="journal-flush-")
    try:
        if prepared:
            os.write(fd, bytes(BATCH * flushes + (1 << 20)))
            os.fsync(fd)
            os.lseek(fd, 0, os.SEEK_SET)
        batch = b"x" * BATCH
        before = resource.getrusage(resource.RUSAGE_SELF)
        start = time.perf_counter()
        for _ in range(flushes):
            os.write(fd, batch)
            os.fdatasync(fd)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_SELF)
        cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
        return wall / flushes, cpu / flushes
    finally:
        os.close(fd)
        os.unlink(path)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", default="/var/tmp", help="a directory on the spool's disk")
    parser.add_argument("--flushes", type=int, default=3000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    results = {"appended": [], "prepared": []}
    for _ in range(args.runs):
        for way in results:
            results[way].append(flush_costs(args.dir, args.flushes, way == "prepared"))
    medians = {way: (statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs))
               for way, runs in results.items()}
    print(f"{args.flushes} flushes of {BATCH} bytes a run, {args.runs} runs each, in {args.dir}")
    for way, (wall, cpu) in medians.items():
        print(f"{way:>9}: {wall * 1e6:6.0f} us a flush, {cpu * 1e6:5.0f} us of CPU")
    (wall_a, cpu_a), (wall_p, cpu_p) = medians["appended"], medians["prepared"]
    print(f"prepared/appended: time {wall_p / wall_a:.2f}, CPU {cpu_p / cpu_a:.2f}")


if __name__ == "__main__":
    main()
