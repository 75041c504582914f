/* The pthread_create recorder's own work per creation, without creating threads (bench/collect-overhead.sh builds it
 * against src/TraceThreads/native/ttpreload.c). A thread creation costs tens of microseconds of kernel work that
 * varies with the machine's load by more than the hook costs; here the hook's two halves run back to back on one
 * thread, as they do for a creation: prepare() (in the creating thread: start slot, record slot, creator, clock, the
 * stack, the record but for the new thread's id) and tt_thread_started() (in the new thread: its id and start time,
 * the commit). Called DEPTH frames below main, as a runtime's thread start is. Prints, per round, thread CPU ns per
 * creation for: backtrace(3) alone, the cached unwinder alone, prepare, prepare + the new thread's half.
 * Usage: TRACE_THREADS_PTHREAD_LOG=<file> hook-work N ROUNDS [DEPTH=5] */
#include "../src/TraceThreads/native/ttpreload.c"

static void *empty(void *arg) { return arg; }

static double cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int n;
static double times[4];

static __attribute__((noinline)) void round_at_depth(void)
{
    void *stack[TT_MAX_FRAMES];
    double t0 = cpu_ns();
    for (int i = 0; i < n; i++) {
        backtrace(stack, TT_MAX_FRAMES);
    }
    double t1 = cpu_ns();
    for (int i = 0; i < n; i++) {
        capture_stack(stack, 1);
    }
    double t2 = cpu_ns();
    for (int i = 0; i < n; i++) {
        struct tt_start *s = prepare(TT_PTHREAD, (void *)empty, NULL);
        if (s) creation_failed(s, EAGAIN);
    }
    double t3 = cpu_ns();
    for (int i = 0; i < n; i++) {
        struct tt_start *s = prepare(TT_PTHREAD, (void *)empty, NULL);
        if (s) tt_thread_started(s);
    }
    double t4 = cpu_ns();
    times[0] = (t1 - t0) / n, times[1] = (t2 - t1) / n, times[2] = (t3 - t2) / n, times[3] = (t4 - t3) / n;
}

static __attribute__((noinline)) void nest(int depth)
{
    if (depth > 0) {
        nest(depth - 1);
    } else {
        round_at_depth();
    }
    __asm__ volatile("" ::: "memory"); // not a tail call: each level keeps its frame
}

int main(int argc, char **argv)
{
    n = argc > 1 ? atoi(argv[1]) : 20000;
    int rounds = argc > 2 ? atoi(argv[2]) : 1;
    int depth = argc > 3 ? atoi(argv[3]) : 5;
    ensure_init();
    for (int r = 0; r < rounds; r++) {
        nest(depth - 1);
        printf("%.1f %.1f %.1f %.1f\n", times[0], times[1], times[2], times[3]);
    }
    return 0;
}
