// trace-threads thread-creation recorder, loaded into a launched target with LD_PRELOAD (docs/pthread-log.md).
//
// EventPipe sees only threads the runtime's Thread class starts; the OS census sees every thread but not who made it.
// This shim answers "who created this thread" for every thread of the process, native ones included: it wraps the
// public functions through which a program asks glibc for a thread (pthread_create, and C11 thrd_create, which glibc
// 2.28+ implements with an internal call that an interposed pthread_create never sees). The creating thread writes a
// record of itself, its native stack and the start routine into $TRACE_THREADS_PTHREAD_LOG, a file every process of
// the target maps MAP_SHARED; the new thread completes it with its own id when it starts.
//
// Cost. The hot path (one creation) takes no lock, allocates nothing and makes no system call:
// - the stack is read by a cached DWARF unwinder (ttunwind.h) that reports what backtrace(3) would, at a twentieth
//   of its cost once a creation site has been seen; backtrace(3) where it cannot;
// - a record takes whole 64-byte units of the mapped file (as many as its frames need), claimed with an atomic
//   fetch-add on the cursor in the file's header (shared by every process that maps it: forked and exec'd children
//   too); the creator writes it marked pending before the thread exists, the new thread stores its id and commits it
//   with a release store of its kind. The pages are the file's page cache: a target killed with SIGKILL loses no
//   committed record;
// - the file grows by 1 MB chunks, allocated with fallocate(2) by the creation whose record holds a chunk's first
//   byte: one system call per 1 MB. A record that finds its chunk not allocated (yet), or lies beyond the mapping, is
//   written with pwrite(2) instead; fallocate(2) is what makes a write through the mapping unable to fail (a full disk
//   would be SIGBUS in the target, pwrite just fails: the units then stay empty and the reader counts the record lost);
// - the start routine and argument travel to the new thread in a fixed pool of slots claimed with a compare-and-swap;
// - thread ids are read from glibc's thread descriptor (the offset glibc publishes for debuggers as
//   _thread_db_pthread_tid, checked against gettid(2) once), not with a gettid system call;
// - records hold raw addresses; an address is named with dladdr(3), which takes the loader's lock, once, the first
//   time it is seen, into a name record (a lock-free table remembers which addresses were named);
// - backtrace(3) loads its unwinder (dlopen, malloc) once at initialisation, not during a creation.
// It must never break the target: any failure falls through to the real function, without a record (counted).
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <execinfo.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <threads.h>
#include <time.h>
#include <unistd.h>

// Load on the glibc the target has, not only on the one this was built with. glibc 2.34 moved dlsym, dladdr and the
// pthread functions into libc under new symbol versions; a library that asks for those versions cannot be preloaded
// into a process on an older glibc (Debian 11, Ubuntu 20.04, RHEL 8: common .NET container bases), and ld.so prints
// an error into the target's output. So: the oldest versions of the two dl functions (still in libc 2.34+, in libdl
// before, which the library therefore names as needed: see TraceThreads.csproj), and no pthread_once.
#if defined(__x86_64__)
__asm__(".symver dlsym, dlsym@GLIBC_2.2.5");
__asm__(".symver dladdr, dladdr@GLIBC_2.2.5");
#endif

#define TT_MAX_FRAMES 25 // the wrapper's own frame and 24 of its caller's
#define TT_SLOTS 512
#define TT_NAMES 4096
#define TT_NAME_PROBES 16
#define TT_NAME_SIZE 160

// The file (docs/pthread-log.md): a 4 KB header, then 256-byte records; all little-endian.
#define TT_MAGIC 0x3230524854505454ULL // "TTPTHR02" (01: fixed 256-byte records, before 2026-12-02's third session)
#define TT_HEADER 4096
#define TT_UNIT 64        // records take whole 64-byte units: a record's size follows from its kind and contents
#define TT_MAX_RECORD 256
#define TT_CHUNK (1u << 20)
#define TT_CHUNKS 2048                           // 2 GB of records mapped (address space only); beyond, pwrite
#define TT_KIND_THREAD 0x31545454u               // "TTT1"
#define TT_KIND_PENDING 0x31505454u              // "TTP1": written by the creator; the new thread has not started (yet)
#define TT_KIND_FAILED 0x31465454u               // "TTF1": pthread_create failed; `reserved` holds its error
#define TT_KIND_NAME 0x314E5454u                 // "TTN1"

struct tt_header {
    uint64_t magic;
    uint32_t header_size;
    uint32_t record_size;      // the unit records are made of (64)
    _Atomic uint64_t cursor;   // bytes of records claimed, after the header
    _Atomic uint64_t lost;     // creations that could not claim a record (start pool full)
    _Atomic uint64_t written;  // records written with pwrite(2) instead of through the mapping
    uint32_t chunk_size;
    _Atomic uint32_t verified;   // creations whose stack both unwinders read (TRACE_THREADS_PTHREAD_VERIFY=1)
    _Atomic uint32_t mismatched; // ... of which the cached unwinder's differed from backtrace(3)'s
    _Atomic uint32_t slow;       // creations whose stack needed backtrace(3) (a frame the cached unwinder gives way on)
    uint32_t reserved[2];
    _Atomic uint8_t allocated[TT_CHUNKS]; // 1 once chunk i is allocated (fallocate) and may be written through the mapping
};                                        // the last byte of the header page stays 0: see grow_to()

struct tt_thread_record {
    _Atomic uint32_t kind; // TT_KIND_THREAD, stored last
    uint32_t pid;
    uint32_t tid;
    uint32_t creator;
    uint16_t api;          // 0 pthread_create, 1 thrd_create
    uint16_t frames;
    uint32_t reserved;
    int64_t created_ns;
    int64_t started_ns;
    uint64_t routine;
    uint64_t stack[TT_MAX_FRAMES - 1];
};

struct tt_name_record {
    _Atomic uint32_t kind; // TT_KIND_NAME, stored last
    uint32_t pid;
    uint64_t address;
    uint16_t length;
    char text[TT_NAME_SIZE];
    char pad[TT_UNIT];     // room to round up to whole units
};

_Static_assert(sizeof(struct tt_header) <= TT_HEADER - 8, "header");
_Static_assert(sizeof(struct tt_thread_record) <= TT_MAX_RECORD, "record");
_Static_assert(offsetof(struct tt_name_record, pad) <= TT_MAX_RECORD, "record");
_Static_assert(offsetof(struct tt_thread_record, stack) == 48, "layout");

typedef int (*pthread_create_fn)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);
typedef int (*thrd_create_fn)(thrd_t *, thrd_start_t, void *);

enum tt_api { TT_PTHREAD, TT_THRD };

struct tt_start {
    atomic_int busy;
    enum tt_api api;
    void *routine;
    void *arg;
    struct tt_thread_record *record; // the record in the mapping, written by the creator; NULL: write it with pwrite(2)
    uint64_t offset;                 // ... at this offset of the file
    pid_t creator;
    long long created_ns;
    int frames;
    void *stack[TT_MAX_FRAMES];
};

// An address named once: key is claimed with a CAS by the thread that writes its name record.
struct tt_name {
    atomic_uintptr_t key;
};

static pthread_create_fn real_pthread_create;
static thrd_create_fn real_thrd_create;
static int log_fd = -1;
static struct tt_header *header; // the mapped file; records follow it
static int tid_offset = -1;
static pid_t process_id; // getpid(2) is a system call in glibc 2.25+: kept here, refreshed in a forked child
static atomic_int init_state; // 0 not started, 1 running, 2 done
static __thread __attribute__((tls_model("initial-exec"))) int initialising;
static struct tt_start slots[TT_SLOTS];
static atomic_uint slot_hint;
static struct tt_name names[TT_NAMES];

#include "ttunwind.h"

static int verify_unwind; // TRACE_THREADS_PTHREAD_VERIFY=1: read every stack both ways and count disagreements

static pid_t current_tid(void) {
    if (tid_offset >= 0) {
        pid_t tid = *(volatile pid_t *)((char *)pthread_self() + tid_offset);
        if (tid > 0) {
            return tid;
        }
    }
    return (pid_t)syscall(SYS_gettid);
}

// A forked child shares the mapping and the cursor (MAP_SHARED), but not the parent's memory of which addresses
// were named: forget them, so that the child's records get names under its own pid.
static void tt_forked(void) {
    process_id = getpid();
    for (int i = 0; i < TT_NAMES; i++) {
        atomic_store_explicit(&names[i].key, 0, memory_order_relaxed);
    }
}

// Makes the file at least `size` bytes long without ever shrinking it: another process may have grown it further.
// fallocate(2) also reserves the blocks, so that writes through the mapping cannot fail later.
static int grow_to(uint64_t offset, uint64_t length) {
    return fallocate(log_fd, 0, (off_t)offset, (off_t)length) == 0;
}

static int open_log(const char *path) {
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        return 0;
    }
    log_fd = fd;
    // The header and the first chunk. Where fallocate is not supported, a zero byte written at the header's last
    // offset (always 0) extends the file to the header without shrinking it; records then all go through pwrite.
    int chunk0 = grow_to(0, TT_HEADER + TT_CHUNK);
    if (!chunk0) {
        char zero = 0;
        if (pwrite(fd, &zero, 1, TT_HEADER - 1) != 1) {
            close(fd);
            log_fd = -1;
            return 0;
        }
    }
    void *map = mmap(NULL, TT_HEADER + (size_t)TT_CHUNKS * TT_CHUNK, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, fd, 0);
    if (map == MAP_FAILED) {
        close(fd);
        log_fd = -1;
        return 0;
    }
    struct tt_header *h = (struct tt_header *)map;
    // The first process to map the file writes the header; the fields are the same in every process.
    h->header_size = TT_HEADER;
    h->record_size = TT_UNIT;
    h->chunk_size = TT_CHUNK;
    uint64_t expected = 0;
    if (!__atomic_compare_exchange_n(&h->magic, &expected, TT_MAGIC, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE) && expected != TT_MAGIC) {
        munmap(map, TT_HEADER + (size_t)TT_CHUNKS * TT_CHUNK); // not our format (an old text log?): leave it alone
        close(fd);
        log_fd = -1;
        return 0;
    }
    if (chunk0) {
        madvise((char *)map + TT_HEADER, TT_CHUNK, MADV_POPULATE_WRITE);
        atomic_store_explicit(&h->allocated[0], 1, memory_order_release);
    }
    header = h;
    return 1;
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
#ifdef TT_FAST_UNWIND
    tt_unwind_init(getpid() == (pid_t)syscall(SYS_gettid));
#endif
    const char *verify = getenv("TRACE_THREADS_PTHREAD_VERIFY");
    verify_unwind = verify && *verify == '1';
    const char *path = getenv("TRACE_THREADS_PTHREAD_LOG");
    if (path && *path) {
        open_log(path);
    }
}

static void tt_init(void);

// Runs tt_init once. Another thread that creates a thread meanwhile waits for it; a creation from inside tt_init (a
// library constructor run by the dlopen in backtrace's warm-up) goes to the real function.
static void ensure_init(void) {
    if (atomic_load_explicit(&init_state, memory_order_acquire) == 2 || initialising) {
        return;
    }
    int expected = 0;
    if (atomic_compare_exchange_strong(&init_state, &expected, 1)) {
        initialising = 1;
        tt_init();
        initialising = 0;
        atomic_store_explicit(&init_state, 2, memory_order_release);
        return;
    }
    while (atomic_load_explicit(&init_state, memory_order_acquire) != 2) {
        sched_yield();
    }
}

static long long now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts); // vDSO: no system call
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

// Bytes a record of `size` bytes takes in the log: whole 64-byte units.
static uint64_t units_for(size_t size) {
    return (size + TT_UNIT - 1) / TT_UNIT * TT_UNIT;
}

// Makes chunk `chunk` writable through the mapping when this claim, [at, at + size) of the records, holds its first
// byte: only that claim allocates it; the claims of that chunk that come before it is done use pwrite. Returns
// whether the chunk may be written through the mapping.
static int chunk_ready(uint64_t chunk, uint64_t at, uint64_t size) {
    if (atomic_load_explicit(&header->allocated[chunk], memory_order_acquire)) {
        return 1;
    }
    uint64_t first = chunk * TT_CHUNK;
    if (first < at || first >= at + size || !grow_to(TT_HEADER + first, TT_CHUNK)) {
        return 0;
    }
    // Fault the chunk's pages in now, in one system call, instead of one page fault per page.
    madvise((char *)header + TT_HEADER + first, TT_CHUNK, MADV_POPULATE_WRITE);
    atomic_store_explicit(&header->allocated[chunk], 1, memory_order_release);
    if (chunk >= 2) {
        // Records two chunks back are written: drop them from this process's resident memory (the page cache
        // and the file keep them), so that the target's RSS does not grow with its thread creations.
        madvise((char *)header + TT_HEADER + (chunk - 2) * TT_CHUNK, TT_CHUNK, MADV_DONTNEED);
    }
    return 1;
}

// Claims the next `size` bytes of records (whole units). Returns them in the mapping, or NULL when they must be
// written with pwrite(2) at *offset (a chunk they lie in is not allocated, or they lie beyond the mapping).
static void *claim_record(uint64_t size, uint64_t *offset) {
    uint64_t at = atomic_fetch_add_explicit(&header->cursor, size, memory_order_relaxed);
    *offset = TT_HEADER + at;
    uint64_t first = at / TT_CHUNK, last = (at + size - 1) / TT_CHUNK;
    if (last >= TT_CHUNKS || !chunk_ready(first, at, size) || (last != first && !chunk_ready(last, at, size))) {
        return NULL;
    }
    return (char *)header + *offset;
}

// Writes whole `size` bytes of a record built in `record` at `offset` with pwrite(2), kind included. A failed write
// leaves the units empty: the reader counts the record lost (claimed but never committed).
static void write_at(const void *record, size_t size, uint64_t offset) {
    if (pwrite(log_fd, record, size, (off_t)offset) == (ssize_t)size) {
        atomic_fetch_add_explicit(&header->written, 1, memory_order_relaxed);
    }
}

// Claims, fills and commits a record built in `record` (`size` bytes, kind not set): through the mapping, or with
// pwrite(2). `record` has room for whole units.
static void store_record(void *record, size_t size, uint32_t kind) {
    uint64_t offset, claimed = units_for(size);
    char *slot = claim_record(claimed, &offset);
    if (slot) {
        memcpy(slot + sizeof(uint32_t), (const char *)record + sizeof(uint32_t), size - sizeof(uint32_t));
        atomic_store_explicit((_Atomic uint32_t *)slot, kind, memory_order_release);
        return;
    }
    memset((char *)record + size, 0, claimed - size);
    memcpy(record, &kind, sizeof kind);
    write_at(record, claimed, offset);
}

// "module!symbol+0xoff" or "module+0xoff"; 0 when no module maps the address (jitted code: the reader names it
// from the trace's method map). Anything outside printable ASCII, quotes and backslashes become '?'.
static int describe(char *out, size_t size, void *address) {
    Dl_info info;
    memset(&info, 0, sizeof info);
    int n;
    if (!dladdr(address, &info) || !info.dli_fname) {
        return 0;
    }
    const char *module = strrchr(info.dli_fname, '/');
    module = module ? module + 1 : info.dli_fname;
    if (info.dli_sname && info.dli_saddr) {
        n = snprintf(out, size, "%s!%s+0x%lx", module, info.dli_sname, (unsigned long)((char *)address - (char *)info.dli_saddr));
    } else {
        n = snprintf(out, size, "%s+0x%lx", module, (unsigned long)((char *)address - (char *)info.dli_fbase));
    }
    if (n < 0) return 0;
    if ((size_t)n >= size) n = (int)size - 1;
    for (int i = 0; i < n; i++) {
        if (out[i] == '"' || out[i] == '\\' || (unsigned char)out[i] < 0x20 || (unsigned char)out[i] > 0x7e) out[i] = '?';
    }
    return n;
}

// Writes a name record for an address the first time this process sees it (when the table is full, every time).
// A library unloaded and another loaded at the same address would keep the first name; .NET does not unload native
// libraries.
static void name_once(void *address) {
    uintptr_t key = (uintptr_t)address;
    if (key == 0) {
        return;
    }
    size_t h = (size_t)((key * 0x9E3779B97F4A7C15ULL) >> 52) % TT_NAMES;
    for (int probe = 0; probe < TT_NAME_PROBES; probe++) {
        struct tt_name *e = &names[(h + probe) % TT_NAMES];
        uintptr_t seen = atomic_load_explicit(&e->key, memory_order_relaxed);
        if (seen == key) {
            return;
        }
        if (seen == 0) {
            uintptr_t expected = 0;
            if (atomic_compare_exchange_strong(&e->key, &expected, key)) {
                break;
            }
            if (expected == key) {
                return;
            }
        }
    }
    struct tt_name_record record;
    record.pid = (uint32_t)process_id;
    record.address = key;
    int n = describe(record.text, sizeof record.text, address);
    if (n <= 0) {
        return;
    }
    record.length = (uint16_t)n;
    store_record(&record, offsetof(struct tt_name_record, text) + (size_t)n, TT_KIND_NAME);
}

static struct tt_start *claim_slot(void) {
    for (int tries = 0; tries < TT_SLOTS; tries++) {
        struct tt_start *slot = &slots[atomic_fetch_add_explicit(&slot_hint, 1, memory_order_relaxed) % TT_SLOTS];
        int expected = 0;
        if (atomic_compare_exchange_strong(&slot->busy, &expected, 1)) {
            return slot;
        }
    }
    // More than TT_SLOTS creations in flight: this one goes unrecorded, and the log says how many did.
    atomic_fetch_add_explicit(&header->lost, 1, memory_order_relaxed);
    return NULL;
}

static void release_slot(struct tt_start *slot) {
    atomic_store_explicit(&slot->busy, 0, memory_order_release);
}

// Everything of a thread record the creating thread knows: all but the new thread's id and start time, and the kind.
static void fill_record(struct tt_thread_record *record, const struct tt_start *start) {
    record->pid = (uint32_t)process_id;
    record->creator = (uint32_t)start->creator;
    record->api = start->api == TT_THRD ? 1 : 0;
    record->reserved = 0;
    record->created_ns = start->created_ns;
    record->routine = (uint64_t)(uintptr_t)start->routine;
    // Frame 0 is this shim's wrapper; the caller starts at 1.
    int frames = start->frames > 1 ? start->frames - 1 : 0;
    record->frames = (uint16_t)frames;
    for (int i = 0; i < frames; i++) {
        record->stack[i] = (uint64_t)(uintptr_t)start->stack[i + 1];
    }
}

// Bytes of a thread record with `frames` stack entries (the wrapper's own frame 0 is not kept).
static size_t thread_record_size(int frames) {
    return offsetof(struct tt_thread_record, stack) + (size_t)(frames > 1 ? frames - 1 : 0) * sizeof(uint64_t);
}

// A record that could not go through the mapping, written whole with pwrite(2).
static void write_whole(const struct tt_start *start, uint32_t kind, pid_t tid, uint32_t error) {
    union {
        struct tt_thread_record record;
        char bytes[TT_MAX_RECORD];
    } whole;
    memset(&whole, 0, sizeof whole);
    fill_record(&whole.record, start);
    whole.record.tid = (uint32_t)tid;
    whole.record.started_ns = tid ? now_ns() : 0;
    whole.record.reserved = error;
    memcpy(whole.bytes, &kind, sizeof kind);
    write_at(whole.bytes, units_for(thread_record_size(start->frames)), start->offset);
}

struct tt_call {
    enum tt_api api;
    void *routine;
    void *arg;
};

// What a new thread does first: completes its record (its id and start time) and frees its start slot.
static struct tt_call tt_thread_started(struct tt_start *slot) {
    struct tt_call call = {slot->api, slot->routine, slot->arg};
    struct tt_thread_record *record = slot->record;
    if (record) {
        // The creator wrote the rest before it created this thread (pthread_create orders its writes before ours).
        release_slot(slot);
        record->tid = (uint32_t)current_tid();
        record->started_ns = now_ns();
        atomic_store_explicit(&record->kind, TT_KIND_THREAD, memory_order_release);
    } else {
        struct tt_start start;
        // Only the part in use: frames beyond start.frames are never read.
        memcpy(&start, slot, offsetof(struct tt_start, stack) + (size_t)slot->frames * sizeof(void *));
        release_slot(slot);
        write_whole(&start, TT_KIND_THREAD, current_tid(), 0);
    }
    return call;
}

static void *tt_trampoline(void *p) {
    struct tt_call call = tt_thread_started((struct tt_start *)p);
    if (call.api == TT_THRD) {
        return (void *)(intptr_t)((thrd_start_t)call.routine)(call.arg);
    }
    return ((void *(*)(void *))call.routine)(call.arg);
}

// The creating thread's stack, frame 0 the wrapper the program called (so: inlined into it). The cached unwinder
// (ttunwind.h) when it can, else backtrace(3).
static inline __attribute__((always_inline)) int capture_stack(void **stack, int is_main) {
#ifdef TT_FAST_UNWIND
    if (tt_fast_unwind_ok) {
        int n = tt_unwind(stack, TT_MAX_FRAMES, is_main);
        if (n >= 0 && !verify_unwind) {
            return n;
        }
        if (n >= 0) {
            void *check[TT_MAX_FRAMES];
            int m = backtrace(check, TT_MAX_FRAMES);
            atomic_fetch_add_explicit(&header->verified, 1, memory_order_relaxed);
            // Frame 0 is the wrapper in both, at two different calls: the callers must agree.
            if (m == n && (n <= 1 || memcmp(check + 1, stack + 1, (size_t)(n - 1) * sizeof(void *)) == 0)) {
                return n;
            }
            atomic_fetch_add_explicit(&header->mismatched, 1, memory_order_relaxed);
            memcpy(stack, check, (size_t)m * sizeof(void *));
            return m;
        }
        atomic_fetch_add_explicit(&header->slow, 1, memory_order_relaxed);
    }
#else
    (void)is_main;
#endif
    return backtrace(stack, TT_MAX_FRAMES);
}

// Inlined, so that the stack's frame 0 is the wrapper the program called. The creating thread claims the record and
// writes all it knows into it, marked pending; the new thread adds its id and start time and commits it.
static inline __attribute__((always_inline)) struct tt_start *prepare(enum tt_api api, void *routine, void *arg) {
    struct tt_start *start = header ? claim_slot() : NULL;
    if (!start) {
        return NULL;
    }
    start->api = api;
    start->routine = routine;
    start->arg = arg;
    start->creator = current_tid();
    start->created_ns = now_ns();
    start->frames = capture_stack(start->stack, start->creator == process_id);
    struct tt_thread_record *record = (struct tt_thread_record *)claim_record(units_for(thread_record_size(start->frames)), &start->offset);
    start->record = record;
    if (record) {
        fill_record(record, start);
        atomic_store_explicit(&record->kind, TT_KIND_PENDING, memory_order_release);
    }
    name_once(routine);
    for (int i = 1; i < start->frames; i++) {
        name_once(start->stack[i]);
    }
    return start;
}

// pthread_create failed: no thread will commit the record. Say so in it, so that the reader does not count it lost.
static void creation_failed(struct tt_start *start, int error) {
    if (start->record) {
        start->record->reserved = (uint32_t)error;
        atomic_store_explicit(&start->record->kind, TT_KIND_FAILED, memory_order_release);
    } else {
        write_whole(start, TT_KIND_FAILED, 0, (uint32_t)error);
    }
    release_slot(start);
}

int pthread_create(pthread_t *thread, const pthread_attr_t *attr, void *(*routine)(void *), void *arg) {
    ensure_init();
    if (!real_pthread_create) {
        return EAGAIN;
    }
    struct tt_start *start = prepare(TT_PTHREAD, (void *)routine, arg);
    if (!start) {
        return real_pthread_create(thread, attr, routine, arg);
    }
    int rc = real_pthread_create(thread, attr, tt_trampoline, start);
    if (rc != 0) {
        creation_failed(start, rc);
    }
    return rc;
}

// C11 threads (librdkafka uses them). glibc's thrd_create is pthread_create with default attributes and a start
// routine returning int, which the new thread's trampoline converts as glibc's start_thread does; errors map as
// glibc's thrd_err_map does.
int thrd_create(thrd_t *thread, thrd_start_t routine, void *arg) {
    ensure_init();
    struct tt_start *start = real_pthread_create ? prepare(TT_THRD, (void *)routine, arg) : NULL;
    if (!start) {
        return real_thrd_create ? real_thrd_create(thread, routine, arg) : thrd_error;
    }
    int rc = real_pthread_create((pthread_t *)thread, NULL, tt_trampoline, start);
    if (rc != 0) {
        creation_failed(start, rc);
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
