// trace-threads thread-creation recorder, loaded into a launched target with LD_PRELOAD (docs/pthread-log.md).
//
// EventPipe sees only threads the runtime's Thread class starts; the OS census sees every thread but not who made it.
// This shim answers "who created this thread" for every thread of the process, native ones included: it wraps the
// public functions through which a program asks glibc for a thread (pthread_create, and C11 thrd_create, which glibc
// 2.28+ implements with an internal call that an interposed pthread_create never sees), remembers the creating thread
// and its native stack, and when the new thread starts it appends one JSON line to $TRACE_THREADS_PTHREAD_LOG with a
// single write(2) (O_APPEND keeps concurrent lines whole).
//
// Cost. The hot path (one creation) takes no lock, allocates nothing and makes no system call besides that write:
// - start data travels to the new thread in a fixed pool of slots claimed with a compare-and-swap, not malloc;
// - thread ids are read from glibc's thread descriptor (the offset glibc publishes for debuggers as
//   _thread_db_pthread_tid, checked against gettid(2) once), not with a gettid system call;
// - frames are named with dladdr(3), which takes the loader's lock, only the first time an address is seen: names are
//   kept in a lock-free table;
// - backtrace(3) loads its unwinder (dlopen, malloc) once at initialisation, not during a creation.
// It must never break the target: any failure falls through to the real function, without a record.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <execinfo.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <threads.h>
#include <time.h>
#include <unistd.h>

#define TT_MAX_FRAMES 24
#define TT_SLOTS 512
#define TT_NAMES 4096
#define TT_NAME_PROBES 16
#define TT_NAME_SIZE 160

typedef int (*pthread_create_fn)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);
typedef int (*thrd_create_fn)(thrd_t *, thrd_start_t, void *);

enum tt_api { TT_PTHREAD, TT_THRD };

struct tt_start {
    atomic_int busy;
    enum tt_api api;
    void *routine;
    void *arg;
    pid_t creator;
    long long created_ns;
    int frames;
    void *stack[TT_MAX_FRAMES];
};

// A name computed once per address: key is claimed with a CAS, then text is written and ready published.
struct tt_name {
    atomic_uintptr_t key;
    atomic_int ready;
    int length;
    char text[TT_NAME_SIZE];
};

static pthread_create_fn real_pthread_create;
static thrd_create_fn real_thrd_create;
static int log_fd = -1;
static int tid_offset = -1;
static pid_t process_id; // getpid(2) is a system call in glibc 2.25+: kept here, refreshed in a forked child
static pthread_once_t once = PTHREAD_ONCE_INIT;
static struct tt_start slots[TT_SLOTS];
static atomic_uint slot_hint;
static struct tt_name names[TT_NAMES];

static pid_t current_tid(void) {
    if (tid_offset >= 0) {
        pid_t tid = *(volatile pid_t *)((char *)pthread_self() + tid_offset);
        if (tid > 0) {
            return tid;
        }
    }
    return (pid_t)syscall(SYS_gettid);
}

static void tt_forked(void) {
    process_id = getpid();
}

static void tt_init(void) {
    process_id = getpid();
    pthread_atfork(NULL, NULL, tt_forked);
    real_pthread_create = (pthread_create_fn)dlsym(RTLD_NEXT, "pthread_create");
    real_thrd_create = (thrd_create_fn)dlsym(RTLD_NEXT, "thrd_create");
    // {size in bits, count, offset} of struct pthread's tid, published by glibc for libthread_db.
    const uint32_t *tid_field = (const uint32_t *)dlsym(RTLD_DEFAULT, "_thread_db_pthread_tid");
    if (tid_field && tid_field[0] == 32 && tid_field[2] < 4096) {
        tid_offset = (int)tid_field[2];
        if (*(volatile pid_t *)((char *)pthread_self() + tid_offset) != (pid_t)syscall(SYS_gettid)) {
            tid_offset = -1;
        }
    }
    // The first backtrace loads libgcc_s (dlopen, malloc): pay it here, not in a creation.
    void *warm[2];
    backtrace(warm, 2);
    const char *path = getenv("TRACE_THREADS_PTHREAD_LOG");
    log_fd = path && *path ? open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644) : -1;
}

static long long now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts); // vDSO: no system call
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

// "module!symbol+0xoff" (or "module+0xoff", or "0x..." for code no module maps, such as jitted code); JSON-safe:
// anything outside printable ASCII, quotes and backslashes are replaced rather than escaped.
static int describe_uncached(char *out, size_t size, void *address) {
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

// The same, from the table when this address was named before. A library unloaded and another loaded at the same
// address would keep the first name; .NET does not unload native libraries.
static int describe(char *out, size_t size, void *address) {
    uintptr_t key = (uintptr_t)address;
    if (key == 0) {
        return describe_uncached(out, size, address);
    }
    size_t h = (size_t)((key * 0x9E3779B97F4A7C15ULL) >> 52) % TT_NAMES;
    for (int probe = 0; probe < TT_NAME_PROBES; probe++) {
        struct tt_name *e = &names[(h + probe) % TT_NAMES];
        uintptr_t seen = atomic_load_explicit(&e->key, memory_order_acquire);
        if (seen == 0) {
            uintptr_t expected = 0;
            if (atomic_compare_exchange_strong(&e->key, &expected, key)) {
                e->length = describe_uncached(e->text, sizeof e->text, address);
                atomic_store_explicit(&e->ready, 1, memory_order_release);
                seen = key;
            } else {
                seen = expected;
            }
        }
        if (seen == key) {
            if (!atomic_load_explicit(&e->ready, memory_order_acquire)) {
                break; // another thread is naming it right now
            }
            int n = e->length < (int)size ? e->length : (int)size - 1;
            memcpy(out, e->text, (size_t)n);
            out[n] = '\0';
            return n;
        }
    }
    return describe_uncached(out, size, address);
}

static struct tt_start *claim_slot(void) {
    for (int tries = 0; tries < TT_SLOTS; tries++) {
        struct tt_start *slot = &slots[atomic_fetch_add_explicit(&slot_hint, 1, memory_order_relaxed) % TT_SLOTS];
        int expected = 0;
        if (atomic_compare_exchange_strong(&slot->busy, &expected, 1)) {
            return slot;
        }
    }
    return NULL; // more than TT_SLOTS creations in flight: this one goes unrecorded
}

static void release_slot(struct tt_start *slot) {
    atomic_store_explicit(&slot->busy, 0, memory_order_release);
}

static void write_record(const struct tt_start *start, pid_t tid) {
    char line[8192];
    size_t len = 0;
    int n = snprintf(line, sizeof line, "{\"e\":\"pthread\",\"pid\":%d,\"tid\":%d,\"creator\":%d,\"createdNs\":%lld,\"startedNs\":%lld,%s\"start\":\"",
                     (int)process_id, (int)tid, (int)start->creator, start->created_ns, now_ns(),
                     start->api == TT_THRD ? "\"api\":\"thrd_create\"," : "");
    len = n > 0 ? (size_t)n : 0;
    len += describe(line + len, sizeof line - len, start->routine);
    len += snprintf(line + len, sizeof line - len, "\",\"frames\":[");
    // Frame 0 is this shim's wrapper; the caller starts at 1.
    for (int i = 1; i < start->frames && len + 300 < sizeof line; i++) {
        len += snprintf(line + len, sizeof line - len, "%s\"", i > 1 ? "," : "");
        len += describe(line + len, sizeof line - len - 4, start->stack[i]);
        line[len++] = '"';
    }
    len += snprintf(line + len, sizeof line - len, "]}\n");
    ssize_t ignored = write(log_fd, line, len);
    (void)ignored;
}

static void *tt_trampoline(void *p) {
    struct tt_start *slot = (struct tt_start *)p;
    struct tt_start start;
    // Only the part in use: frames beyond start.frames are never read.
    memcpy(&start, slot, offsetof(struct tt_start, stack) + (size_t)slot->frames * sizeof(void *));
    release_slot(slot);
    write_record(&start, current_tid());
    if (start.api == TT_THRD) {
        return (void *)(intptr_t)((thrd_start_t)start.routine)(start.arg);
    }
    return ((void *(*)(void *))start.routine)(start.arg);
}

// Inlined, so that backtrace's frame 0 is the wrapper the program called.
static inline __attribute__((always_inline)) struct tt_start *prepare(enum tt_api api, void *routine, void *arg) {
    struct tt_start *start = log_fd >= 0 ? claim_slot() : NULL;
    if (!start) {
        return NULL;
    }
    start->api = api;
    start->routine = routine;
    start->arg = arg;
    start->creator = current_tid();
    start->created_ns = now_ns();
    start->frames = backtrace(start->stack, TT_MAX_FRAMES);
    return start;
}

int pthread_create(pthread_t *thread, const pthread_attr_t *attr, void *(*routine)(void *), void *arg) {
    pthread_once(&once, tt_init);
    if (!real_pthread_create) {
        return EAGAIN;
    }
    struct tt_start *start = prepare(TT_PTHREAD, (void *)routine, arg);
    if (!start) {
        return real_pthread_create(thread, attr, routine, arg);
    }
    int rc = real_pthread_create(thread, attr, tt_trampoline, start);
    if (rc != 0) {
        release_slot(start);
    }
    return rc;
}

// C11 threads (librdkafka uses them). glibc's thrd_create is pthread_create with default attributes and a start
// routine returning int, which the new thread's trampoline converts as glibc's start_thread does; errors map as
// glibc's thrd_err_map does.
int thrd_create(thrd_t *thread, thrd_start_t routine, void *arg) {
    pthread_once(&once, tt_init);
    struct tt_start *start = real_pthread_create ? prepare(TT_THRD, (void *)routine, arg) : NULL;
    if (!start) {
        return real_thrd_create ? real_thrd_create(thread, routine, arg) : thrd_error;
    }
    int rc = real_pthread_create((pthread_t *)thread, NULL, tt_trampoline, start);
    if (rc != 0) {
        release_slot(start);
    }
    switch (rc) {
    case 0:
        return thrd_success;
    case ENOMEM:
        return thrd_nomem;
    case ETIMEDOUT:
        return thrd_timedout;
    case EBUSY:
        return thrd_busy;
    default:
        return thrd_error;
    }
}
