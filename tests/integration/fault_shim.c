/* An LD_PRELOAD shim for crash tests: Herald dies of SIGKILL at a chosen flush boundary.

   HERALD_FAULT_AT=N, HERALD_FAULT_WHEN=before|after: the calls that make a write durable or
   visible (fdatasync, fsync, syncfs, rename, renameat, renameat2, unlink, unlinkat) are counted
   across all threads from 1; the Nth raises SIGKILL just before it reaches the kernel
   ("before", the default) or just after it returned ("after"); an unlink counts only when its
   name is there. A kill is announced on stderr first, so that a test tells the shim's kills
   from any other. (link(), the spool's fallback where renameat2 cannot refuse to replace a
   file, is not counted: ext4, xfs and tmpfs never take it.)

   HERALD_PAUSE_OPEN=S, HERALD_PAUSE_UNTIL=P: an open, open64, openat or openat64 whose path
   argument (as given: a name relative to a directory descriptor stays a name) contains S
   waits until the file P exists, so that a test can hold Herald at that open.

   Without these variables every call goes straight through. The interposers call only
   async-signal-safe functions besides dlsym, and nothing that leads back into them. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static long fault_at;  /* 0: no fault */
static int fault_after;
static atomic_long calls_counted;
static const char *pause_substring;
static const char *pause_until;

__attribute__((constructor)) static void read_settings(void) {
    const char *at = getenv("HERALD_FAULT_AT");
    const char *when = getenv("HERALD_FAULT_WHEN");
    fault_at = at ? atol(at) : 0;
    fault_after = when && strcmp(when, "after") == 0;
    pause_substring = getenv("HERALD_PAUSE_OPEN");
    pause_until = getenv("HERALD_PAUSE_UNTIL");
}

/* The next definition of `name` after this library: libc's. */
#define REAL(name)                                                  \
    static __typeof__(name) *_Atomic real;                          \
    if (!real) real = (__typeof__(name) *)dlsym(RTLD_NEXT, #name)

static size_t format_decimal(long value, char *out) {
    char digits[24];
    size_t n = 0;
    do {
        digits[n++] = (char)('0' + value % 10);
        value /= 10;
    } while (value > 0);
    for (size_t i = 0; i < n; ++i) out[i] = digits[n - 1 - i];
    return n;
}

static size_t append(char *line, size_t len, const char *text) {
    size_t n = strlen(text);
    memcpy(line + len, text, n);
    return len + n;
}

/* snprintf is not async-signal-safe: the line is put together by hand. */
static void announce_kill(long number, const char *call) {
    char line[128];
    size_t len = append(line, 0, fault_after ? "fault_shim: SIGKILL after call "
                                             : "fault_shim: SIGKILL before call ");
    len += format_decimal(number, line + len);
    len = append(line, len, " ");
    len = append(line, len, call);
    len = append(line, len, "\n");
    ssize_t ignored = write(STDERR_FILENO, line, len);
    (void)ignored;
}

static void die(long number, const char *call) {
    announce_kill(number, call);
    raise(SIGKILL);
}

/* Counts one call; true when it is the one to die at. */
static int is_fault_point(long *number) {
    if (fault_at <= 0) return 0;
    *number = atomic_fetch_add(&calls_counted, 1) + 1;
    return *number == fault_at;
}

/* The call's result, after dying around it when it is the chosen one. */
#define COUNTED(name, call)                                         \
    do {                                                            \
        long number = 0;                                            \
        int fault = is_fault_point(&number);                        \
        if (fault && !fault_after) die(number, name);               \
        int result = (call);                                        \
        if (fault) die(number, name);                               \
        return result;                                              \
    } while (0)

int fdatasync(int fd) {
    REAL(fdatasync);
    COUNTED("fdatasync", real(fd));
}

int fsync(int fd) {
    REAL(fsync);
    COUNTED("fsync", real(fd));
}

int syncfs(int fd) {
    REAL(syncfs);
    COUNTED("syncfs", real(fd));
}

int rename(const char *from, const char *to) {
    REAL(rename);
    COUNTED("rename", real(from, to));
}

int renameat(int from_dir, const char *from, int to_dir, const char *to) {
    REAL(renameat);
    COUNTED("renameat", real(from_dir, from, to_dir, to));
}

int renameat2(int from_dir, const char *from, int to_dir, const char *to, unsigned flags) {
    REAL(renameat2);
    COUNTED("renameat2", real(from_dir, from, to_dir, to, flags));
}

static int is_there(int dir, const char *path) {
    struct stat st;
    return fstatat(dir, path, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

/* An unlink of a name that is not there changes nothing on the disk: no boundary to die at,
   and not counted. (A recovery removes the files of every message its journal finished,
   most of which were never written: counted, those unlinks took nearly every point.) */
int unlink(const char *path) {
    REAL(unlink);
    if (!is_there(AT_FDCWD, path)) return real(path);
    COUNTED("unlink", real(path));
}

int unlinkat(int dir, const char *path, int flags) {
    REAL(unlinkat);
    if (!is_there(dir, path)) return real(dir, path, flags);
    COUNTED("unlinkat", real(dir, path, flags));
}

static void pause_if_asked(const char *path) {
    if (!pause_substring || !pause_until || !path || !strstr(path, pause_substring)) return;
    const struct timespec ten_ms = {0, 10 * 1000 * 1000};
    while (access(pause_until, F_OK) != 0) nanosleep(&ten_ms, NULL);
}

/* The mode argument is there only when the flags create a file. */
static mode_t mode_of(int flags, va_list args) {
    return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? va_arg(args, mode_t) : 0;
}

#define PAUSED_OPEN(name, ...)                                      \
    do {                                                            \
        REAL(name);                                                 \
        va_list args;                                               \
        va_start(args, flags);                                      \
        mode_t mode = mode_of(flags, args);                         \
        va_end(args);                                               \
        pause_if_asked(path);                                       \
        return real(__VA_ARGS__, flags, mode);                      \
    } while (0)

int open(const char *path, int flags, ...) { PAUSED_OPEN(open, path); }
int open64(const char *path, int flags, ...) { PAUSED_OPEN(open64, path); }
int openat(int dir, const char *path, int flags, ...) { PAUSED_OPEN(openat, dir, path); }
int openat64(int dir, const char *path, int flags, ...) { PAUSED_OPEN(openat64, dir, path); }
