// trace-threads pthread_create recorder, loaded into a launched target with LD_PRELOAD.
//
// EventPipe sees only threads the runtime's Thread class starts; the OS census sees every thread but not who made it.
// This shim answers "who called pthread_create" for every thread of the process, native ones included: it wraps
// pthread_create, remembers the creating thread and its native stack, and when the new thread starts it appends one
// JSON line to $TRACE_THREADS_PTHREAD_LOG with a single write(2) (O_APPEND keeps concurrent lines whole).
// It must never break the target: any failure falls through to the real pthread_create.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <execinfo.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define TT_MAX_FRAMES 24

typedef int (*pthread_create_fn)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);

struct tt_start {
    void *(*routine)(void *);
    void *arg;
    pid_t creator;
    long long created_ns;
    int frames;
    void *stack[TT_MAX_FRAMES];
};

static pthread_create_fn real_create;
static int log_fd = -2;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void tt_init(void) {
    real_create = (pthread_create_fn)dlsym(RTLD_NEXT, "pthread_create");
    const char *path = getenv("TRACE_THREADS_PTHREAD_LOG");
    log_fd = path && *path ? open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644) : -1;
}

static long long now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

// "module!symbol+0xoff" (or "module+0xoff"); JSON-safe: module and symbol names are printable in practice, but
// anything outside printable ASCII is replaced rather than escaped.
static int describe(char *out, size_t size, void *address) {
    Dl_info info;
    memset(&info, 0, sizeof info);
    int n;
    if (dladdr(address, &info) && info.dli_fname) {
        const char *module = strrchr(info.dli_fname, '/');
        module = module ? module + 1 : info.dli_fname;
        if (info.dli_sname && info.dli_saddr) {
            n = snprintf(out, size, "%s!%s+0x%lx", module, info.dli_sname, (unsigned long)((char *)address - (char *)info.dli_saddr));
        } else {
            n = snprintf(out, size, "%s+0x%lx", module, (unsigned long)((char *)address - (char *)info.dli_fbase));
        }
    } else {
        n = snprintf(out, size, "0x%lx", (unsigned long)address);
    }
    if (n < 0) return 0;
    if ((size_t)n >= size) n = (int)size - 1;
    for (int i = 0; i < n; i++) {
        if (out[i] == '"' || out[i] == '\\' || (unsigned char)out[i] < 0x20 || (unsigned char)out[i] > 0x7e) out[i] = '?';
    }
    return n;
}

static void *tt_trampoline(void *p) {
    struct tt_start start = *(struct tt_start *)p;
    free(p);
    if (log_fd >= 0) {
        char line[8192];
        size_t len = 0;
        int n = snprintf(line, sizeof line, "{\"e\":\"pthread\",\"pid\":%d,\"tid\":%ld,\"creator\":%d,\"createdNs\":%lld,\"startedNs\":%lld,\"start\":\"",
                         (int)getpid(), (long)syscall(SYS_gettid), (int)start.creator, start.created_ns, now_ns());
        len = n > 0 ? (size_t)n : 0;
        len += describe(line + len, sizeof line - len, (void *)start.routine);
        len += snprintf(line + len, sizeof line - len, "\",\"frames\":[");
        // Frame 0 is this shim's pthread_create; the caller starts at 1.
        for (int i = 1; i < start.frames && len + 300 < sizeof line; i++) {
            len += snprintf(line + len, sizeof line - len, "%s\"", i > 1 ? "," : "");
            len += describe(line + len, sizeof line - len - 4, start.stack[i]);
            line[len++] = '"';
        }
        len += snprintf(line + len, sizeof line - len, "]}\n");
        ssize_t ignored = write(log_fd, line, len);
        (void)ignored;
    }
    return start.routine(start.arg);
}

int pthread_create(pthread_t *thread, const pthread_attr_t *attr, void *(*routine)(void *), void *arg) {
    pthread_once(&once, tt_init);
    if (!real_create) {
        errno = ENOSYS;
        return EAGAIN;
    }
    struct tt_start *start = log_fd >= 0 ? malloc(sizeof *start) : NULL;
    if (!start) {
        return real_create(thread, attr, routine, arg);
    }
    start->routine = routine;
    start->arg = arg;
    start->creator = (pid_t)syscall(SYS_gettid);
    start->created_ns = now_ns();
    start->frames = backtrace(start->stack, TT_MAX_FRAMES);
    int rc = real_create(thread, attr, tt_trampoline, start);
    if (rc != 0) {
        free(start);
    }
    return rc;
}
