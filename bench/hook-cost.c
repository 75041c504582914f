/* The pthread_create recorder's cost per thread creation (bench/collect-overhead.sh runs it with and without
 * LD_PRELOAD=libtrace-threads-preload.so). Creates and joins ROUNDS x N threads that do nothing and prints, per
 * round, the wall time per create+join in ns; the script pairs hooked and plain rounds run back to back.
 * Usage: hook-cost N ROUNDS [pthread|thrd] */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <threads.h>
#include <time.h>

static void *empty(void *arg) { return arg; }
static int empty_c11(void *arg) { (void)arg; return 0; }

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 10000;
    int rounds = argc > 2 ? atoi(argv[2]) : 1;
    int c11 = argc > 3 && strcmp(argv[3], "thrd") == 0;
    for (int r = 0; r < rounds; r++) {
        double start = now_ns();
        for (int i = 0; i < n; i++) {
            if (c11) {
                thrd_t t;
                if (thrd_create(&t, empty_c11, NULL) != thrd_success || thrd_join(t, NULL) != thrd_success)
                    return 1;
            } else {
                pthread_t t;
                if (pthread_create(&t, NULL, empty, NULL) != 0 || pthread_join(t, NULL) != 0)
                    return 1;
            }
        }
        printf("%.1f\n", (now_ns() - start) / n);
    }
    return 0;
}
